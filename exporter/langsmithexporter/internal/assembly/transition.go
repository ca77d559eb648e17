// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// event is what happens to a node. transition applies it; it is the one place a node changes
// state (see nodeState), takes or gives up its span body, and tells the journal.
type event uint8

const (
	// evPark: a span arrived whose parent is not resolved. waiting → parked; its body is kept.
	evPark event = iota
	// evResolve: the node's identity is known (it came with one, its parent was resolved, or the
	// orphan policy applied). An open observation, unless live_view, is held for its end
	// (→ held); anything else is released (→ released).
	evResolve
	// evEnd: a held observation's wait is over, or its trace is flushed. held → released.
	evEnd
	// evChange: a kept body was merged with a later version. The node stays parked or held,
	// unless it is a held observation that has just ended: then it is released.
	evChange
	// evResend: an identical copy of a kept body came again. The node stays.
	evResend
)

// body is the span an event brings: a span of the input batch (in is its input scope; moved or
// handed on in place), or the synthesized root's body (copied from origin: the root keeps it for
// its patches). The zero body means the node's own kept body. An input body names its scope
// rather than its origin, so a batch handed on whole (see handOn) never copies the resource and
// scope into one.
type body struct {
	span   ptrace.Span
	in     *inputScope
	origin *origin
	copied bool
	bytes  int64   // spanBytes(span) when the scan already knows it, else 0
	ids    idAttrs // of an input body: the identity attributes its scan saw
}

// inputBody is span of the input scope in; ids are the identity attributes its scan saw.
func inputBody(span ptrace.Span, in *inputScope, ids idAttrs) body {
	return body{span: span, in: in, ids: ids}
}

// bodyOrigin is where b's span came from.
func (b body) bodyOrigin() *origin {
	if b.in != nil {
		return b.in.origin()
	}
	return b.origin
}

// transition applies ev to n, a node of ts, in the pass c.
func (a *Assembler) transition(c *call, ts *traceState, n *node, ev event, b body) {
	switch ev {
	case evPark:
		a.keep(c, ts, n, b)
		n.state = stateParked
		enqueue(&a.orphanQ, ts, n, c.now)
	case evResolve:
		if n.open && !a.cfg.LiveView {
			if n.state != stateParked { // a parked node has its body already
				a.keep(c, ts, n, b)
			}
			n.state = stateHeld
			enqueue(&a.openQ, ts, n, c.now)
			return
		}
		a.release(c, ts, n, b)
	case evEnd:
		if n.state == stateHeld {
			a.release(c, ts, n, body{})
		}
	case evChange:
		w := n.wait
		size := spanBytes(w.span)
		a.parkedBytes += size - w.bytes
		w.bytes = size
		a.journal.kept(c, n)
		if n.state == stateHeld && !n.open {
			a.release(c, ts, n, body{})
		}
	case evResend:
		a.journal.resent(c, n)
	}
}

// keep moves the input span b into n, which holds it from now on.
func (a *Assembler) keep(c *call, ts *traceState, n *node, b body) {
	w := n.waiting()
	w.bytes = b.bytes
	if w.bytes == 0 {
		w.bytes = spanBytes(b.span)
	}
	w.span = ptrace.NewSpan()
	b.span.MoveTo(w.span)
	w.origin = b.bodyOrigin()
	a.addParked(ts, n)
	a.journal.kept(c, n)
}

// release puts n, stamped, into the pass's release batch: its kept body (moved), the input span
// (moved) or the synthesized root's body (copied). The node keeps only its identity.
func (a *Assembler) release(c *call, ts *traceState, n *node, b body) {
	fromInput := false
	switch {
	case b.in != nil:
		releaseInput(c, b.in, b.span, n, false, b.ids)
		fromInput = true
	case b.origin == nil:
		a.unpark(ts, n)
		releaseMove(c, n)
	default: // copied
		releaseCopy(c, b.origin, b.span, n, false)
	}
	a.journal.released(c, ts, n, fromInput)
	n.state = stateReleased
	n.tidy()
}

// addParked counts a node that starts holding a span body (parked or held).
func (a *Assembler) addParked(ts *traceState, n *node) {
	ts.parked++
	if ts.parked == 1 {
		a.parkedTraces.pushBack(ts)
	}
	a.parkedSpans++
	a.parkedBytes += n.wait.bytes
}

// unpark uncounts a node whose body leaves the assembler.
func (a *Assembler) unpark(ts *traceState, n *node) {
	ts.parked--
	if ts.parked == 0 {
		a.parkedTraces.remove(ts)
	}
	a.parkedSpans--
	a.parkedBytes -= n.wait.bytes
}
