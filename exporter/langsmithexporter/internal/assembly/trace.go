// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// traceState is everything the assembler knows about one OTel trace.
type traceState struct {
	id    pcommon.TraceID
	nodes nodeSet
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
	if p := ts.nodes.get(otelParent); p != nil && p.resolved() && p.runID == id {
		return p
	}
	if [8]byte(id[:8]) == [8]byte{} {
		if p := ts.nodes.get(pcommon.SpanID(id[8:])); p != nil && p.resolved() {
			return p
		}
	}
	for n := range ts.nodes.all() {
		if n.resolved() && n.runID == id {
			return n
		}
	}
	return nil
}

// trace returns the state of trace id, creating it, and marks it as just used. A new trace may
// push the least recently used trace without parked spans out of the identity cache.
func (a *Assembler) trace(c *call, id pcommon.TraceID) *traceState {
	ts := a.traces[id]
	if ts == nil {
		ts = &traceState{id: id}
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
