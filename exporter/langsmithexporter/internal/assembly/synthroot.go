// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// synthRoot is the root run tracebridge makes for a trace whose spans are parentless Langfuse-style
// records (or, under reparent_to_root, for orphans of a trace without a root). Its OTel span ID is
// conventions.TraceLevelSpanID, the ID the langfuse receiver gives the trace-level record, so that
// record, arriving later, is recognized as this same run and patches it.
//
// The root is posted in progress (no end time, no outputs) and completed by one patch: when the
// trace-level record arrives, or once the trace has been quiet for OrphanWait. LangSmith takes a
// run's end time and outputs once (a second time is a 409), so a root posted complete could never
// take the trace's input and output that a later trace-level record brings. The body is kept
// while the trace is known, so later children can extend its end and bring the trace output.
type synthRoot struct {
	n       *node
	body    ptrace.Span
	origin  *origin
	pending bool // created in this pass; resolved and released at its end
	dirty   bool // changed since it was released
	dirtyAt int64
	inDirty bool // listed in assembler.dirty
}

// rootAttribute tells which attributes of the first child the synthesized root carries: the
// trace-level ones (name, input, output, tags, metadata), user and session, and the LangSmith
// project overrides, so the root lands in the same project as its children.
func rootAttribute(k string) bool {
	switch k {
	case conventions.LangfuseUserID, conventions.LangfuseSessionID, conventions.UserID, conventions.SessionID,
		conventions.LangSmithTraceName, conventions.LangSmithSessionName, conventions.LangSmithSessionID:
		return true
	}
	return strings.HasPrefix(k, langfuseTracePrefix)
}

// langfuseTracePrefix covers langfuse.trace.name, .input, .output, .tags and .metadata[.*].
const langfuseTracePrefix = "langfuse.trace."

func newSynthBody(traceID pcommon.TraceID, spanID pcommon.SpanID, child ptrace.Span) ptrace.Span {
	s := ptrace.NewSpan()
	s.SetTraceID(traceID)
	s.SetSpanID(spanID)
	s.SetStartTimestamp(child.StartTimestamp())
	s.SetEndTimestamp(child.EndTimestamp())
	name := child.Name()
	attrs := s.Attributes()
	for k, v := range child.Attributes().All() {
		if !rootAttribute(k) {
			continue
		}
		v.CopyTo(attrs.PutEmpty(k))
		if k == conventions.LangfuseTraceName && v.Str() != "" {
			name = v.Str()
		}
	}
	s.SetName(name)
	attrs.PutBool(conventions.SyntheticRoot, true)
	attrs.PutBool(conventions.ObservationOpen, true) // until its completing patch
	return s
}

// widen stretches the root over a child: earliest start (before release only: afterwards the
// start is fixed by the root's dotted_order), latest end, and the trace output of the child that
// ends last. It reports whether the root changed.
func widen(body, child ptrace.Span, moveStart bool) bool {
	changed := false
	if st := child.StartTimestamp(); moveStart && st != 0 && st < body.StartTimestamp() {
		body.SetStartTimestamp(st)
		changed = true
	}
	if end := child.EndTimestamp(); end > body.EndTimestamp() {
		body.SetEndTimestamp(end)
		if v, ok := child.Attributes().Get(conventions.LangfuseTraceOutput); ok {
			v.CopyTo(body.Attributes().PutEmpty(conventions.LangfuseTraceOutput))
		}
		changed = true
	}
	return changed
}

// needSynth returns the span ID a parentless Langfuse-style record hangs under, creating the
// synthesized root when the trace has none. A root created in this pass is released at its end,
// so it starts with the earliest of the records this pass brought.
func (a *Assembler) needSynth(c *call, ts *traceState, span ptrace.Span, in *inputScope) pcommon.SpanID {
	lid := ts.traceLevelID()
	if p := ts.nodes.get(lid); p != nil && p.resolved() {
		if p.synth {
			a.observeSynthChild(c, ts, span)
		}
		return lid
	}
	switch s := ts.synth; {
	case s == nil:
		ts.synth = &synthRoot{pending: true, origin: in.origin(), body: newSynthBody(ts.id, lid, span)}
		c.synths = append(c.synths, ts)
	case s.pending:
		widen(s.body, span, true)
	}
	return lid
}

// finishSynth resolves and releases a root synthesized in this pass, and its waiting children.
func (a *Assembler) finishSynth(c *call, ts *traceState) {
	s := ts.synth
	if s == nil || !s.pending {
		return
	}
	s.pending = false
	lid := ts.traceLevelID()
	n := ts.nodes.get(lid)
	if n == nil {
		n = &node{spanID: lid}
		ts.nodes.add(n)
	}
	if n.state != stateWaiting {
		// The trace-level record itself came in the same pass and is the root.
		ts.synth = nil
		return
	}
	a.resolveSynth(c, ts, n, s)
}

// synthesizeFrom makes a root for the orphans of a trace that has none, spanning the spans the
// trace holds. It returns nil when the trace-level span ID is taken by a parked span (bad input).
func (a *Assembler) synthesizeFrom(c *call, ts *traceState, child ptrace.Span, o *origin) *node {
	lid := ts.traceLevelID()
	n := ts.nodes.get(lid)
	switch {
	case n == nil:
		n = &node{spanID: lid}
		ts.nodes.add(n)
	case n.resolved():
		return n
	case n.state != stateWaiting:
		return nil
	}
	s := &synthRoot{origin: o, body: newSynthBody(ts.id, lid, child)}
	for m := range ts.nodes.all() {
		if m.state == stateParked || m.state == stateHeld {
			widen(s.body, m.wait.span, true)
		}
	}
	ts.synth = s
	a.resolveSynth(c, ts, n, s)
	return n
}

func (a *Assembler) resolveSynth(c *call, ts *traceState, n *node, s *synthRoot) {
	s.n = n
	n.synth = true
	start := s.body.StartTimestamp()
	n.startUs = micros(start)
	n.runID = langsmith.RunID(a.idMode, ts.id, n.spanID, start.AsTime())
	resolveRoot(ts, n)
	a.transition(c, ts, n, evResolve, body{span: s.body, origin: s.origin, copied: true})
	a.markSynthDirty(c, ts) // the in-progress post still needs its completing patch
	a.releaseWaiters(c, ts, n)
}

// observeSynthChild lets a child arriving after the synthesized root's release extend it; the
// root is then patched once the trace is quiet (patchDirtyRoots).
func (a *Assembler) observeSynthChild(c *call, ts *traceState, child ptrace.Span) {
	s := ts.synth
	if s == nil || s.pending || s.n == nil {
		return
	}
	if !widen(s.body, child, false) {
		return
	}
	a.markSynthDirty(c, ts)
}

// markSynthDirty schedules the synthesized root's patch for when the trace has been quiet.
func (a *Assembler) markSynthDirty(c *call, ts *traceState) {
	s := ts.synth
	s.dirty, s.dirtyAt = true, c.now
	if !s.inDirty {
		s.inDirty = true
		a.dirty = append(a.dirty, ts)
	}
}

// patchSynth releases the synthesized root's current body as a patch of its run.
func (a *Assembler) patchSynth(c *call, ts *traceState) {
	s := ts.synth
	s.body.Attributes().Remove(conventions.ObservationOpen)
	releaseCopy(c, s.origin, s.body, s.n, true)
	s.dirty = false
	a.stats.patches++
}

// patchDirtyRoots patches the synthesized roots that changed and have been quiet since before
// quietSince.
func (a *Assembler) patchDirtyRoots(c *call, quietSince int64) {
	keep := a.dirty[:0]
	for _, ts := range a.dirty {
		s := ts.synth
		switch {
		case ts.dropped || !s.dirty:
			s.inDirty = false
		case s.dirtyAt <= quietSince:
			a.patchSynth(c, ts)
			s.inDirty = false
		default:
			keep = append(keep, ts)
		}
	}
	clear(a.dirty[len(keep):])
	a.dirty = keep
}
