// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// NewFactory creates the langsmith exporter factory.
func NewFactory() exporter.Factory { return newFactory(nil) }

func newFactory(obs Observer) exporter.Factory {
	create := func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
		c := *cfg.(*Config)
		c.observer = obs
		return newTenantRouter(ctx, set, &c)
	}
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithTraces(create, metadata.TracesStability))
}

func createDefaultConfig() component.Config {
	cc := confighttp.NewDefaultClientConfig()
	cc.Timeout = 30 * time.Second
	cc.Compression = "" // the multipart body is zstd-compressed by the exporter itself
	// Retry without a time limit: giving up would drop runs silently, while a bounded queue
	// turns a long outage into honest backpressure (receivers answer 503) instead.
	retry := configretry.NewDefaultBackOffConfig()
	retry.MaxElapsedTime = 0
	// Batch released spans before upload: the assembler releases a few spans per incoming
	// request, and one upload per release would spend LangSmith's request budget and our CPU on
	// many small bodies. Runs are self-describing, so a batch may split a tree anywhere.
	queue := exporterhelper.NewDefaultQueueConfig()
	// Counted in spans (see defaultQueueSpans): the bound on what is released and not yet
	// uploaded holds whatever the requests' size. The assembler cuts releases to fit it
	// (batchLimit).
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	queue.QueueSize = defaultQueueSpans
	batch := exporterhelper.NewDefaultBatchConfig()
	batch.MinSize = 1000
	batch.MaxSize = 5000
	queue.Batch = configoptional.Some(batch)
	return &Config{
		ClientConfig: cc,
		QueueConfig:  configoptional.Some(queue),
		RetryConfig:  retry,
		Project:      "default",
		RunIDMode:    langsmith.IDModeUUIDv7,
		Assembly: AssemblyConfig{
			OrphanWait:        30 * time.Second,
			OrphanPolicy:      OrphanUnderRoot,
			OpenRunWait:       5 * time.Minute,
			MaxSpans:          200_000,
			MaxBytes:          256 << 20,
			ResolvedTTL:       2 * time.Minute,
			ResolvedMaxTraces: 20_000,
		},
		Limits: LimitsConfig{
			StartTimeWindow: 24 * time.Hour,
			OutOfWindow:     WindowDeadLetter,
			MaxRunsPerTrace: 25_000,
		},
	}
}
