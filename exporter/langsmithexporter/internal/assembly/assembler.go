// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

var (
	// errAssemblyFull is retryable on purpose: receivers answer 503/UNAVAILABLE and senders
	// back off, instead of the assembler dropping spans it cannot hold.
	errAssemblyFull = errors.New("trace assembly buffer is full")
	errShutDown     = errors.New("trace assembler is shut down")
)

// Assembler sits in front of the upload queue (next). It takes every span it is given (moved out
// of the batch, which is its own: see ingestTraces), parks it until the span's whole ancestor
// chain is known, then stamps the span with its run identity (langsmith.span.dotted_order, and
// any langsmith.span.id, langsmith.trace.id, langsmith.span.parent_id it came with, rewritten to
// agree) and hands it to next; a batch released whole goes on as it came (handon.go). A released span describes its run completely, so the queue may split
// batches anywhere and a persistent queue holds upload-ready data.
//
// Without `assembly::storage`, everything the assembler holds lives in memory only: a crash
// loses the parked spans (acknowledged to the sender but still waiting for an ancestor or for
// the end of an open observation), released batches that the queue refused and that wait in the
// pending-out buffer, and the identity cache of released traces (late children of those traces
// then wait OrphanWait and are uploaded as orphans). With storage, the first two survive a
// restart; the identity cache never does.
//
// Three rooms: the state machine (ingest, the timers and the synthesized roots decide; transition
// moves a node from one nodeState to the next), the journal that every transition tells what it
// kept and let go (storage-backed or a no-op), and the outbox that hands released batches to next
// and owns those next refused.
//
// One mutex guards the state. Everything that leaves it (storage writes and hand-offs to next)
// runs under sendMu, which is taken before mu is released, so it happens in the order the
// decisions were made: a patch never overtakes its post, and a storage delete never overtakes
// the write of the same key.
type Assembler struct {
	cfg    Config
	idMode langsmith.IDMode
	id     component.ID
	logger *zap.Logger
	tb     *metadata.TelemetryBuilder
	// now is the clock; tests replace it and call flushDue directly.
	now  func() time.Time
	seed maphash.Seed

	mu sync.Mutex
	// traces holds every trace the assembler knows: parked spans and the identity cache of
	// released ones.
	traces map[pcommon.TraceID]*traceState
	// lru orders all traces by last activity (expiry); parkedTraces orders the traces that hold
	// parked spans by when they started holding them (eviction: oldest first).
	lru          traceList
	parkedTraces traceList
	orphanQ      nodeQueue // parked spans, by park time: OrphanWait deadlines
	openQ        nodeQueue // held open observations, by hold time: OpenRunWait deadlines
	dirty        []*traceState
	parkedSpans  int
	parkedBytes  int64
	shut         bool
	callSeq      uint64
	scratch      call
	stats        assemblyStats
	// spanBySpan turns handOn off, so tests can compare both paths.
	spanBySpan bool

	// journal is written under both locks (Start) and read under either.
	journal journal

	sendMu sync.Mutex
	outbox outbox

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// assemblyStats counts what has no metric of its own; tests read it, logs report it.
type assemblyStats struct {
	clamped    int64 // children whose start was moved up to their parent's (clock skew)
	duplicates int64 // identical re-sends of released spans, dropped
	patches    int64 // changed re-sends of released runs, released as patches
	handedOn   int64 // input batches handed on whole (handOn)
}

// New returns an assembler that hands what it releases to next. id names the exporter, whose
// storage client the assembler gets under its own name; tb records its metrics.
func New(cfg Config, idMode langsmith.IDMode, id component.ID, logger *zap.Logger, tb *metadata.TelemetryBuilder, next consumer.Traces) *Assembler {
	return &Assembler{
		cfg:          cfg,
		idMode:       idMode,
		id:           id,
		logger:       logger,
		tb:           tb,
		now:          time.Now,
		seed:         maphash.MakeSeed(),
		traces:       make(map[pcommon.TraceID]*traceState),
		lru:          traceList{which: lruLinks},
		parkedTraces: traceList{which: parkedLinks},
		journal:      nopJournal{},
		outbox:       outbox{next: next, logger: logger, journal: nopJournal{}, maxSpans: PendingOutSpans, mergeSpans: pendingMergeSpans},
		stop:         make(chan struct{}),
	}
}

// LimitBatches makes the assembler hand next no batch of more than n spans (0, the default: no
// limit), cutting larger releases, and grow no batch waiting in pending-out past n: an upload
// queue sized in items refuses a request larger than its capacity, retryably and forever, which
// would block every later batch behind it. Call it before Start.
func (a *Assembler) LimitBatches(n int) {
	a.sendMu.Lock()
	defer a.sendMu.Unlock()
	a.outbox.maxBatch = max(n, 0)
	a.outbox.mergeSpans = pendingMergeSpans
	if n > 0 {
		a.outbox.mergeSpans = min(pendingMergeSpans, int64(n))
	}
}

// Start connects the storage extension, re-ingests what the previous run left parked, and
// starts the timer loop. next must already be started (the exporter starts it first).
func (a *Assembler) Start(ctx context.Context, host component.Host) error {
	if a.cfg.Storage != nil {
		client, err := a.storageClient(ctx, host)
		if err != nil {
			return err
		}
		j := &storeJournal{client: client, logger: a.logger}
		a.mu.Lock()
		a.sendMu.Lock()
		a.journal, a.outbox.journal = j, j
		a.sendMu.Unlock()
		a.mu.Unlock()
		if err := a.reload(ctx, j); err != nil {
			return err
		}
	}
	a.wg.Add(1)
	go a.loop(tickInterval(a.cfg))
	return nil
}

// tickInterval is a quarter of the shortest wait, so a deadline is missed by at most 25%, and at
// most a second, so expiry stays prompt with long waits.
func tickInterval(cfg Config) time.Duration {
	d := min(cfg.OrphanWait, cfg.OpenRunWait) / 4
	if d <= 0 || d > time.Second {
		d = time.Second
	}
	return max(d, 10*time.Millisecond)
}

func (a *Assembler) loop(interval time.Duration) {
	defer a.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			a.flushDue(a.now())
		}
	}
}

// ConsumeTraces takes td into the assembler. It releases what it can at once, in one batch, and
// parks the rest. It returns an error only when the batch was not kept: the buffer or the upload
// queue is full (state untouched) or parked spans could not be persisted (the sender's retry is
// merged, not doubled).
func (a *Assembler) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	n := td.SpanCount()
	if n == 0 {
		return nil
	}
	// The one pass over the spans' attributes, outside the lock: identity, content hash and size.
	// It also orders the batch parent first.
	bs := a.scanBatch(td)
	defer putScan(bs)

	a.mu.Lock()
	if a.shut {
		a.mu.Unlock()
		return errShutDown
	}
	c := a.beginCall(a.now())
	if err := a.admit(ctx, c, int64(n), bs.bytes); err != nil {
		a.mu.Unlock()
		return err
	}
	// Hand the batch on whole if it is released whole (handon.go); not when admission has
	// already put flushed traces into the release batch.
	c.direct = c.out == nil && !a.spanBySpan
	a.ingestTraces(c, bs)
	a.handOn(c, bs, td)
	return a.endCall(ctx, c, false)
}

// admit makes room for a batch of n spans and size bytes, or refuses it without touching state.
// A full upload queue pushes back soon: once the released batches it refused fill pending-out
// (outbox.maxSpans), every new batch is refused (retryably), so pending-out is not a second
// buffer as large as the caps behind a full queue. Those batches are offered again first, so the
// first call after the queue frees up is taken. Evicting parked traces only helps while next
// accepts what it is given, so it waits until pending-out is empty.
func (a *Assembler) admit(ctx context.Context, c *call, n, size int64) error {
	maxSpans, maxBytes := int64(a.cfg.MaxSpans), a.cfg.MaxBytes
	if n > maxSpans || size > maxBytes {
		return consumererror.NewPermanent(fmt.Errorf("a batch of %d spans (~%d bytes) exceeds `assembly::max_spans` or `assembly::max_bytes`", n, size))
	}
	if a.outbox.pendingSpans.Load() > 0 {
		// mu, then sendMu: the order endCall takes them in.
		a.sendMu.Lock()
		c.queueRefused = !a.outbox.drain(ctx)
		a.sendMu.Unlock()
	}
	pendS, pendB := a.outbox.pendingSpans.Load(), a.outbox.pendingBytes.Load()
	if pendS >= a.outbox.maxSpans {
		return fmt.Errorf("%w: the upload queue is full, %d released spans wait for it (%d spans parked)", errAssemblyFull, pendS, a.parkedSpans)
	}
	fits := func() bool {
		return int64(a.parkedSpans)+pendS+n <= maxSpans && a.parkedBytes+pendB+size <= maxBytes
	}
	if !fits() && (pendS > 0 || pendS+n > maxSpans || pendB+size > maxBytes) {
		return fmt.Errorf("%w: %d spans parked, %d released spans waiting for the upload queue", errAssemblyFull, a.parkedSpans, pendS)
	}
	for !fits() {
		if a.parkedTraces.head == nil {
			break
		}
		a.flushTrace(c, a.parkedTraces.head)
		c.evictions++
	}
	return nil
}

// flushDue applies the timers: orphans whose wait is over, open runs whose wait is over,
// synthesized roots to patch, expired identity cache, and a retry of pending-out batches.
func (a *Assembler) flushDue(now time.Time) {
	a.mu.Lock()
	if a.shut {
		a.mu.Unlock()
		return
	}
	c := a.beginCall(now)
	orphanDue := c.now - a.cfg.OrphanWait.Nanoseconds()
	for e, ok := a.orphanQ.peek(); ok && e.at <= orphanDue; e, ok = a.orphanQ.peek() {
		a.orphanQ.pop()
		if ts, n := a.queuedAt(e); n != nil && n.state == stateParked {
			a.orphan(c, ts, findTop(ts, n))
		}
	}
	openDue := c.now - a.cfg.OpenRunWait.Nanoseconds()
	for e, ok := a.openQ.peek(); ok && e.at <= openDue; e, ok = a.openQ.peek() {
		a.openQ.pop()
		if ts, n := a.queuedAt(e); n != nil && n.state == stateHeld {
			a.transition(c, ts, n, evEnd, body{})
		}
	}
	a.patchDirtyRoots(c, orphanDue)
	a.expire(c)
	_ = a.endCall(context.Background(), c, true)
}

// Shutdown hands everything still held to next (parked spans under the orphan policy, open runs
// as they are, pending-out retried once), stops the timer loop and closes the storage client.
// It is idempotent and safe without Start.
func (a *Assembler) Shutdown(ctx context.Context) error {
	a.stopOnce.Do(func() { close(a.stop) })
	stopped := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		return fmt.Errorf("assembler timer loop did not stop: %w", ctx.Err())
	}

	a.mu.Lock()
	if a.shut {
		a.mu.Unlock()
		return nil
	}
	a.shut = true
	c := a.beginCall(a.now())
	for a.parkedTraces.head != nil {
		a.flushTrace(c, a.parkedTraces.head)
	}
	a.patchDirtyRoots(c, c.now)
	err := a.endCall(ctx, c, true)

	a.sendMu.Lock()
	defer a.sendMu.Unlock()
	a.outbox.drainBeforeStop(ctx)
	if left := a.outbox.pendingSpans.Load(); left > 0 {
		if !a.journal.durable() {
			err = errors.Join(err, fmt.Errorf("%d released spans could not be handed to the upload queue and are lost", left))
		} else {
			a.logger.Warn("Released spans could not be handed to the upload queue; they stay in storage for the next start",
				zap.Int64("spans", left))
		}
	}
	return errors.Join(err, a.journal.close(ctx))
}
