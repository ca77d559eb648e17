// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// spanOverhead approximates what a parked span costs beyond its strings: the pdata structs, the
// node, its map entry and queue slots.
const spanOverhead = 512

// spanBytes estimates a span's memory cheaply (no marshaling): strings plus fixed overheads.
func spanBytes(span ptrace.Span) int64 {
	b := int64(spanOverhead + len(span.Name()) + len(span.Status().Message()))
	b += mapBytes(span.Attributes())
	for _, e := range span.Events().All() {
		b += 64 + int64(len(e.Name())) + mapBytes(e.Attributes())
	}
	b += 64 * int64(span.Links().Len())
	return b
}

func mapBytes(m pcommon.Map) int64 {
	var b int64
	for k, v := range m.All() {
		b += 32 + int64(len(k)) + valueBytes(v)
	}
	return b
}

func valueBytes(v pcommon.Value) int64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return int64(len(v.Str()))
	case pcommon.ValueTypeBytes:
		return int64(v.Bytes().Len())
	case pcommon.ValueTypeMap:
		return mapBytes(v.Map())
	case pcommon.ValueTypeSlice:
		var b int64
		for _, e := range v.Slice().All() {
			b += 16 + valueBytes(e)
		}
		return b
	default:
		return 8
	}
}

// batchBytes estimates a whole batch, for admission and for pending-out accounting.
func batchBytes(td ptrace.Traces) int64 {
	var b int64
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				b += spanBytes(span)
			}
		}
	}
	return b
}
