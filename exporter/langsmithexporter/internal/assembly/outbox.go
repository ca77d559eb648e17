// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// outKeyPrefix: o/<sequence, 16 hex digits> is one released batch the upload queue refused.
const outKeyPrefix = "o/"

// outbox hands released batches to next, the upload queue. It owns pending-out, the batches next
// refused, oldest first, and their storage keys. Guarded by the assembler's sendMu, except the
// counts, which admission reads under mu.
type outbox struct {
	next    consumer.Traces
	logger  *zap.Logger
	journal journal

	pending      []*outBatch
	pendingSpans atomic.Int64
	pendingBytes atomic.Int64
	seq          uint64
	// maxSpans is how many released spans pending-out takes before the assembler refuses new
	// batches (admit); mergeSpans how large a waiting batch grows when later refused ones are
	// moved into it.
	maxSpans, mergeSpans int64
	// maxBatch is the most spans one batch handed to next may hold (0: no limit): a queue sized
	// in items refuses a request larger than its capacity for good (see LimitBatches).
	maxBatch int
}

const (
	// PendingOutSpans is outbox.maxSpans, the default batch::max_size: a few MB of spans.
	PendingOutSpans = 5000
	// pendingMergeSpans is outbox.mergeSpans (at most maxBatch). Merging is what lets a full
	// queue sized in requests (`sizer: requests`) still carry small requests (one raw record
	// each): each request freed takes a merged batch instead of one span. It stays about one
	// OTLP request (SDKs send up to 512 spans), so merging does not make queued requests larger
	// than senders' own, and the queue's capacity keeps bounding the spans it holds. A queue
	// sized in items takes a merged batch as it takes the spans one by one.
	pendingMergeSpans = 256
)

// send hands a released batch to next, behind any batch already waiting, cut to maxBatch spans
// (a queue counted in items refuses a larger one forever). A refused batch or part waits in
// pending-out (counted against the caps) rather than being lost, and so does every part after
// it; the caller is not failed for it, because the spans are kept. refused says the queue
// already refused a batch in this pass: a full queue of one-record requests would otherwise be
// offered (and log and refuse) twice per request; what waits is offered again by the next pass,
// as after any refusal.
func (o *outbox) send(ctx context.Context, out *outBatch, drain, refused bool) {
	if out != nil && out.td.SpanCount() > 0 {
		out.spans = out.td.SpanCount()
		parts := []*outBatch{out}
		if o.maxBatch > 0 && out.spans > o.maxBatch {
			parts = cutBatch(out, o.maxBatch)
		}
		for _, part := range parts {
			if len(o.pending) == 0 {
				if o.offer(ctx, part.td) {
					o.journal.remove(ctx, part.deletes, "")
					continue
				}
				refused = true
			}
			o.push(ctx, part)
		}
		drain = !refused && len(o.pending) > 0
	}
	if drain {
		o.drain(ctx)
	}
}

// push puts a refused batch in pending-out and, with storage, stores it there in place of the
// parked copies of its spans.
func (o *outbox) push(ctx context.Context, out *outBatch) {
	out.bytes = batchBytes(out.td)
	if o.journal.durable() {
		o.seq++
		out.key = fmt.Sprintf("%s%016x", outKeyPrefix, o.seq)
		if b, err := marshalTraces(out.td); err == nil {
			if err := o.journal.save(ctx, out.key, b, out.deletes); err != nil {
				o.logger.Warn("Cannot persist a pending-out batch; it is kept in memory only", zap.Error(err))
				out.key = ""
			} else {
				out.deletes = nil
			}
		} else {
			out.key = ""
		}
	}
	o.pendingSpans.Add(int64(out.spans))
	o.pendingBytes.Add(out.bytes)
	if n := len(o.pending); n > 0 && int64(o.pending[n-1].spans+out.spans) <= o.mergeSpans {
		// Into the batch waiting last, so it is offered as one request; in order, as its spans
		// came after. Stored, it keeps its own key until the merged batch is taken.
		tail := o.pending[n-1]
		out.td.ResourceSpans().MoveAndAppendTo(tail.td.ResourceSpans())
		tail.spans += out.spans
		tail.bytes += out.bytes
		tail.deletes = append(tail.deletes, out.deletes...)
		if out.key != "" {
			tail.merged = append(tail.merged, out.key)
		}
		return
	}
	o.pending = append(o.pending, out)
}

// offer hands released spans to the upload queue and reports whether they left the assembler.
// A retryable refusal (the queue is full) keeps them here to try again. A permanent one cannot
// get better by waiting, and keeping the batch would block every later one behind it, so it is
// logged and dropped; the exporter's Config.Validate rules out the queue settings that can cause
// it.
func (o *outbox) offer(ctx context.Context, td ptrace.Traces) bool {
	err := o.next.ConsumeTraces(ctx, td)
	switch {
	case err == nil:
		return true
	case consumererror.IsPermanent(err):
		o.logger.Error("Upload queue refused released spans permanently; they are dropped",
			zap.Int("spans", td.SpanCount()), zap.Error(err))
		return true
	default:
		o.logger.Debug("Upload queue refused released spans; keeping them in pending-out", zap.Error(err))
		return false
	}
}

// drain offers the pending-out batches to next in order and stops at the first refusal, keeping
// their order. It reports whether pending-out is empty afterwards.
func (o *outbox) drain(ctx context.Context) bool {
	sent := 0
	for _, b := range o.pending {
		if !o.offer(ctx, b.td) {
			break
		}
		o.journal.remove(ctx, b.deletes, b.key)
		for _, key := range b.merged {
			o.journal.remove(ctx, nil, key)
		}
		o.pendingSpans.Add(-int64(b.spans))
		o.pendingBytes.Add(-b.bytes)
		sent++
	}
	if sent > 0 {
		n := copy(o.pending, o.pending[sent:])
		clear(o.pending[n:])
		o.pending = o.pending[:n]
	}
	return len(o.pending) == 0
}

// drainBeforeStop keeps offering pending-out batches to the upload queue for a while: the queue
// is still sending (it drains after the assembler stops), so a queue that was full a moment ago
// takes them soon. Bounded by ctx and by shutdownDrainWait.
func (o *outbox) drainBeforeStop(ctx context.Context) {
	if o.pendingSpans.Load() == 0 {
		return
	}
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	giveUp := time.NewTimer(shutdownDrainWait)
	defer giveUp.Stop()
	for o.pendingSpans.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-giveUp.C:
			return
		case <-ticker.C:
			o.drain(ctx)
		}
	}
}

// shutdownDrainWait bounds how long a stop waits for a full upload queue to take released spans.
const shutdownDrainWait = 10 * time.Second

// restore puts the batches a previous run left in pending-out back, in order and ahead of anything
// new, and returns the keys it could not read.
func (o *outbox) restore(entries []storedEntry) (corrupt []string) {
	slices.SortFunc(entries, func(x, y storedEntry) int { return strings.Compare(x.key, y.key) })
	for _, e := range entries {
		td, err := unmarshalTraces(e.value)
		if err != nil {
			corrupt = append(corrupt, e.key)
			continue
		}
		if seq, err := strconv.ParseUint(strings.TrimPrefix(e.key, outKeyPrefix), 16, 64); err == nil {
			o.seq = max(o.seq, seq)
		}
		b := &outBatch{td: td, spans: td.SpanCount(), key: e.key}
		parts := []*outBatch{b}
		if o.maxBatch > 0 && b.spans > o.maxBatch {
			// Stored before the queue's capacity was lowered: cut, the stored key going with
			// the last part (cutBatch).
			parts = cutBatch(b, o.maxBatch)
		}
		for _, p := range parts {
			p.bytes = batchBytes(p.td)
			o.pending = append(o.pending, p)
			o.pendingSpans.Add(int64(p.spans))
			o.pendingBytes.Add(p.bytes)
		}
	}
	return corrupt
}
