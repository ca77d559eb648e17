// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// nodeState is where a span is in its life in the assembler. It only moves forward, and only in
// transition (the events there say when).
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
// for ({run id, dotted order, segment start, content hash, open}). The cache holds every span of
// the traces released in the last ResolvedTTL, so the node is kept small (104 bytes, two
// pointers): what only a waiting node needs is in wait, and the run's trace and parent run IDs
// are in its dotted order.
type node struct {
	spanID   pcommon.SpanID
	parentID pcommon.SpanID // OTel parent (the trace-level span ID for parentless Langfuse records)
	startUs  int64          // span start, unix microseconds
	segUs    int64          // dotted_order segment start: startUs clamped to the parent's segUs
	runID    uuid.UUID
	dotted   string
	// hashes are the content hashes of the two latest distinct versions received, so a retry of
	// either is recognized after release.
	hashes [2]uint64
	// wait is what a node holds while it waits: its kept body (parked and held nodes) and the
	// spans parked under it. Released nodes drop it.
	wait *waitState
	// outIdx is the node's index in call.released while the pass that released it runs (see
	// call.outOf).
	outIdx int32

	state    nodeState
	rootRun  bool // a root run: no parent run
	open     bool // the latest version is an open observation
	orphaned bool // released without its parent (orphan policy); parentID names the missing one
	stored   bool // a parked copy is in storage under its key
	synth    bool // the trace's synthesized root
	ownID    bool // the run ID came with the span (langsmith.span.id), so clamping keeps it
}

// waitState is a node's while it waits (see node.wait).
type waitState struct {
	since   int64 // when it was parked or held: the time of its deadline queue entry
	span    ptrace.Span
	origin  *origin
	bytes   int64
	waiters []*node // parked children waiting for this node's identity
}

func (n *node) resolved() bool { return n.state >= stateHeld }

// waiting returns n's wait state, creating it.
func (n *node) waiting() *waitState {
	if n.wait == nil {
		n.wait = &waitState{}
	}
	return n.wait
}

// tidy drops the wait state of a released node that nothing waits for any more.
func (n *node) tidy() {
	if n.state == stateReleased && n.wait != nil && len(n.wait.waiters) == 0 {
		n.wait = nil
	}
}

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

	// The scope's spans are batchScan.spans[start:start+count]. handOn's filled and firstOut:
	// how many of its positions are assigned, and its place among the scopes in release order.
	start, count     int32
	filled, firstOut int32
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
