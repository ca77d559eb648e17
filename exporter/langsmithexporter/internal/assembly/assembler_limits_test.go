// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

func TestAssemblerEviction(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  func(*Config)
	}{
		{name: "span cap", cfg: func(c *Config) { c.MaxSpans = 4 }},
		{name: "byte cap", cfg: func(c *Config) { c.MaxBytes = 4*spanOverhead + 600 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := componenttestTelemetry(t)
			sink := new(consumertest.TracesSink)
			cfg := testAssemblyConfig()
			tt.cfg(&cfg)
			a, clk := newTestAssembler(t, cfg, sink, tel)
			// Trace 1 parks three spans, then trace 2 one: the buffer is full.
			require.NoError(t, a.ConsumeTraces(ctx, spans(
				sp{trace: 1, id: 2, parent: 1}, sp{trace: 1, id: 3, parent: 1}, sp{trace: 1, id: 4, parent: 3})))
			clk.advance(time.Second)
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 2, id: 2, parent: 1})))
			require.Zero(t, sink.SpanCount())

			// Two more: the oldest trace is flushed as it is (orphan policy) to make room.
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 3, id: 2, parent: 1}, sp{trace: 3, id: 3, parent: 1})))
			rels := released(t, sink.AllTraces())
			posts := checkTree(t, rels)
			assert.Len(t, posts, 4, "trace 1 and its synthesized root")
			for k := range posts {
				assert.Equal(t, tid(1), k.trace)
			}
			assert.Equal(t, 3, a.parkedSpans)
			assertEvictions(t, tel, 1)
			assertOrphans(t, tel, 2)
			assertParked(t, tel, 3)
		})
	}
}

func TestAssemblerBackpressure(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// reopen frees the queue up and returns how the pending-out batch gets to it.
		reopen func(a *Assembler, clk *testClock)
	}{
		{name: "flush loop", reopen: func(a *Assembler, clk *testClock) { a.flushDue(clk.advance(time.Second)) }},
		// The next call offers pending-out first and, once the queue took it, is taken itself.
		{name: "next call", reopen: func(*Assembler, *testClock) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := new(gate)
			next.closed.Store(true)
			a, clk := newTestAssembler(t, testAssemblyConfig(), next, nil)
			a.outbox.maxSpans, a.outbox.mergeSpans = 4, 4

			// Released spans the queue refuses are kept in pending-out; the sender is not failed.
			// A later refused batch is moved into the one waiting, so both go as one request.
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1})))
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 2, id: 1}, sp{trace: 2, id: 2, parent: 1})))
			assert.Equal(t, int64(4), a.outbox.pendingSpans.Load())
			assert.Len(t, a.outbox.pending, 1)

			// Pending-out is full, far below the caps: every batch is refused, retryably, and
			// nothing changes; pending-out does not grow behind the full queue.
			for _, batch := range [][]sp{
				{{trace: 3, id: 1}, {trace: 3, id: 2, parent: 1}}, // would be released
				{{trace: 4, id: 2, parent: 1}},                    // would be parked
			} {
				err := a.ConsumeTraces(ctx, spans(batch...))
				require.ErrorIs(t, err, errAssemblyFull)
				assert.False(t, consumererror.IsPermanent(err))
			}
			assert.Zero(t, a.parkedSpans)
			assert.Len(t, a.traces, 2)
			assert.Equal(t, int64(4), a.outbox.pendingSpans.Load())

			next.closed.Store(false)
			tt.reopen(a, clk)
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 3, id: 1})))
			all := next.sink.AllTraces()
			require.Len(t, all, 2, "the merged batch, then the new one")
			var order []byte
			for _, rs := range all[0].ResourceSpans().All() {
				for _, ss := range rs.ScopeSpans().All() {
					for _, span := range ss.Spans().All() {
						order = append(order, span.TraceID()[15])
					}
				}
			}
			assert.Equal(t, []byte{1, 1, 2, 2}, order, "pending-out first, in order")
			assert.Zero(t, a.outbox.pendingSpans.Load())
			assert.Zero(t, a.outbox.pendingBytes.Load())
			checkTree(t, released(t, all))
			assert.Equal(t, 5, next.sink.SpanCount())
		})
	}
}

func TestAssemblerBackpressureErrConsumer(t *testing.T) {
	ctx := context.Background()
	cfg := testAssemblyConfig()
	cfg.MaxSpans = 3
	a, _ := newTestAssembler(t, cfg, consumertest.NewErr(errQueueFull), nil)
	require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1})))
	require.ErrorIs(t, a.ConsumeTraces(ctx, spans(sp{trace: 2, id: 1}, sp{trace: 2, id: 2, parent: 1})), errAssemblyFull)
	// A batch that can never fit is refused permanently.
	err := a.ConsumeTraces(ctx, spans(sp{trace: 3, id: 1}, sp{trace: 3, id: 2}, sp{trace: 3, id: 3}, sp{trace: 3, id: 4}))
	assert.True(t, consumererror.IsPermanent(err))
	// Shutdown without storage reports what could not be handed over, once it has waited for
	// the queue as long as its context allows.
	stopCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorContains(t, a.Shutdown(stopCtx), "2 released spans could not be handed to the upload queue")
}

func TestAssemblerShutdown(t *testing.T) {
	ctx := context.Background()
	t.Run("flushes everything held", func(t *testing.T) {
		next := new(gate)
		a, _ := newTestAssembler(t, testAssemblyConfig(), next, nil)
		require.NoError(t, a.Start(ctx, componenttest.NewNopHost()))
		next.closed.Store(true)
		require.NoError(t, a.ConsumeTraces(ctx, spans(
			sp{trace: 1, id: 1},                               // released, refused: pending-out
			sp{trace: 1, id: 3, parent: 2},                    // parked: parent missing
			sp{trace: 2, id: 1, attrs: openAttr()},            // held: open
			sp{trace: 2, id: 2, parent: 1, start: 1},          // released under the open run
			sp{trace: 3, id: 2, parent: 1, attrs: openAttr()}, // parked and open
		)))
		next.closed.Store(false)
		require.NoError(t, a.Shutdown(ctx))
		rels := released(t, next.sink.AllTraces())
		posts := checkTree(t, rels)
		assert.Len(t, posts, 6, "5 spans and the synthesized root of trace 3")
		assert.Equal(t, sid(2).String(), posts[spanKey{tid(1), sid(3)}].orphanOf)
		assert.Equal(t, "true", attrStr(posts[spanKey{tid(2), sid(1)}].span, conventions.ObservationOpen), "uploaded in progress")
		assert.Zero(t, a.parkedSpans)

		require.NoError(t, a.Shutdown(ctx), "idempotent")
		require.ErrorIs(t, a.ConsumeTraces(ctx, spans(sp{trace: 4, id: 1})), errShutDown)
	})
	t.Run("without Start", func(t *testing.T) {
		a, _ := newTestAssembler(t, testAssemblyConfig(), consumertest.NewNop(), nil)
		require.NoError(t, a.Shutdown(ctx))
		require.NoError(t, a.Shutdown(ctx))
	})
}

func openAttr() map[string]any { return map[string]any{conventions.ObservationOpen: true} }

func TestAssemblerTickInterval(t *testing.T) {
	tests := []struct {
		orphan, open, want time.Duration
	}{
		{30 * time.Second, 5 * time.Minute, time.Second},
		{2 * time.Second, 5 * time.Minute, 500 * time.Millisecond},
		{10 * time.Millisecond, time.Minute, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tickInterval(Config{OrphanWait: tt.orphan, OpenRunWait: tt.open}))
	}
}

// The identity cache holds a node for every span of the traces released in the last
// ResolvedTTL: at 60k spans/s and the default TTL that is millions of nodes, so the node's size
// is a memory (and GC marking) bound. What only waiting nodes need lives in waitState.
func TestNodeStaysSmall(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(node{}), uintptr(112))
}
