// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// nodeState is where a span is in its life in the assembler. It only moves forward.
type nodeState uint8

const (
	// stateWaiting: named as a parent by a parked span, not seen itself yet.
	stateWaiting nodeState = iota
	// stateParked: seen, its ancestor chain is not known yet; the assembler holds a copy.
	stateParked
	// stateHeld: identity resolved, but an open observation waiting for its end (or OpenRunWait).
	stateHeld
	// stateReleased: handed out; only the identity is kept, to parent late spans and to
	// recognize re-sends.
	stateReleased
)

// node is one span of a trace. After release it is the identity cache entry the design calls
// for ({run id, dotted order, segment start, content hash, open}); only parked and held nodes
// hold a span body.
type node struct {
	spanID   pcommon.SpanID
	parentID pcommon.SpanID // OTel parent (the trace-level span ID for parentless Langfuse records)
	state    nodeState
	open     bool // the latest version is an open observation
	orphaned bool // released without its parent (orphan policy); parentID names the missing one
	stored   bool // a parked copy is in storage under its key
	synth    bool // the trace's synthesized root
	ownID    bool // the run ID came with the span (langsmith.span.id), so clamping keeps it

	startUs   int64 // span start, unix microseconds
	segUs     int64 // dotted_order segment start: startUs clamped to the parent's segUs
	runID     uuid.UUID
	traceRun  uuid.UUID
	parentRun uuid.UUID // uuid.Nil for a root run
	dotted    string
	// hashes are the content hashes of the two latest distinct versions received, so a retry of
	// either is recognized after release.
	hashes [2]uint64

	// Parked and held nodes only.
	waitingSince int64 // when it was parked or held: the time of its deadline queue entry
	span         ptrace.Span
	origin       *origin
	bytes        int64
	waiters      []*node // parked children waiting for this node's identity

	// out is the released copy while the current pass is running, so a second version of the
	// span in the same batch merges into it instead of becoming a patch.
	out    ptrace.Span
	outSeq uint64
}

func (n *node) resolved() bool { return n.state >= stateHeld }

func (n *node) seen(h uint64) bool { return n.hashes[0] == h || n.hashes[1] == h }

func (n *node) remember(h uint64) {
	if n.hashes[0] != h {
		n.hashes[1], n.hashes[0] = n.hashes[0], h
	}
}

// origin is the resource and scope a span arrived with: a standalone ResourceSpans holding one
// empty ScopeSpans, shared by every span parked from the same input scope.
type origin struct {
	rs ptrace.ResourceSpans
}

func (o *origin) scope() ptrace.ScopeSpans { return o.rs.ScopeSpans().At(0) }

// inputScope is one ScopeSpans of an incoming batch; it copies its resource and scope into an
// origin the first time a span of it is kept or released.
type inputScope struct {
	rs    ptrace.ResourceSpans
	ss    ptrace.ScopeSpans
	owned *origin
}

func (in *inputScope) origin() *origin {
	if in.owned == nil {
		o := &origin{rs: ptrace.NewResourceSpans()}
		in.rs.Resource().CopyTo(o.rs.Resource())
		o.rs.SetSchemaUrl(in.rs.SchemaUrl())
		ss := o.rs.ScopeSpans().AppendEmpty()
		in.ss.Scope().CopyTo(ss.Scope())
		ss.SetSchemaUrl(in.ss.SchemaUrl())
		in.owned = o
	}
	return in.owned
}

// traceState is everything the assembler knows about one OTel trace.
type traceState struct {
	id    pcommon.TraceID
	nodes map[pcommon.SpanID]*node
	// root is the trace's first root run (real or synthesized): the parent of orphans under the
	// reparent_to_root policy.
	root     *node
	synth    *synthRoot
	parked   int // parked and held nodes
	lastSeen int64
	links    [2]traceLinks
	dropped  bool

	levelID    pcommon.SpanID
	hasLevelID bool
}

// traceLevelID is the span ID of the trace's trace-level run, computed once per trace.
func (ts *traceState) traceLevelID() pcommon.SpanID {
	if !ts.hasLevelID {
		ts.levelID, ts.hasLevelID = conventions.TraceLevelSpanID(ts.id), true
	}
	return ts.levelID
}

// byRunID finds a resolved node by run ID; only a langsmith.span.parent_id override needs it.
// LangSmith's SDKs in OTel mode set that attribute on every child, so the common cases are
// answered without a scan of the trace: the span's own OTel parent, or an ID in LangSmith's OTLP
// rule (a span ID right-aligned in zeros), which names that span whatever our run-ID mode.
func (ts *traceState) byRunID(id uuid.UUID, otelParent pcommon.SpanID) *node {
	if p := ts.nodes[otelParent]; p != nil && p.resolved() && p.runID == id {
		return p
	}
	if [8]byte(id[:8]) == [8]byte{} {
		if p := ts.nodes[pcommon.SpanID(id[8:])]; p != nil && p.resolved() {
			return p
		}
	}
	for _, n := range ts.nodes {
		if n.resolved() && n.runID == id {
			return n
		}
	}
	return nil
}

// Intrusive doubly linked lists of traces: a trace sits in the LRU list and, while it holds
// parked spans, in the parked list, without allocating list elements.
const (
	lruLinks = iota
	parkedLinks
)

type traceLinks struct {
	prev, next *traceState
	in         bool
}

type traceList struct {
	head, tail *traceState
	which      int
}

func (l *traceList) pushBack(ts *traceState) {
	lk := &ts.links[l.which]
	*lk = traceLinks{prev: l.tail, in: true}
	if l.tail != nil {
		l.tail.links[l.which].next = ts
	} else {
		l.head = ts
	}
	l.tail = ts
}

func (l *traceList) remove(ts *traceState) {
	lk := &ts.links[l.which]
	if !lk.in {
		return
	}
	if lk.prev != nil {
		lk.prev.links[l.which].next = lk.next
	} else {
		l.head = lk.next
	}
	if lk.next != nil {
		lk.next.links[l.which].prev = lk.prev
	} else {
		l.tail = lk.prev
	}
	*lk = traceLinks{}
}

func (l *traceList) moveToBack(ts *traceState) {
	if l.tail != ts {
		l.remove(ts)
		l.pushBack(ts)
	}
}

// nodeQueue is a FIFO of deadlines. Entries are pushed in time order, so the head is always the
// next one due; entries whose node moved on are skipped when popped instead of being searched for.
// Entries name their node by ID rather than by pointer: a span released long before its entry
// comes due must not keep its node (and its trace) alive, or memory grows with the wait times
// the rate, past the identity cache's bounds.
type queued struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
	at    int64
}

// queuedAt returns the node an entry names, if it is still waiting since the entry's time.
func (a *Assembler) queuedAt(e queued) (*traceState, *node) {
	ts := a.traces[e.trace]
	if ts == nil {
		return nil, nil
	}
	n := ts.nodes[e.span]
	if n == nil || n.waitingSince != e.at {
		return nil, nil
	}
	return ts, n
}

// enqueue records that n starts waiting now in q.
func enqueue(q *nodeQueue, ts *traceState, n *node, now int64) {
	n.waitingSince = now
	q.push(queued{trace: ts.id, span: n.spanID, at: now})
}

type nodeQueue struct {
	items []queued
	head  int
}

func (q *nodeQueue) push(e queued) { q.items = append(q.items, e) }

func (q *nodeQueue) peek() (queued, bool) {
	if q.head == len(q.items) {
		return queued{}, false
	}
	return q.items[q.head], true
}

func (q *nodeQueue) pop() {
	q.items[q.head] = queued{}
	q.head++
	switch {
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
	case q.head >= 1024 && 2*q.head >= len(q.items):
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}

// trace returns the state of trace id, creating it, and marks it as just used. A new trace may
// push the least recently used trace without parked spans out of the identity cache.
func (a *Assembler) trace(c *call, id pcommon.TraceID) *traceState {
	ts := a.traces[id]
	if ts == nil {
		ts = &traceState{id: id, nodes: make(map[pcommon.SpanID]*node, 4)}
		a.traces[id] = ts
		a.lru.pushBack(ts)
		if len(a.traces) > a.cfg.ResolvedMaxTraces {
			if h := a.lru.head; h != ts && h.parked == 0 {
				a.dropTrace(c, h)
			}
		}
	} else {
		a.lru.moveToBack(ts)
	}
	ts.lastSeen = c.now
	return ts
}

// expire drops traces that have been quiet for ResolvedTTL, and the least recently used ones past
// ResolvedMaxTraces. Traces still holding spans stay; their timers bound them.
func (a *Assembler) expire(c *call) {
	ttl := c.now - a.cfg.ResolvedTTL.Nanoseconds()
	for range len(a.traces) {
		h := a.lru.head
		if h == nil || (h.lastSeen > ttl && len(a.traces) <= a.cfg.ResolvedMaxTraces) {
			return
		}
		if h.parked > 0 {
			a.lru.moveToBack(h)
			continue
		}
		a.dropTrace(c, h)
	}
}

func (a *Assembler) dropTrace(c *call, ts *traceState) {
	if s := ts.synth; s != nil && s.dirty {
		a.patchSynth(c, ts)
	}
	ts.dropped = true
	a.lru.remove(ts)
	delete(a.traces, ts.id)
}

// addParked counts a node that starts holding a span body (parked or held).
func (a *Assembler) addParked(ts *traceState, n *node) {
	ts.parked++
	if ts.parked == 1 {
		a.parkedTraces.pushBack(ts)
	}
	a.parkedSpans++
	a.parkedBytes += n.bytes
}

// unpark uncounts a node whose body leaves the assembler.
func (a *Assembler) unpark(ts *traceState, n *node) {
	ts.parked--
	if ts.parked == 0 {
		a.parkedTraces.remove(ts)
	}
	a.parkedSpans--
	a.parkedBytes -= n.bytes
}
