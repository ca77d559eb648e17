// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// ingestTraces takes every span of the batch bs scanned, in bs's ingest order (parents before
// their children; see ingestOrder). The exporter declares MutatesData, so the batch is the
// assembler's own (the pipeline clones it when another consumer shares it): each span is moved,
// not copied, either straight into the release batch or into the parking area. What is left of
// the batch afterwards is empty husks.
func (a *Assembler) ingestTraces(c *call, bs *batchScan) {
	var ts *traceState
	take := func(i int32) {
		sc := &bs.spans[i]
		// Batches usually hold a trace's spans next to each other.
		if id := sc.span.TraceID(); ts == nil || ts.id != id || ts.dropped {
			ts = a.trace(c, id)
		}
		a.ingest(c, ts, sc.span, &bs.scopes[sc.scope], sc)
	}
	if len(bs.order) > 0 {
		for _, i := range bs.order {
			take(i)
		}
		return
	}
	for i := range bs.spans {
		take(int32(i))
	}
}

// ingest takes one span: a repeat of a known span merges, a new one is resolved and released
// when its parent is known, and parked under its parent otherwise. sc is the span's scan.
func (a *Assembler) ingest(c *call, ts *traceState, span ptrace.Span, in *inputScope, sc *spanScan) {
	sid := span.SpanID()
	si, h := sc.info, sc.hash
	n := ts.nodes.get(sid)
	if n != nil && n.state != stateWaiting {
		a.repeat(c, ts, n, span, si, h, in)
		return
	}
	if n == nil {
		n = &node{spanID: sid}
		ts.nodes.add(n)
	}
	n.hashes[0] = h
	n.open = si.open
	n.startUs = micros(span.StartTimestamp())
	n.ownID = si.hasRunID
	if si.hasRunID {
		n.runID = si.runID
	} else {
		n.runID = langsmith.RunID(a.idMode, ts.id, sid, span.StartTimestamp().AsTime())
	}

	// A span that already carries its full identity needs no ancestor.
	if si.dotted != "" && si.hasTraceRun && adoptIdentity(n, si) {
		if n.rootRun && ts.root == nil {
			ts.root = n
		}
		a.resolved(c, ts, n, inputBody(span, in, si.ids))
		return
	}

	parent := span.ParentSpanID()
	switch {
	case si.isRoot:
		parent = pcommon.NewSpanIDEmpty()
	case si.hasParentRun:
		// langsmith.span.parent_id names a run, not a span: honor it when that run is known.
		if p := ts.byRunID(si.parentRun, parent); p != nil {
			parent = p.spanID
		}
	case parent.IsEmpty() && si.langfuse && sid != ts.traceLevelID():
		// Parentless Langfuse-style records hang under the trace-level run; the record
		// carrying that span ID is the trace-level record itself, the root.
		parent = a.needSynth(c, ts, span, in)
	}
	n.parentID = parent

	if parent.IsEmpty() {
		resolveRoot(ts, n)
		a.resolved(c, ts, n, inputBody(span, in, si.ids))
		return
	}
	p := ts.nodes.get(parent)
	if p != nil && p.resolved() {
		a.resolveChild(ts, n, p)
		a.resolved(c, ts, n, inputBody(span, in, si.ids))
		return
	}
	if p == nil {
		p = &node{spanID: parent}
		ts.nodes.add(p)
	}
	a.park(c, ts, n, span, in, p, sc.bytes)
}

// park keeps span (moved out of the input) until p, its parent, is resolved; size is its
// spanBytes.
func (a *Assembler) park(c *call, ts *traceState, n *node, span ptrace.Span, in *inputScope, p *node, size int64) {
	pw := p.waiting()
	pw.waiters = append(pw.waiters, n)
	b := inputBody(span, in, allIDAttrs) // kept: its identity is stamped when it is let go
	b.bytes = size
	a.transition(c, ts, n, evPark, b)
}

// resolved releases (or holds) a node whose identity is now known, then releases whatever was
// waiting for it. b is the span that came with it, if any.
func (a *Assembler) resolved(c *call, ts *traceState, n *node, b body) {
	a.transition(c, ts, n, evResolve, b)
	a.releaseWaiters(c, ts, n)
}

// releaseWaiters resolves everything parked under p, depth first, without recursion: a deep
// chain of children arriving before their parents unwinds in one pass.
func (a *Assembler) releaseWaiters(c *call, ts *traceState, p *node) {
	if p.wait == nil || len(p.wait.waiters) == 0 {
		return
	}
	stack := c.stack[:0]
	stack = append(stack, p)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ws := p.wait.waiters
		p.wait.waiters = nil
		p.tidy()
		for _, w := range ws {
			// Orphaned, evicted or re-parented meanwhile.
			if w.state != stateParked || w.parentID != p.spanID {
				continue
			}
			a.resolveChild(ts, w, p)
			a.transition(c, ts, w, evResolve, body{})
			if w.wait != nil && len(w.wait.waiters) > 0 {
				stack = append(stack, w)
			}
		}
	}
	c.stack = stack[:0]
}

// repeat handles a span seen before. Before release the versions merge into one run (Langfuse's
// upsert: later non-empty fields win). After release an identical re-send is dropped and a
// changed one goes out as a patch of the same run.
func (a *Assembler) repeat(c *call, ts *traceState, n *node, span ptrace.Span, si spanInfo, h uint64, in *inputScope) {
	if si.langfuse && span.ParentSpanID().IsEmpty() {
		a.observeSynthChild(c, ts, span)
	}
	if n.seen(h) {
		if n.state == stateReleased {
			a.stats.duplicates++
			if ce := a.logger.Check(zap.DebugLevel, "Dropped an identical re-send of a released span"); ce != nil {
				ce.Write(zap.Stringer("trace_id", ts.id), zap.Stringer("span_id", n.spanID))
			}
		} else {
			a.transition(c, ts, n, evResend, body{})
		}
		return
	}
	n.remember(h)
	switch n.state {
	case stateParked, stateHeld:
		mergeSpan(n.wait.span, span)
		n.open = n.open && si.open
		if !n.open {
			n.wait.span.Attributes().Remove(conventions.ObservationOpen)
		}
		a.transition(c, ts, n, evChange, body{})
	case stateReleased:
		wasOpen := n.open
		n.open = n.open && si.open
		out, inPass := c.outOf(n)
		switch {
		case inPass:
			// Released in this very pass: still ours, so fold the update in.
			mergeSpan(out, span)
			if !n.open {
				out.Attributes().Remove(conventions.ObservationOpen)
			}
		case n.synth && ts.synth != nil:
			// The trace-level record (or a re-send of it) for a root already synthesized.
			s := ts.synth
			mergeSpan(s.body, span)
			s.body.Attributes().Remove(conventions.ObservationOpen)
			a.patchSynth(c, ts)
		default:
			dst := releaseInput(c, in, span, n, true, si.ids)
			if wasOpen && !n.open {
				dst.Attributes().Remove(conventions.ObservationOpen)
			}
			a.stats.patches++
		}
	}
}

// findTop walks up from a parked node to the highest parked ancestor: the span whose own parent
// is missing. The walk is bounded, so a parent cycle in bad input ends at the due node itself.
func findTop(ts *traceState, n *node) *node {
	cur := n
	for range ts.nodes.len() {
		p := ts.nodes.get(cur.parentID)
		if p == nil || p.state != stateParked {
			return cur
		}
		cur = p
	}
	return n
}

// orphan releases a parked span whose parent did not come, under the orphan policy, and with it
// everything parked beneath it.
func (a *Assembler) orphan(c *call, ts *traceState, top *node) {
	top.orphaned = true
	c.orphans++
	if a.cfg.OrphanPolicy == OrphanAsRoot {
		resolveRoot(ts, top)
	} else {
		r := ts.root
		if r == nil {
			r = a.synthesizeFrom(c, ts, top.wait.span, top.wait.origin)
		}
		if r == nil {
			resolveRoot(ts, top)
		} else {
			a.resolveChild(ts, top, r)
			if r.synth {
				a.observeSynthChild(c, ts, top.wait.span)
			}
		}
	}
	a.resolved(c, ts, top, body{})
}

// flushTrace releases everything a trace holds as it is: parked spans under the orphan policy,
// open observations in progress. Eviction and Shutdown use it.
func (a *Assembler) flushTrace(c *call, ts *traceState) {
	var parked, held []*node
	for n := range ts.nodes.all() {
		switch n.state {
		case stateParked:
			parked = append(parked, n)
		case stateHeld:
			held = append(held, n)
		}
	}
	for _, n := range parked {
		if n.state == stateParked {
			a.orphan(c, ts, findTop(ts, n))
		}
	}
	for _, n := range held {
		a.transition(c, ts, n, evEnd, body{})
	}
	for n := range ts.nodes.all() { // open observations resolved by the orphaning above
		if n.state == stateHeld {
			a.transition(c, ts, n, evEnd, body{})
		}
	}
	if ts.parked != 0 {
		// Unreachable while the counts are right; recover rather than loop in the callers.
		a.logger.Error("Assembly bookkeeping out of step after a flush", zap.Stringer("trace_id", ts.id), zap.Int("parked", ts.parked))
		a.parkedSpans -= ts.parked
		ts.parked = 0
		a.parkedTraces.remove(ts)
	}
}
