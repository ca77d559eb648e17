// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
)

var storageID = component.MustNewID("file_storage")

func storageConfig() Config {
	cfg := testAssemblyConfig()
	cfg.Storage = &storageID
	return cfg
}

func storageHost(client *storagetest.Mem) component.Host {
	return storagetest.HostWith(storageID, client)
}

type notStorage struct {
	component.StartFunc
	component.ShutdownFunc
}

// crash stops the timer loop without flushing anything, as a killed process would.
func crash(a *Assembler) {
	a.stopOnce.Do(func() { close(a.stop) })
	a.wg.Wait()
}

func TestAssemblerStorageErrors(t *testing.T) {
	tests := []struct {
		name string
		host component.Host
		want string
	}{
		{name: "missing", host: componenttest.NewNopHost(), want: "not found"},
		{name: "not a storage extension", host: storagetest.Host{storageID: notStorage{}}, want: "is not a storage extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestAssembler(t, storageConfig(), consumertest.NewNop(), nil)
			err := a.Start(context.Background(), tt.host)
			require.ErrorContains(t, err, "`assembly::storage`")
			require.ErrorContains(t, err, tt.want)
			require.NoError(t, a.Shutdown(context.Background()))
		})
	}
}

func TestAssemblerStorageRestart(t *testing.T) {
	ctx := context.Background()
	client := storagetest.NewMem()

	sink1 := new(consumertest.TracesSink)
	a1, _ := newTestAssembler(t, storageConfig(), sink1, nil)
	require.NoError(t, a1.Start(ctx, storageHost(client)))
	require.NoError(t, a1.ConsumeTraces(ctx, spans(
		sp{trace: 1, id: 3, parent: 2, start: 2}, sp{trace: 1, id: 2, parent: 1, start: 1}, // parked
		sp{trace: 2, id: 1}, // released at once: never stored
	)))
	assert.Equal(t, 1, sink1.SpanCount())
	keys := client.Keys()
	require.Len(t, keys, 2, "parked spans are written before ConsumeTraces returns")
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, parkedKeyPrefix+tid(1).String()), k)
	}
	crash(a1)

	sink2 := new(consumertest.TracesSink)
	a2, _ := newTestAssembler(t, storageConfig(), sink2, nil)
	require.NoError(t, a2.Start(ctx, storageHost(client)))
	assert.Equal(t, 2, a2.parkedSpans, "reloaded")
	assert.Zero(t, sink2.SpanCount())

	require.NoError(t, a2.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1})))
	posts := checkTree(t, released(t, sink2.AllTraces()))
	assert.Len(t, posts, 3)
	assert.Equal(t, sid(2), parentOf(posts)[spanKey{tid(1), sid(3)}])
	assert.Empty(t, client.Keys(), "deleted once released")
	require.NoError(t, a2.Shutdown(ctx))
	assert.Equal(t, 1, client.Closes())
}

func TestAssemblerStorageReloadReleases(t *testing.T) {
	// A reloaded span whose parent is reloaded too is released by Start itself, and deleted.
	ctx := context.Background()
	client := storagetest.NewMem()
	a1, _ := newTestAssembler(t, storageConfig(), consumertest.NewNop(), nil)
	require.NoError(t, a1.Start(ctx, storageHost(client)))
	open := sp{trace: 1, id: 1, attrs: openAttr()} // held, so stored
	require.NoError(t, a1.ConsumeTraces(ctx, spans(open, sp{trace: 1, id: 3, parent: 2, start: 2})))
	require.Len(t, client.Keys(), 2)
	crash(a1)

	sink := new(consumertest.TracesSink)
	a2, clk := newTestAssembler(t, storageConfig(), sink, nil)
	require.NoError(t, a2.Start(ctx, storageHost(client)))
	assert.Equal(t, 2, a2.parkedSpans)
	a2.flushDue(clk.advance(a2.cfg.OrphanWait))
	assert.Equal(t, 1, sink.SpanCount(), "the orphan, under the (still open) root")
	require.NoError(t, a2.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, end: 9})))
	checkTree(t, released(t, sink.AllTraces()))
	assert.Empty(t, client.Keys())
	require.NoError(t, a2.Shutdown(ctx))
}

func TestAssemblerStorageReplayReleasesFromInput(t *testing.T) {
	// A crash between a pass's writes and its deletes can leave a parked child stored beside its
	// held parent. The reload holds the parent again and releases the child straight from what
	// it read: the child's key must go, or every later start would send it again.
	ctx := context.Background()
	stash := func(td ptrace.Traces) *storagetest.Mem {
		client := storagetest.NewMem()
		a, _ := newTestAssembler(t, storageConfig(), consumertest.NewNop(), nil)
		require.NoError(t, a.Start(ctx, storageHost(client)))
		require.NoError(t, a.ConsumeTraces(ctx, td))
		crash(a)
		return client
	}
	client := stash(spans(sp{trace: 1, id: 1, attrs: openAttr()}))  // the parent, held
	child := stash(spans(sp{trace: 1, id: 2, parent: 1, start: 1})) // the child, parked
	parentKeys := client.Keys()
	require.Len(t, parentKeys, 1)
	for _, k := range child.Keys() {
		v, err := child.Get(ctx, k)
		require.NoError(t, err)
		require.NoError(t, client.Set(ctx, k, v))
	}
	require.Len(t, client.Keys(), 2)

	sink := new(consumertest.TracesSink)
	a, _ := newTestAssembler(t, storageConfig(), sink, nil)
	require.NoError(t, a.Start(ctx, storageHost(client)))
	assert.Equal(t, 1, sink.SpanCount(), "the child, released by the reload")
	assert.Equal(t, 1, a.parkedSpans, "the parent, held")
	assert.Equal(t, parentKeys, client.Keys(), "the released child's key is deleted")
	require.NoError(t, a.Shutdown(ctx))
}

func TestAssemblerStoragePendingOut(t *testing.T) {
	ctx := context.Background()
	client := storagetest.NewMem()
	next := new(gate)
	next.closed.Store(true)
	a1, _ := newTestAssembler(t, storageConfig(), next, nil)
	require.NoError(t, a1.Start(ctx, storageHost(client)))
	require.NoError(t, a1.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1, start: 1})))
	require.NoError(t, a1.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1})))
	keys := client.Keys()
	require.Len(t, keys, 1, "the refused batch replaces the parked copy")
	assert.True(t, strings.HasPrefix(keys[0], outKeyPrefix))
	crash(a1)

	next2 := new(gate)
	next2.closed.Store(true)
	a2, clk := newTestAssembler(t, storageConfig(), next2, nil)
	require.NoError(t, a2.Start(ctx, storageHost(client)))
	assert.Equal(t, int64(2), a2.outbox.pendingSpans.Load(), "back in pending-out")
	next2.closed.Store(false)
	a2.flushDue(clk.advance(time.Second))
	assert.Equal(t, 2, next2.sink.SpanCount())
	assert.Zero(t, a2.outbox.pendingSpans.Load())
	checkTree(t, released(t, next2.sink.AllTraces()))
	assert.Empty(t, client.Keys())
	require.NoError(t, a2.Shutdown(ctx))
}

// TestAssemblerStoragePendingOutMerged: a refused batch moved into the one waiting in pending-out
// keeps its own stored copy, so a crash loses neither; once the merged batch is taken, every key
// it carries is deleted.
func TestAssemblerStoragePendingOutMerged(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		crash bool
	}{
		{name: "taken"},
		{name: "crash, then taken", crash: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := storagetest.NewMem()
			next := new(gate)
			next.closed.Store(true)
			a, clk := newTestAssembler(t, storageConfig(), next, nil)
			require.NoError(t, a.Start(ctx, storageHost(client)))
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1})))
			require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 2, id: 1}, sp{trace: 2, id: 2, parent: 1})))
			require.Len(t, a.outbox.pending, 1, "merged")
			keys := client.Keys()
			require.Len(t, keys, 2, "each refused batch stored under its own key")
			for _, k := range keys {
				assert.True(t, strings.HasPrefix(k, outKeyPrefix), k)
			}
			if tt.crash {
				crash(a)
				next = new(gate)
				next.closed.Store(true)
				a, clk = newTestAssembler(t, storageConfig(), next, nil)
				require.NoError(t, a.Start(ctx, storageHost(client)))
			}
			assert.Equal(t, int64(3), a.outbox.pendingSpans.Load())
			next.closed.Store(false)
			a.flushDue(clk.advance(time.Second))
			assert.Equal(t, 3, next.sink.SpanCount())
			assert.Zero(t, a.outbox.pendingSpans.Load())
			checkTree(t, released(t, next.sink.AllTraces()))
			assert.Empty(t, client.Keys())
			require.NoError(t, a.Shutdown(ctx))
		})
	}
}

func TestAssemblerStorageWriteFailure(t *testing.T) {
	ctx := context.Background()
	client := storagetest.NewMem()
	a, _ := newTestAssembler(t, storageConfig(), consumertest.NewNop(), nil)
	require.NoError(t, a.Start(ctx, storageHost(client)))
	client.FailSet.Store(true)
	err := a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1}))
	require.ErrorContains(t, err, "cannot persist parked spans")
	assert.Equal(t, 1, a.parkedSpans, "kept in memory")

	// The sender's retry is merged, and the write is retried first.
	client.FailSet.Store(false)
	require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1})))
	assert.Len(t, client.Keys(), 1)
	assert.Equal(t, 1, a.parkedSpans)
	require.NoError(t, a.Shutdown(ctx))
	assert.Empty(t, client.Keys())
}

func TestAssemblerStorageReloadTraces(t *testing.T) {
	// A restart in the middle of a multi-batch trace ends with the same tree as no restart.
	ctx := context.Background()
	r, a, b, c := treeSpans(1)
	client := storagetest.NewMem()
	asm1, _ := newTestAssembler(t, storageConfig(), consumertest.NewNop(), nil)
	require.NoError(t, asm1.Start(ctx, storageHost(client)))
	require.NoError(t, asm1.ConsumeTraces(ctx, spans(b, c)))
	crash(asm1)

	sink := new(consumertest.TracesSink)
	asm2, _ := newTestAssembler(t, storageConfig(), sink, nil)
	require.NoError(t, asm2.Start(ctx, storageHost(client)))
	require.NoError(t, asm2.ConsumeTraces(ctx, spans(a)))
	require.NoError(t, asm2.ConsumeTraces(ctx, spans(r)))
	posts := checkTree(t, released(t, sink.AllTraces()))
	assert.Len(t, posts, 4)
	assert.Empty(t, client.Keys())
	require.NoError(t, asm2.Shutdown(ctx))
}
