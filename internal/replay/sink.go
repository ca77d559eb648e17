// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"context"
	"sync"
)

// traceBatch is the traces one request carries. Traces are never split across batches, so a
// batch's outcome is each of its traces' outcome.
type traceBatch struct {
	traces []*tracePlan
	runs   int
	bytes  int
}

func (b *traceBatch) add(tp *tracePlan) {
	b.traces = append(b.traces, tp)
	b.runs += len(tp.runs)
	b.bytes += tp.size
}

// recordBatch is the Langfuse-style records one request carries.
type recordBatch struct {
	lines [][]byte // NDJSON lines as sent
	orig  [][]byte // the same records as read: written back when they were never sent
	final [][]byte // and in final form: written back when they were sent but not confirmed
}

func (b *recordBatch) add(line, orig, final []byte) {
	b.lines = append(b.lines, line)
	b.orig = append(b.orig, orig)
	b.final = append(b.final, final)
}

// split halves a batch.
func (b *recordBatch) split() (*recordBatch, *recordBatch) {
	m := len(b.lines) / 2
	return &recordBatch{lines: b.lines[:m], orig: b.orig[:m], final: b.final[:m]},
		&recordBatch{lines: b.lines[m:], orig: b.orig[m:], final: b.final[m:]}
}

// sink is where replayed data goes. Senders call it from several goroutines; it reports every
// trace and record to the ledger exactly once, at once or (direct) when the upload settles.
type sink interface {
	start(ctx context.Context) error
	sendTraces(ctx context.Context, b *traceBatch)
	sendRecords(ctx context.Context, b *recordBatch)
	// finish waits until everything sent has an outcome, then stops the sink.
	finish(ctx context.Context) error
	// describe names the destination for the log.
	describe() string
}

// fatalGate remembers the first error that refuses the whole replay. After it, batches are
// recorded as not sent instead of being tried, so a wrong key costs one request, not one per
// trace.
type fatalGate struct {
	mu  sync.Mutex
	err error
}

func (g *fatalGate) set(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
}

func (g *fatalGate) get() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}
