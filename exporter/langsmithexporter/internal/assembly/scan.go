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

	// Set by scanBatch: the span and its input scope (an index into batchScan.scopes), and
	// ingestOrder's links.
	span  ptrace.Span
	scope int32
	order orderLinks
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

// batchScan is what the scan pass before the lock learns about one ConsumeTraces batch: every
// span's scan, in input order, with its handle and input scope, and the order to ingest them in
// (ingestOrder). It comes from scanPool, with its slices and map, so that a batch of a usual size
// allocates nothing here once the pool is warm.
type batchScan struct {
	spans  []spanScan
	scopes []inputScope
	// order lists indexes into spans, parent first; empty when the input order already is.
	order []int32
	first map[uint64]int32 // by span ID (idKey), the index of its latest first occurrence, for ingestOrder
	stack []int32
	perm  []int32     // handOn's scratch
	tmp   ptrace.Span // handOn's spare span, empty between uses
	bytes int64       // the batch's estimated size, for admission
}

// scanBatch scans every span of td in order and computes the order to ingest them in. The caller
// returns the result with putScan.
func (a *Assembler) scanBatch(td ptrace.Traces) *batchScan {
	bs := scanPool.Get().(*batchScan)
	a.scanInto(bs, td)
	return bs
}

// scanInto fills bs, which is empty, with td's scan.
func (a *Assembler) scanInto(bs *batchScan, td ptrace.Traces) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			scope := int32(len(bs.scopes))
			start := int32(len(bs.spans))
			for _, span := range ss.Spans().All() {
				sc := a.scanSpan(span)
				sc.span, sc.scope = span, scope
				bs.bytes += sc.bytes
				bs.spans = append(bs.spans, sc)
			}
			bs.scopes = append(bs.scopes, inputScope{rs: rs, ss: ss, start: start, count: int32(len(bs.spans)) - start})
		}
	}
	bs.ingestOrder()
}

var scanPool = sync.Pool{New: func() any { return &batchScan{first: make(map[uint64]int32)} }}

// maxPooledSpans bounds what a pooled batchScan keeps: one huge batch must not make every later
// one clear a huge map.
const maxPooledSpans = 4096

func putScan(bs *batchScan) {
	if len(bs.spans) > maxPooledSpans {
		return
	}
	bs.reset()
	scanPool.Put(bs)
}

// reset empties bs and keeps its capacity.
func (bs *batchScan) reset() {
	clear(bs.spans) // the handles and dotted orders point into the batch
	clear(bs.scopes)
	clear(bs.first)
	bs.spans, bs.scopes, bs.order, bs.stack, bs.perm, bs.bytes = bs.spans[:0], bs.scopes[:0], bs.order[:0], bs.stack[:0], bs.perm[:0], 0
}
