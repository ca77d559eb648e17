// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
)

// itemsQueue stands for an upload queue sized in items: it refuses, retryably, a batch larger
// than its capacity (exporterhelper's memory queue answers "element size too large", its
// persistent queue "sending queue is full", forever), and takes `room` batches (-1: any number)
// before it refuses as a full queue.
type itemsQueue struct {
	capacity int
	room     int
	sink     consumertest.TracesSink
}

var errSizeTooLarge = errors.New("element size too large")

func (q *itemsQueue) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if td.SpanCount() > q.capacity {
		return errSizeTooLarge
	}
	if q.room == 0 {
		return errQueueFull
	}
	if q.room > 0 {
		q.room--
	}
	return q.sink.ConsumeTraces(ctx, td)
}

func (*itemsQueue) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (q *itemsQueue) sizes() []int {
	var out []int
	for _, td := range q.sink.AllTraces() {
		out = append(out, td.SpanCount())
	}
	return out
}

// sevenSpanTrace parks six children, then their root releases all seven in one pass.
func sevenSpanTrace(t *testing.T, a *Assembler) {
	t.Helper()
	ctx := context.Background()
	for id := byte(2); id <= 7; id++ {
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: id, parent: 1, start: int(id)})))
	}
	require.Equal(t, 6, a.parkedSpans)
	require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1})))
}

// TestAssemblerLimitBatches: a release larger than the limit goes to next cut into parts of at
// most the limit, in order, each part's spans under their resource and scope; without the limit,
// a queue whose capacity is smaller than the release never takes it.
func TestAssemblerLimitBatches(t *testing.T) {
	t.Run("limited", func(t *testing.T) {
		next := &itemsQueue{capacity: 3, room: -1}
		a, _ := newTestAssembler(t, testAssemblyConfig(), next, nil)
		a.LimitBatches(3)
		sevenSpanTrace(t, a)
		assert.Equal(t, []int{3, 3, 1}, next.sizes())
		assert.Zero(t, a.outbox.pendingSpans.Load())
		var order []byte
		for _, td := range next.sink.AllTraces() {
			for _, rs := range td.ResourceSpans().All() {
				v, ok := rs.Resource().Attributes().Get("service.name")
				require.True(t, ok)
				assert.Equal(t, "test", v.Str())
				for _, ss := range rs.ScopeSpans().All() {
					assert.Equal(t, "test-scope", ss.Scope().Name())
					for _, span := range ss.Spans().All() {
						order = append(order, span.SpanID()[7])
					}
				}
			}
		}
		assert.Equal(t, []byte{1, 2, 3, 4, 5, 6, 7}, order, "parent first, as released")
		checkTree(t, released(t, next.sink.AllTraces()))
		require.NoError(t, a.Shutdown(context.Background()))
	})
	t.Run("unlimited", func(t *testing.T) {
		next := &itemsQueue{capacity: 3, room: -1}
		a, clk := newTestAssembler(t, testAssemblyConfig(), next, nil)
		sevenSpanTrace(t, a)
		a.flushDue(clk.advance(time.Second))
		assert.Zero(t, next.sink.SpanCount())
		assert.Equal(t, int64(7), a.outbox.pendingSpans.Load(), "stuck in pending-out")
	})
}

// TestAssemblerLimitBatchesMerge: batches waiting in pending-out grow by merging only up to the
// limit.
func TestAssemblerLimitBatchesMerge(t *testing.T) {
	ctx := context.Background()
	next := &itemsQueue{capacity: 2, room: 0}
	a, clk := newTestAssembler(t, testAssemblyConfig(), next, nil)
	a.LimitBatches(2)
	for trace := byte(1); trace <= 3; trace++ {
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: trace, id: 1})))
	}
	assert.Len(t, a.outbox.pending, 2, "1+1 merged, the third alone")
	next.room = -1
	a.flushDue(clk.advance(time.Second))
	assert.Equal(t, []int{2, 1}, next.sizes())
	require.NoError(t, a.Shutdown(ctx))
}

// TestAssemblerStorageLimitBatches: with storage, each cut part the queue refuses is stored under
// its own key, and the parked copies are let go with the last part, so a crash after part of a
// cut release was taken loses nothing; a batch stored before the limit was lowered is cut when it
// is reloaded, its key deleted once its last part is taken.
func TestAssemblerStorageLimitBatches(t *testing.T) {
	ctx := context.Background()
	outKeys := func(t *testing.T, client *storagetest.Mem) int {
		t.Helper()
		n := 0
		for _, k := range client.Keys() {
			require.True(t, strings.HasPrefix(k, outKeyPrefix), "no parked copy is left: %s", k)
			n++
		}
		return n
	}
	t.Run("cut when released", func(t *testing.T) {
		client := storagetest.NewMem()
		next := &itemsQueue{capacity: 3, room: 1}
		a1, _ := newTestAssembler(t, storageConfig(), next, nil)
		a1.LimitBatches(3)
		require.NoError(t, a1.Start(ctx, storageHost(client)))
		sevenSpanTrace(t, a1)
		assert.Equal(t, []int{3}, next.sizes(), "the first part taken, then the queue is full")
		assert.Equal(t, 2, outKeys(t, client), "the two refused parts")
		crash(a1)

		next2 := &itemsQueue{capacity: 3, room: -1}
		a2, clk := newTestAssembler(t, storageConfig(), next2, nil)
		a2.LimitBatches(3)
		require.NoError(t, a2.Start(ctx, storageHost(client)))
		a2.flushDue(clk.advance(time.Second))
		assert.Equal(t, []int{3, 1}, next2.sizes())
		assert.Empty(t, client.Keys())
		all := append(next.sink.AllTraces(), next2.sink.AllTraces()...)
		checkTree(t, released(t, all))
		require.NoError(t, a2.Shutdown(ctx))
	})
	t.Run("cut when reloaded", func(t *testing.T) {
		client := storagetest.NewMem()
		next := &itemsQueue{capacity: 100, room: 0}
		a1, _ := newTestAssembler(t, storageConfig(), next, nil)
		require.NoError(t, a1.Start(ctx, storageHost(client)))
		sevenSpanTrace(t, a1)
		require.Equal(t, 1, outKeys(t, client), "one refused batch of seven")
		crash(a1)

		next2 := &itemsQueue{capacity: 3, room: 2}
		a2, clk := newTestAssembler(t, storageConfig(), next2, nil)
		a2.LimitBatches(3)
		require.NoError(t, a2.Start(ctx, storageHost(client)))
		assert.Equal(t, []int{3, 3}, next2.sizes(), "the reload offers pending-out at once")
		assert.Equal(t, int64(1), a2.outbox.pendingSpans.Load())
		assert.Equal(t, 1, outKeys(t, client), "kept until its last part is taken")
		next2.room = -1
		a2.flushDue(clk.advance(time.Second))
		assert.Equal(t, []int{3, 3, 1}, next2.sizes())
		assert.Empty(t, client.Keys())
		assert.Zero(t, a2.outbox.pendingBytes.Load())
		checkTree(t, released(t, next2.sink.AllTraces()))
		require.NoError(t, a2.Shutdown(ctx))
	})
}
