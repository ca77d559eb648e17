// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// call is the bookkeeping of one pass under the lock (a ConsumeTraces, a flushDue, a reload or
// the Shutdown flush). Its slices are reused between passes; only out leaves the lock.
type call struct {
	seq      uint64
	now      int64 // unix nanoseconds
	out      *outBatch
	synths   []*traceState // traces whose synthesized root is created at the end of the pass
	released []*node       // nodes released in this pass (not as patches), with their out spans
	outs     []ptrace.Span
	stack    []*node
	// direct: the pass may hand its input batch on whole (see handOn); inPlace lists the input
	// spans it released meanwhile, stamped where they are, in release order.
	direct  bool
	inPlace []inPlaceSpan

	// queueRefused: the upload queue refused a pending-out batch earlier in this pass (admit's
	// drain), so offering again before the pass ends would only pay a second refusal.
	queueRefused bool

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
		synths:       c.synths[:0],
		released:     c.released[:0],
		outs:         c.outs[:0],
		stack:        c.stack[:0],
		inPlace:      c.inPlace[:0],
		parkedBefore: a.parkedSpans,
		statsBefore:  a.stats,
	}
	return c
}

// outOf returns n's released copy when this pass released it: it is still the pass's, so a second
// version of the span in the same batch merges into it instead of becoming a patch.
func (c *call) outOf(n *node) (ptrace.Span, bool) {
	// A node is released (not as a patch) once, and released is cleared after each pass, so only
	// that pass finds n at its index.
	if i := int(n.outIdx); i < len(c.released) && c.released[i] == n {
		return c.outs[i], true
	}
	return ptrace.Span{}, false
}

// batch is the pass's release batch, created on first use.
func (c *call) batch() *outBatch {
	if c.out == nil {
		c.out = &outBatch{td: ptrace.NewTraces()}
	}
	return c.out
}

// endCall finishes a pass: creates the pending synthesized roots, records metrics, seals the
// journal's writes, then hands over to sendMu and releases mu, writes them and sends the batch. drain retries pending-out batches
// even when the pass released nothing (the flush loop and Shutdown).
func (a *Assembler) endCall(ctx context.Context, c *call, drain bool) error {
	for _, ts := range c.synths {
		a.finishSynth(c, ts)
	}
	sets := a.journal.seal()
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
	refused := c.queueRefused // c is the scratch call: read it before mu is released
	// The scratch slices are reused; drop their pointers so dropped traces can be collected.
	clear(c.synths)
	clear(c.released)
	clear(c.outs)
	clear(c.inPlace)

	a.sendMu.Lock()
	a.mu.Unlock()
	defer a.sendMu.Unlock()

	var err error
	if err = a.journal.commit(ctx, sets); err != nil {
		err = fmt.Errorf("cannot persist parked spans: %w", err)
	}
	a.outbox.send(ctx, out, drain, refused)
	return err
}
