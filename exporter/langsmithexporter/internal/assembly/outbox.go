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

// drainBeforeStop keeps offering pending-out batches to the upload queue for a while: the queue
// is still sending (it drains after the assembler stops), so a queue that was full a moment ago
// takes them soon. Bounded by ctx and by shutdownDrainWait. Must hold sendMu.
func (a *Assembler) drainBeforeStop(ctx context.Context) {
	if a.pendingSpans.Load() == 0 {
		return
	}
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	giveUp := time.NewTimer(shutdownDrainWait)
	defer giveUp.Stop()
	for a.pendingSpans.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-giveUp.C:
			return
		case <-ticker.C:
			a.drainPending(ctx)
		}
	}
}

// shutdownDrainWait bounds how long a stop waits for a full upload queue to take released spans.
const shutdownDrainWait = 10 * time.Second
