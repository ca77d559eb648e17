// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// outBatch is what one pass releases: one ptrace.Traces, grouped by where the spans came from, so
// the queue sees one ResourceSpans per origin rather than one per span.
type outBatch struct {
	td        ptrace.Traces
	groups    map[*origin]ptrace.SpanSlice
	last      *origin
	lastSlice ptrace.SpanSlice
	spans     int
	bytes     int64    // estimated when the batch waits in pending-out
	deletes   []string // storage keys of parked copies, deleted once next has the batch
	key       string   // storage key of the batch itself while it waits in pending-out
	// merged are the storage keys of later refused batches moved into this one in pending-out
	// (outbox.push), removed with it once next has it.
	merged []string
}

func (b *outBatch) slice(o *origin) ptrace.SpanSlice {
	if b.last == o {
		return b.lastSlice
	}
	s, ok := b.groups[o]
	if !ok {
		if b.groups == nil {
			b.groups = make(map[*origin]ptrace.SpanSlice)
		}
		rs := b.td.ResourceSpans().AppendEmpty()
		o.rs.Resource().CopyTo(rs.Resource())
		rs.SetSchemaUrl(o.rs.SchemaUrl())
		src := o.scope()
		ss := rs.ScopeSpans().AppendEmpty()
		src.Scope().CopyTo(ss.Scope())
		ss.SetSchemaUrl(src.SchemaUrl())
		s = ss.Spans()
		b.groups[o] = s
	}
	b.last, b.lastSlice = o, s
	return s
}
