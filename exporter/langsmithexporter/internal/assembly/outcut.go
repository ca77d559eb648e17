// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// cutBatch cuts b into batches of at most max spans each, in b's span order, each span under a
// copy of its resource and scope. b's spans are moved out. The storage keys b carries (the
// parked copies, its own key, the keys merged into it) go with the last part, so they are let go
// only once every part is in the upload queue: a restart in between re-sends the parts already
// taken, which is harmless (run IDs are deterministic, LangSmith answers 409), and loses none.
func cutBatch(b *outBatch, maxSpans int) []*outBatch {
	parts := make([]*outBatch, 0, (b.spans+maxSpans-1)/maxSpans)
	cur := &outBatch{td: ptrace.NewTraces()}
	for _, rs := range b.td.ResourceSpans().All() {
		var dstRS ptrace.ResourceSpans
		haveRS := false
		for _, ss := range rs.ScopeSpans().All() {
			var dst ptrace.SpanSlice
			haveSS := false
			spans := ss.Spans()
			for i := range spans.Len() {
				if cur.spans == maxSpans {
					parts = append(parts, cur)
					cur = &outBatch{td: ptrace.NewTraces()}
					haveRS, haveSS = false, false
				}
				if !haveRS {
					dstRS = cur.td.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(dstRS.Resource())
					dstRS.SetSchemaUrl(rs.SchemaUrl())
					haveRS = true
				}
				if !haveSS {
					dstSS := dstRS.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(dstSS.Scope())
					dstSS.SetSchemaUrl(ss.SchemaUrl())
					dst, haveSS = dstSS.Spans(), true
				}
				spans.At(i).MoveTo(dst.AppendEmpty())
				cur.spans++
			}
		}
	}
	if cur.spans > 0 {
		parts = append(parts, cur)
	}
	last := parts[len(parts)-1]
	last.deletes, last.key, last.merged = b.deletes, b.key, b.merged
	return parts
}
