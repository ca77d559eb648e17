// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// OTel SDKs export a span when it ends, so a batch usually holds a trace's children before their
// parent. Ingested in that order, every child would be parked (a body copy, a deadline, a journal
// record) and released a moment later when its parent comes. ingestOrder instead puts each span
// after the span it depends on when that one is in the same batch, so the child resolves at once
// and is released straight from the input.
//
// A span depends on its previous version when it is a repeat (versions of one span merge in
// arrival order: later non-empty fields win), else on its parent's first occurrence in the
// batch, in the same trace. The order is otherwise stable: a span waits only for that one span,
// and the spans waiting for one follow it in input order. Spans that wait in a cycle (bad input:
// a span whose ancestors name it) keep their input order at the end; ingest parks them as before.
//
// Batches usually hold each trace's spans next to each other, so the dependencies are first
// looked for within the run of spans of one trace, without an index (inRunDeps). Only when a
// parent is not in its span's run (traces interleaved, a parent sent earlier) or a run is long is
// the whole batch indexed by span ID (batchDeps).

// orderLinks are ingestOrder's per-span links; indexes point into batchScan.spans, -1 for none.
type orderLinks struct {
	trace  pcommon.TraceID
	id     pcommon.SpanID
	parent pcommon.SpanID

	sameID   int32 // on a first occurrence: the previous first occurrence of its span ID in another trace
	dep      int32 // the span this one must follow
	last     int32 // on a span ID's first occurrence: its latest occurrence so far
	deferred int32 // the first of the spans waiting for this one (a list in reverse input order)
	next     int32 // the next span in the list this one waits in
	done     bool  // in order already
}

// maxRun bounds the run inRunDeps searches linearly.
const maxRun = 64

// ingestOrder fills bs.order, or leaves it empty when the input order already puts every span
// after the span it depends on (root-first batches, one-span batches).
func (bs *batchScan) ingestOrder() {
	spans := bs.spans
	if len(spans) < 2 {
		return
	}
	for i := range spans {
		s := &spans[i]
		s.order = orderLinks{
			trace: s.span.TraceID(), id: s.span.SpanID(), parent: s.span.ParentSpanID(),
			sameID: -1, dep: -1, last: int32(i), deferred: -1, next: -1,
		}
	}
	reorder, inRun := bs.inRunDeps()
	if !inRun {
		reorder = bs.batchDeps()
	}
	if !reorder {
		return
	}
	bs.emitAll()
	if len(bs.order) < len(spans) && inRun && bs.cycleTraceSplit() {
		// A cycle waits, and inRunDeps cannot see a later version of one of its spans in another
		// run of the trace: that version would overtake the one waiting. Bad input only, so the
		// batch is simply ordered again from the index, which sees every version.
		for i := range spans {
			l := &spans[i].order
			l.sameID, l.dep, l.last, l.deferred, l.next, l.done = -1, -1, int32(i), -1, -1, false
		}
		bs.order = bs.order[:0]
		bs.batchDeps()
		bs.emitAll()
	}
	if len(bs.order) < len(spans) {
		for i := range spans {
			if !spans[i].order.done {
				spans[i].order.done = true
				bs.order = append(bs.order, int32(i))
			}
		}
	}
}

// emitAll puts in order every span whose dependency is in order already, in input order, each
// followed by the spans waiting for it; the others are left waiting (a cycle).
func (bs *batchScan) emitAll() {
	spans := bs.spans
	for i := range spans {
		s := &spans[i]
		if d := s.order.dep; d >= 0 && !spans[d].order.done {
			s.order.next, spans[d].order.deferred = spans[d].order.deferred, int32(i)
			continue
		}
		bs.emit(int32(i))
	}
}

// cycleTraceSplit reports whether a span left waiting (in a cycle) has spans of its trace
// outside its run, where inRunDeps does not look for its later versions.
func (bs *batchScan) cycleTraceSplit() bool {
	spans := bs.spans
	for i := 0; i < len(spans); {
		if spans[i].order.done {
			i++
			continue
		}
		trace := spans[i].order.trace
		start, end := i, i+1
		for start > 0 && spans[start-1].order.trace == trace {
			start--
		}
		for end < len(spans) && spans[end].order.trace == trace {
			end++
		}
		for j := range spans {
			if (j < start || j >= end) && spans[j].order.trace == trace {
				return true
			}
		}
		i = end // the rest of this run has the same answer
	}
	return false
}

// inRunDeps sets every span's dependency by searching its run of same-trace spans, and reports
// whether one comes before the span it depends on. It reports !ok, and the caller indexes the
// batch instead, when a parent is not in its span's run or a run is longer than maxRun.
func (bs *batchScan) inRunDeps() (reorder, ok bool) {
	spans := bs.spans
	for start := 0; start < len(spans); {
		end := start + 1
		for end < len(spans) && spans[end].order.trace == spans[start].order.trace {
			end++
		}
		if end-start > maxRun {
			return false, false
		}
		run := spans[start:end]
	next:
		for i := range run {
			s := &run[i].order
			for j := i - 1; j >= 0; j-- {
				if run[j].order.id == s.id {
					s.dep = int32(start + j) // a repeat follows its previous version
					continue next
				}
			}
			if s.parent.IsEmpty() {
				continue
			}
			p := -1
			for j := range run {
				if run[j].order.id == s.parent {
					p = j
					break
				}
			}
			switch {
			case p < 0:
				return false, false
			case p != i:
				s.dep = int32(start + p)
				reorder = reorder || p > i
			}
		}
		start = end
	}
	return reorder, true
}

// batchDeps sets every span's dependency from an index of the whole batch, and reports whether
// one comes before the span it depends on.
func (bs *batchScan) batchDeps() (reorder bool) {
	spans := bs.spans
	for i := range spans {
		s := &spans[i]
		s.order.dep = -1
		trace, sid := s.order.trace, s.order.id
		if f := bs.find(trace, sid); f >= 0 {
			s.order.dep = spans[f].order.last
			spans[f].order.last = int32(i)
			continue
		}
		k := idKey(sid)
		if f, ok := bs.first[k]; ok {
			s.order.sameID = f
		}
		bs.first[k] = int32(i)
	}
	for i := range spans {
		s := &spans[i]
		if s.order.dep >= 0 {
			continue // a repeat follows its previous version
		}
		parent := s.order.parent
		if parent.IsEmpty() {
			continue
		}
		if p := bs.find(s.order.trace, parent); p >= 0 && p != int32(i) {
			s.order.dep = p
			reorder = reorder || p > int32(i)
		}
	}
	return reorder
}

// idKey keys batchScan.first: a span ID alone, which the map hashes fastest; span IDs repeating
// across traces (rare outside tests) are chained by orderLinks.sameID.
func idKey(id pcommon.SpanID) uint64 { return binary.LittleEndian.Uint64(id[:]) }

// find returns the index of the first occurrence of span sid of trace in the batch, or -1.
func (bs *batchScan) find(trace pcommon.TraceID, sid pcommon.SpanID) int32 {
	f, ok := bs.first[idKey(sid)]
	if !ok {
		return -1
	}
	for ; f >= 0; f = bs.spans[f].order.sameID {
		if bs.spans[f].order.trace == trace {
			return f
		}
	}
	return -1
}

// emit puts span i in order, and after it, depth first, the spans that were waiting for it.
func (bs *batchScan) emit(i int32) {
	spans := bs.spans
	stack := bs.stack[:0]
	stack = append(stack, i)
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		spans[j].order.done = true
		bs.order = append(bs.order, j)
		// The list runs in reverse input order, so the earliest waiter is pushed last and comes next.
		for k := spans[j].order.deferred; k >= 0; k = spans[k].order.next {
			stack = append(stack, k)
		}
	}
	bs.stack = stack[:0]
}
