// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// call is the bookkeeping of one pass under the lock (a ConsumeTraces, a flushDue, a reload or
// the Shutdown flush). Its slices are reused between passes; only out leaves the lock.
type call struct {
	seq       uint64
	now       int64 // unix nanoseconds
	out       *outBatch
	toStore   []*node       // spans parked or changed in this pass: written to storage at the end
	synths    []*traceState // traces whose synthesized root is created at the end of the pass
	released  []*node       // nodes whose out span must be forgotten at the end of the pass
	stack     []*node
	reloading bool // spans come from storage: already stored, not counted against the caps

	parkedBefore int
	statsBefore  assemblyStats
	orphans      int64
	evictions    int64
}

func (a *Assembler) beginCall(now time.Time) *call {
	a.callSeq++
	c := &a.scratch
	*c = call{
		seq:          a.callSeq,
		now:          now.UnixNano(),
		toStore:      c.toStore[:0],
		synths:       c.synths[:0],
		released:     c.released[:0],
		stack:        c.stack[:0],
		parkedBefore: a.parkedSpans,
		statsBefore:  a.stats,
	}
	return c
}

// batch is the pass's release batch, created on first use.
func (c *call) batch() *outBatch {
	if c.out == nil {
		c.out = &outBatch{td: ptrace.NewTraces(), groups: make(map[*origin]ptrace.SpanSlice)}
	}
	return c.out
}

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
}

func (b *outBatch) slice(o *origin) ptrace.SpanSlice {
	if b.last == o {
		return b.lastSlice
	}
	s, ok := b.groups[o]
	if !ok {
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

// endCall finishes a pass: creates the pending synthesized roots, records metrics, computes the
// storage writes, then hands over to sendMu and releases mu. drain retries pending-out batches
// even when the pass released nothing (the flush loop and Shutdown).
func (a *Assembler) endCall(ctx context.Context, c *call, drain bool) error {
	for _, ts := range c.synths {
		a.finishSynth(c, ts)
	}
	for _, n := range c.released {
		n.out = ptrace.Span{}
	}
	var sets []*storage.Operation
	if a.cfg.Storage != nil && !c.reloading {
		sets = a.storeOps(c)
	}
	if d := a.parkedSpans - c.parkedBefore; d != 0 {
		a.tb.ExporterLangsmithAssemblySpansParked.Add(ctx, int64(d))
	}
	if c.orphans > 0 {
		a.tb.ExporterLangsmithAssemblyOrphans.Add(ctx, c.orphans)
	}
	if d := a.stats.clamped - c.statsBefore.clamped; d > 0 {
		a.tb.ExporterLangsmithAssemblyClamped.Add(ctx, d)
	}
	if d := a.stats.duplicates - c.statsBefore.duplicates; d > 0 {
		a.tb.ExporterLangsmithAssemblyDuplicates.Add(ctx, d)
	}
	if d := a.stats.patches - c.statsBefore.patches; d > 0 {
		a.tb.ExporterLangsmithAssemblyPatches.Add(ctx, d)
	}
	if c.evictions > 0 {
		a.tb.ExporterLangsmithAssemblyEvictions.Add(ctx, c.evictions)
		a.logger.Info("Assembly buffer full: flushed the oldest traces as they are",
			zap.Int64("traces", c.evictions), zap.Int("spans_parked", a.parkedSpans))
	}
	out := c.out
	c.out = nil
	// The scratch slices are reused; drop their pointers so dropped traces can be collected.
	clear(c.toStore)
	clear(c.synths)
	clear(c.released)

	a.sendMu.Lock()
	a.mu.Unlock()
	defer a.sendMu.Unlock()

	var err error
	if a.client != nil {
		if err = a.persist(ctx, sets); err != nil {
			err = fmt.Errorf("cannot persist parked spans: %w", err)
		}
	}
	a.send(ctx, out, drain)
	return err
}

// send hands a released batch to next, behind any batch already waiting. A refused batch waits in
// pending-out (counted against the caps) rather than being lost; the caller is not failed for
// it, because the spans are kept. Must hold sendMu.
func (a *Assembler) send(ctx context.Context, out *outBatch, drain bool) {
	if out != nil && out.td.SpanCount() > 0 {
		out.spans = out.td.SpanCount()
		if len(a.pending) == 0 {
			if a.offer(ctx, out.td) {
				a.deleteKeys(ctx, out.deletes, "")
				return
			}
		}
		a.pushPending(ctx, out)
		drain = true
	}
	if drain {
		a.drainPending(ctx)
	}
}

func (a *Assembler) pushPending(ctx context.Context, out *outBatch) {
	out.bytes = batchBytes(out.td)
	if a.client != nil {
		// Persist the batch itself and drop the parked copies in one storage batch, so a restart
		// finds each span exactly once.
		a.outSeq++
		out.key = fmt.Sprintf("%s%016x", outKeyPrefix, a.outSeq)
		ops := make([]*storage.Operation, 0, len(out.deletes)+1)
		if b, err := marshalTraces(out.td); err == nil {
			ops = append(ops, storage.SetOperation(out.key, b))
			for _, k := range out.deletes {
				ops = append(ops, storage.DeleteOperation(k))
				delete(a.unsaved, k)
			}
			if err := a.client.Batch(ctx, ops...); err != nil {
				a.logger.Warn("Cannot persist a pending-out batch; it is kept in memory only", zap.Error(err))
				out.key = ""
			} else {
				out.deletes = nil
			}
		} else {
			out.key = ""
		}
	}
	a.pending = append(a.pending, out)
	a.pendingSpans.Add(int64(out.spans))
	a.pendingBytes.Add(out.bytes)
}

// offer hands released spans to the upload queue and reports whether they left the assembler.
// A retryable refusal (the queue is full) keeps them here to try again. A permanent one cannot
// get better by waiting, and keeping the batch would block every later one behind it, so it is
// logged and dropped; Config.Validate rules out the queue settings that can cause it.
func (a *Assembler) offer(ctx context.Context, td ptrace.Traces) bool {
	err := a.next.ConsumeTraces(ctx, td)
	switch {
	case err == nil:
		return true
	case consumererror.IsPermanent(err):
		a.logger.Error("Upload queue refused released spans permanently; they are dropped",
			zap.Int("spans", td.SpanCount()), zap.Error(err))
		return true
	default:
		a.logger.Debug("Upload queue refused released spans; keeping them in pending-out", zap.Error(err))
		return false
	}
}

// drainPending offers the pending-out batches to next in order and stops at the first refusal,
// keeping their order. Must hold sendMu.
func (a *Assembler) drainPending(ctx context.Context) {
	sent := 0
	for _, b := range a.pending {
		if !a.offer(ctx, b.td) {
			break
		}
		a.deleteKeys(ctx, b.deletes, b.key)
		a.pendingSpans.Add(-int64(b.spans))
		a.pendingBytes.Add(-b.bytes)
		sent++
	}
	if sent > 0 {
		n := copy(a.pending, a.pending[sent:])
		clear(a.pending[n:])
		a.pending = a.pending[:n]
	}
}
