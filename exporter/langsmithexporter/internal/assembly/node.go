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
