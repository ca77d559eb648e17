// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
)

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
	n := ts.nodes.get(e.span)
	if n == nil || n.wait == nil || n.wait.since != e.at {
		return nil, nil
	}
	return ts, n
}

// enqueue records that n starts waiting now in q.
func enqueue(q *nodeQueue, ts *traceState, n *node, now int64) {
	n.waiting().since = now
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
