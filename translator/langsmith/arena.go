// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// arenaChunk is the size of the blocks an Arena hands out: room for a hundred or so typical
// runs, small enough that a mostly empty last block wastes little.
const arenaChunk = 256 << 10

// Arena holds the JSON fields (inputs, outputs, events, extra) of many runs in a few large
// blocks that are reused from one batch to the next. The exporter translates every span it
// uploads; with a fresh buffer per run that JSON was a fifth of all the bytes the collector
// allocated, and so of its garbage-collection work.
//
// The runs an Arena translates point into it: Reset may be called only once none of them is
// used any more. An Arena is not safe for concurrent use.
type Arena struct {
	scratch []byte   // where one run's fields are written before they are kept
	blocks  [][]byte // blocks in use, the last one being filled
	spare   [][]byte // blocks Reset freed, reused first
	// res holds the metadata members of the resource the last run came from, since every span
	// of a ResourceSpans has the same ones. Valid until Reset: the exporter translates a
	// whole push between Resets and changes no resource meanwhile.
	res resourceMembers
	// parts is every run's room for a message's parts (see partRoom).
	parts partRoom
	// t is every run's working state (see translation.reuse).
	t translation
}

// SpanToRun is the package's SpanToRun with the run's JSON fields kept in the arena.
func (a *Arena) SpanToRun(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span, opts Options) (Run, error) {
	return spanToRun(res, scope, span, opts, a)
}

// Reset makes every block reusable. Runs translated before are invalid afterwards.
func (a *Arena) Reset() {
	a.res.forget()
	clear(a.parts[:]) // they and t point into the spans just translated
	a.t = translation{}
	for _, b := range a.blocks {
		a.spare = append(a.spare, b[:0])
	}
	clear(a.blocks)
	a.blocks = a.blocks[:0]
}

// buffer returns the scratch buffer, empty, with room for at least n bytes.
func (a *Arena) buffer(n int) []byte {
	if cap(a.scratch) < n {
		a.scratch = make([]byte, 0, max(n, 2*cap(a.scratch)))
	}
	return a.scratch[:0]
}

// keep copies b, a run's finished fields, into the current block and returns the copy; b (the
// scratch buffer, perhaps grown) becomes the next run's scratch. A run larger than a quarter
// block keeps b itself and the next run starts a fresh scratch, so neither the blocks nor the
// scratch hold on to the size of one huge prompt.
func (a *Arena) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > arenaChunk/4 {
		a.scratch = nil
		return b[:len(b):len(b)]
	}
	if cap(b) > cap(a.scratch) {
		a.scratch = b[:0]
	}
	var cur []byte
	if n := len(a.blocks); n > 0 {
		cur = a.blocks[n-1]
	}
	if cap(cur)-len(cur) < len(b) {
		if n := len(a.spare); n > 0 {
			cur = a.spare[n-1]
			a.spare[n-1] = nil
			a.spare = a.spare[:n-1]
		} else {
			cur = make([]byte, 0, arenaChunk)
		}
		a.blocks = append(a.blocks, cur)
	}
	off := len(cur)
	cur = append(cur, b...)
	a.blocks[len(a.blocks)-1] = cur
	return cur[off:len(cur):len(cur)]
}
