// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
)

// BenchmarkRouterScrub: the pass over every span's attributes that removes patch stamps (and,
// for shared callers of a workspace with reserved projects, project ids); 1,000 spans of 20
// attributes a batch.
func BenchmarkRouterScrub(b *testing.B) {
	r, err := newTenantRouter(context.Background(), exportertest.NewNopSettings(metadata.Type), tenantTestConfig("http://127.0.0.1:1"))
	if err != nil {
		b.Fatal(err)
	}
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := range 1000 {
		attrs := spans.AppendEmpty().Attributes()
		for j := range 20 {
			attrs.PutStr(fmt.Sprintf("attribute.number.%d", j), fmt.Sprint(i))
		}
	}
	for _, dropIDs := range []bool{false, true} {
		b.Run(fmt.Sprintf("drop_ids=%v", dropIDs), func(b *testing.B) {
			for b.Loop() {
				r.scrub(context.Background(), td, dropIDs)
			}
		})
	}
}
