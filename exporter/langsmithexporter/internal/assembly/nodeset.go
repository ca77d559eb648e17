// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"iter"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// smallTrace is how many nodes a trace holds inline before it takes a map: agent traces have a
// handful of spans, and a map (its header and first group) cost more than the trace state itself.
const smallTrace = 8

// nodeSet is a trace's nodes by span ID: inline up to smallTrace, then in a map. Nodes are only
// ever added.
type nodeSet struct {
	small [smallTrace]*node
	n     int
	big   map[pcommon.SpanID]*node // every node, once there are more than smallTrace
}

func (s *nodeSet) get(id pcommon.SpanID) *node {
	if s.big != nil {
		return s.big[id]
	}
	for _, n := range s.small[:s.n] {
		if n.spanID == id {
			return n
		}
	}
	return nil
}

// add puts n, whose span ID is not in s yet.
func (s *nodeSet) add(n *node) {
	if s.big == nil {
		if s.n < len(s.small) {
			s.small[s.n] = n
			s.n++
			return
		}
		s.big = make(map[pcommon.SpanID]*node, 2*smallTrace)
		for _, m := range s.small[:s.n] {
			s.big[m.spanID] = m
		}
		s.small, s.n = [smallTrace]*node{}, 0
	}
	s.big[n.spanID] = n
}

func (s *nodeSet) len() int {
	if s.big != nil {
		return len(s.big)
	}
	return s.n
}

// all yields every node, in no particular order.
func (s *nodeSet) all() iter.Seq[*node] {
	return func(yield func(*node) bool) {
		if s.big != nil {
			for _, n := range s.big {
				if !yield(n) {
					return
				}
			}
			return
		}
		for _, n := range s.small[:s.n] {
			if !yield(n) {
				return
			}
		}
	}
}
