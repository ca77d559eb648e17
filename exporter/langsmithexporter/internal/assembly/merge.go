// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// mergeSpan folds a later version of a span into dst the way Langfuse's upsert does: later
// non-empty fields win. Attributes overlay, events are appended without duplicates, the status
// is taken when set, the end time when non-zero, the name when non-empty. Identity (IDs, parent,
// start) stays the first version's: the run's dotted_order was, or will be, built from it.
func mergeSpan(dst, src ptrace.Span) {
	if name := src.Name(); name != "" {
		dst.SetName(name)
	}
	if end := src.EndTimestamp(); end != 0 {
		dst.SetEndTimestamp(end)
	}
	if src.Status().Code() != ptrace.StatusCodeUnset {
		src.Status().CopyTo(dst.Status())
	}
	attrs := dst.Attributes()
	for k, v := range src.Attributes().All() {
		v.CopyTo(attrs.PutEmpty(k))
	}
	events := dst.Events()
	n := events.Len()
	for _, e := range src.Events().All() {
		if !hasEvent(events, n, e) {
			e.CopyTo(events.AppendEmpty())
		}
	}
}

func hasEvent(events ptrace.SpanEventSlice, n int, e ptrace.SpanEvent) bool {
	for i := range n {
		if x := events.At(i); x.Timestamp() == e.Timestamp() && x.Name() == e.Name() {
			return true
		}
	}
	return false
}
