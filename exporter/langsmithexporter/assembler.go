// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// assembler is being written; this placeholder passes spans straight through.
type assembler struct{ next consumer.Traces }

func newAssembler(_ AssemblyConfig, _ langsmith.IDMode, _ component.ID, _ *zap.Logger, _ *metadata.TelemetryBuilder, next consumer.Traces) *assembler {
	return &assembler{next: next}
}

func (*assembler) Start(context.Context, component.Host) error { return nil }

func (a *assembler) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return a.next.ConsumeTraces(ctx, td)
}

func (*assembler) Shutdown(context.Context) error { return nil }
