// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Handing a batch on whole. Most ConsumeTraces batches are released entirely at once: one raw
// Langfuse record a request, an SDK batch of whole traces (ingested parent first). Moving each
// span into a fresh release batch (AppendEmpty + MoveTo) and copying each input scope's resource
// and scope into an origin is then pure overhead: the release batch ends up holding exactly the
// input's spans. So a ConsumeTraces pass starts direct: releaseInput stamps input spans where they
// are and lists them (call.inPlace) instead of moving them. handOn, after the ingest, moves the
// input's ResourceSpans themselves into the release batch when the batch qualifies, and otherwise
// moves the listed spans one by one as releaseInput would have, so the release batch is the same
// either way (see materialize).
//
// A batch qualifies when every one of its spans was released from the input, in this pass, by its
// own ingest: as a new run or as the patch of a run released earlier. Anything else leaves
// something in the input that must not go out, or puts something in the release batch that is
// not in the input, and makes handOn fall back:
//   - a span parked (parent unknown), held (open observation), merged into another version
//     (parked, held, or released earlier in the same batch), or dropped as an identical re-send:
//     it was not released, so the count of released spans falls short of the batch's;
//   - a synthesized root made in this pass (its children park, and finishSynth releases it after
//     the ingest), a kept span released under a span of this batch (releaseWaiters), a root
//     patched or a trace flushed (eviction, identity cache pressure): each appends to the release
//     batch through call.slice, which materializes what was released in place first and ends the
//     direct mode;
//   - a pass that is not one ConsumeTraces batch (flushDue, reload, Shutdown), or one whose
//     admission already flushed traces: it never starts direct.
//
// The journal sees the same calls either way: release tells it released(fromInput) for every
// span, wherever the span goes.

// inPlaceSpan is an input span released in place: its scope, and its index in call.outs (-1 for
// a patch, which is not listed there).
type inPlaceSpan struct {
	span ptrace.Span
	in   *inputScope
	out  int32
}

// slice is the release batch's span slice for origin o. Everything that puts a span into the
// release batch goes through it, so the spans released in place come first, in release order.
func (c *call) slice(o *origin) ptrace.SpanSlice {
	c.materialize()
	return c.batch().slice(o)
}

// materialize ends the direct mode: it moves the spans released in place into the release batch,
// in release order, exactly as releaseInput does outside it.
func (c *call) materialize() {
	if !c.direct {
		return
	}
	c.direct = false
	b := c.batch()
	for _, p := range c.inPlace {
		dst := b.slice(p.in.origin()).AppendEmpty()
		p.span.MoveTo(dst)
		if p.out >= 0 {
			c.outs[p.out] = dst // a later version in the pass merges into the moved span
		}
	}
	clear(c.inPlace)
	c.inPlace = c.inPlace[:0]
}

// handOn finishes a direct pass over td, whose scan is bs: when every span was released in place
// (see the top of this file), td's ResourceSpans become the release batch, laid out as the
// span-by-span path lays it out; otherwise the released spans are moved one by one.
func (a *Assembler) handOn(c *call, bs *batchScan, td ptrace.Traces) {
	if !c.direct {
		return
	}
	if len(c.inPlace) != len(bs.spans) || len(c.synths) > 0 || !bs.releasedInOrder(c.inPlace) {
		c.materialize()
		return
	}
	c.direct = false
	a.stats.handedOn++
	bs.sortScopes()
	bs.moveScopes(td, c.batch().td)
	clear(c.inPlace)
	c.inPlace = c.inPlace[:0]
}

// releasedInOrder reports whether rel, the spans released in place, are bs's spans in ingest
// order: each released by its own ingest, which is what handOn's layout assumes.
func (bs *batchScan) releasedInOrder(rel []inPlaceSpan) bool {
	for k := range rel {
		i := int32(k)
		if len(bs.order) > 0 {
			i = bs.order[k]
		}
		if rel[k].span != bs.spans[i].span {
			return false
		}
	}
	return true
}

// sortScopes puts each input scope's spans into release (ingest) order, and records each scope's
// place in the release order of scopes: where its first span was released. The span-by-span path
// appends each span to its origin's slice as it is released, and adds an origin's slice to the
// batch when its first span is released; this reproduces both.
func (bs *batchScan) sortScopes() {
	if len(bs.order) == 0 { // ingested in input order: spans and scopes are in release order
		for k := range bs.scopes {
			bs.scopes[k].firstOut = int32(k)
		}
		return
	}
	// perm[t] is the span (an index into bs.spans) that ends at position t: each scope's positions
	// are filled in release order.
	perm := scratch(bs.perm, len(bs.spans))
	for k := range bs.scopes {
		bs.scopes[k].firstOut, bs.scopes[k].filled = -1, 0
	}
	nextOut := int32(0)
	for _, i := range bs.order {
		in := &bs.scopes[bs.spans[i].scope]
		if in.firstOut < 0 {
			in.firstOut = nextOut
			nextOut++
		}
		perm[in.start+in.filled] = i
		in.filled++
	}
	bs.perm = perm
	// Apply perm cycle by cycle. A position's handle (bs.spans[t].span) stays that position's
	// element of the slice; MoveTo swaps the span contents (a struct copy, no allocation) and
	// leaves the source empty, so every destination is empty when it is written.
	for s := range perm {
		if perm[s] < 0 || perm[s] == int32(s) {
			continue
		}
		if bs.tmp == (ptrace.Span{}) {
			bs.tmp = ptrace.NewSpan()
		}
		tmp := bs.tmp
		bs.spans[s].span.MoveTo(tmp)
		t := int32(s)
		for {
			from := perm[t]
			perm[t] = -1
			if from == int32(s) {
				tmp.MoveTo(bs.spans[t].span)
				break
			}
			bs.spans[from].span.MoveTo(bs.spans[t].span)
			t = from
		}
	}
}

// moveScopes moves td's scopes into out in their release order (sortScopes), each as a
// ResourceSpans of its own, as the span-by-span path groups them: a ResourceSpans that holds just
// the one scope moves as it is; a scope sharing its ResourceSpans gets a copy of the resource.
// Every scope has a span (scopes without spans are not in bs.scopes only when their
// ResourceSpans has none at all), because every span was released.
func (bs *batchScan) moveScopes(td, out ptrace.Traces) {
	rss := td.ResourceSpans()
	simple := rss.Len() == len(bs.scopes)
	for k := range bs.scopes {
		in := &bs.scopes[k]
		if in.firstOut != int32(k) || in.count == 0 || in.rs.ScopeSpans().Len() != 1 {
			simple = false
			break
		}
	}
	if simple { // the usual case: one scope a resource, scopes in input order
		rss.MoveAndAppendTo(out.ResourceSpans())
		return
	}
	byOut := scratch(bs.perm, len(bs.scopes))
	for k := range byOut {
		byOut[k] = -1
	}
	for k := range bs.scopes {
		if in := &bs.scopes[k]; in.count > 0 {
			byOut[in.firstOut] = int32(k)
		}
	}
	dst := out.ResourceSpans()
	dst.EnsureCapacity(len(bs.scopes))
	for _, k := range byOut {
		if k < 0 {
			continue
		}
		in := &bs.scopes[k]
		rs := dst.AppendEmpty()
		if in.rs.ScopeSpans().Len() == 1 {
			in.rs.MoveTo(rs)
			continue
		}
		in.rs.Resource().CopyTo(rs.Resource())
		rs.SetSchemaUrl(in.rs.SchemaUrl())
		in.ss.MoveTo(rs.ScopeSpans().AppendEmpty())
	}
	bs.perm = byOut[:0]
}

// scratch returns s resized to n, reallocated only when too small.
func scratch(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
