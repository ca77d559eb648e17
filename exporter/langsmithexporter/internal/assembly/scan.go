// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// spanScan is what the assembler reads from one span, in one pass over its attributes: the
// identity attributes (spanInfo), the content hash and the memory estimate. They used to be
// three passes (the span info, the hash, spanBytes), plus a fourth for the batch's admission;
// on LLM spans, attributes are most of a span, so each pass cost about as much as the others.
type spanScan struct {
	info  spanInfo
	hash  uint64
	bytes int64 // spanBytes(span)
}

// scanSpan reads span in one pass; its bytes equal spanBytes(span), which the parked-bytes
// accounting recomputes when a kept span changes.
func (a *Assembler) scanSpan(span ptrace.Span) spanScan {
	var sc spanScan
	sh := spanHasher{seed: a.seed}
	sh.str(span.Name())
	sh.u64(uint64(span.Kind()))
	sh.u64(uint64(span.StartTimestamp()))
	sh.u64(uint64(span.EndTimestamp()))
	sh.id(span.ParentSpanID())
	sh.u64(uint64(span.Status().Code()))
	sh.str(span.Status().Message())
	attrs := span.Attributes()
	sh.u64(uint64(attrs.Len()))
	size := int64(spanOverhead + len(span.Name()) + len(span.Status().Message()))
	for k, v := range attrs.All() {
		sc.info.read(k, v)
		sh.str(k)
		size += 32 + int64(len(k)) + sh.valueSized(v)
	}
	sh.events(span.Events(), &size)
	sh.links(span.Links())
	size += 64 * int64(span.Links().Len())
	sc.hash, sc.bytes = sh.h, size
	return sc
}

// scanBatch scans every span of td in order, into a slice from scanPool, and sums their bytes
// for admission. The caller returns the slice with putScans.
func (a *Assembler) scanBatch(td ptrace.Traces) (*[]spanScan, int64) {
	scans := scanPool.Get().(*[]spanScan)
	s := (*scans)[:0]
	var size int64
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				sc := a.scanSpan(span)
				size += sc.bytes
				s = append(s, sc)
			}
		}
	}
	*scans = s
	return scans, size
}

var scanPool = sync.Pool{New: func() any { return new([]spanScan) }}

func putScans(scans *[]spanScan) {
	clear(*scans) // the dotted orders point into the batch's strings
	*scans = (*scans)[:0]
	scanPool.Put(scans)
}
