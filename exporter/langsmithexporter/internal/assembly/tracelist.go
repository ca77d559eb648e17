// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

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
