// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

func ledgerRuns(n int, patch bool) []langsmith.Run {
	runs := make([]langsmith.Run, n)
	for i := range runs {
		runs[i] = langsmith.Run{ID: uuid.New(), Patch: patch}
	}
	return runs
}

// record writes runs as one delivered request.
func record(t *testing.T, l *deliveredLedger, runs []langsmith.Run) {
	t.Helper()
	n, err := l.sent(context.Background(), runs)
	require.NoError(t, err)
	require.NoError(t, l.answered(context.Background(), n, true, runs))
}

func TestLedgerGroupsRunsByTheRequestInFlight(t *testing.T) {
	ctx := context.Background()
	store := storagetest.NewMem()
	first, err := loadLedger(ctx, store)
	require.NoError(t, err)
	a, b, fresh := ledgerRuns(3, false), ledgerRuns(2, false), ledgerRuns(2, false)
	for _, g := range [][]langsmith.Run{a, b} {
		_, err := first.sent(ctx, g)
		require.NoError(t, err)
	}
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	mixed := []langsmith.Run{fresh[0], b[0], a[0], a[1], fresh[1], b[1], a[2]}
	spans := make([]spanRef, len(mixed))
	bounds := l.groupInFlight(mixed, spans)
	assert.Equal(t, []int{3, 5, 7}, bounds)
	ids := func(rs []langsmith.Run) []uuid.UUID {
		out := make([]uuid.UUID, len(rs))
		for i := range rs {
			out[i] = rs[i].ID
		}
		return out
	}
	assert.Equal(t, ids(a), ids(mixed[:3]), "the first request's runs, in their order")
	assert.Equal(t, ids(b), ids(mixed[3:5]))
	assert.Equal(t, ids(fresh), ids(mixed[5:]), "runs of no earlier request last")
}

func TestLedgerRemembersDeliveredRunsAcrossARestart(t *testing.T) {
	ctx := context.Background()
	store := storagetest.NewMem()
	first, err := loadLedger(ctx, store)
	require.NoError(t, err)
	assert.Empty(t, first.before, "a new storage knows nothing")

	posts, patches, never := ledgerRuns(100, false), ledgerRuns(3, true), ledgerRuns(5, false)
	record(t, first, posts)
	record(t, first, patches)
	inFlight := ledgerRuns(4, false)
	_, err = first.sent(ctx, inFlight) // no answer: the process dies
	require.NoError(t, err)
	refused := ledgerRuns(2, false)
	n, err := first.sent(ctx, refused)
	require.NoError(t, err)
	require.NoError(t, first.answered(ctx, n, false, refused))

	// The restarted process loads what the first delivered.
	second, err := loadLedger(ctx, store)
	require.NoError(t, err)
	for i := range posts {
		assert.True(t, second.delivered(&posts[i]))
	}
	for i := range patches {
		assert.True(t, second.delivered(&patches[i]))
		asPost := patches[i]
		asPost.Patch = false
		assert.False(t, second.delivered(&asPost), "a delivered patch says nothing of the post")
	}
	for i := range never {
		assert.False(t, second.delivered(&never[i]))
	}
	ok := second.inFlight(inFlight)
	assert.True(t, ok, "the runs of the request in flight are known as one group")
	ok = second.inFlight(refused)
	assert.False(t, ok, "an answered request is no group")
	for i := range refused {
		assert.False(t, second.delivered(&refused[i]))
	}
	ok = second.inFlight(append(append([]langsmith.Run(nil), inFlight...), never[0]))
	assert.False(t, ok, "a run of no group breaks it")
	assert.Equal(t, uint64(4), second.seq.Load(), "the ring goes on after the last record")
}

func TestLedgerRingForgetsTheOldest(t *testing.T) {
	ctx := context.Background()
	store := storagetest.NewMem()
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	oldest := ledgerRuns(1, false)
	record(t, l, oldest)
	var newest []langsmith.Run
	for range ledgerRecords {
		newest = ledgerRuns(1, false)
		record(t, l, newest)
	}
	again, err := loadLedger(ctx, store)
	require.NoError(t, err)
	assert.False(t, again.delivered(&oldest[0]), "overwritten by the record ledgerRecords later")
	assert.True(t, again.delivered(&newest[0]))
	assert.Len(t, again.before, ledgerRecords)
}

func TestSkipDeliveredDropsOnlyKnownRuns(t *testing.T) {
	ctx := context.Background()
	store := storagetest.NewMem()
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	runs := ledgerRuns(6, false)
	record(t, l, []langsmith.Run{runs[1], runs[4]})
	u := uploaderWithLedger(t, store)
	b := &runBatch{runs: append([]langsmith.Run(nil), runs...), spans: make([]spanRef, len(runs))}
	u.skipDelivered(ctx, b)
	require.Len(t, b.spans, 4)
	assert.Equal(t, []uuid.UUID{runs[0].ID, runs[2].ID, runs[3].ID, runs[5].ID},
		[]uuid.UUID{b.runs[0].ID, b.runs[1].ID, b.runs[2].ID, b.runs[3].ID})
}

// A run can be patched many times under one id (Langfuse-style updates, a synthesized root's
// completion): a patch delivered before a restart says nothing of a later one.
func TestSkipDeliveredKeepsPatches(t *testing.T) {
	ctx := context.Background()
	store := storagetest.NewMem()
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	patches := ledgerRuns(2, true)
	record(t, l, patches)
	u := uploaderWithLedger(t, store)
	b := &runBatch{runs: append([]langsmith.Run(nil), patches...), spans: make([]spanRef, len(patches))}
	u.skipDelivered(ctx, b)
	assert.Len(t, b.runs, 2, "a later patch of a delivered run is sent again")
}

// uploaderWithLedger is an uploader reading the delivered ledger a previous process left in store.
func uploaderWithLedger(t *testing.T, store *storagetest.Mem) *uploader {
	t.Helper()
	set := exportertest.NewNopSettings(metadata.Type)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	u := newUploader(createDefaultConfig().(*Config), set, tb)
	u.ledger, err = loadLedger(context.Background(), store)
	require.NoError(t, err)
	return u
}

// An answer that comes after the ring has gone round leaves the newer record in its slot.
func TestLedgerLateAnswerKeepsTheNewerRecord(t *testing.T) {
	ctx := context.Background()
	store := storagetest.NewMem()
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	slow := ledgerRuns(1, false)
	n, err := l.sent(ctx, slow)
	require.NoError(t, err)
	var newest []langsmith.Run
	for range ledgerRecords {
		newest = ledgerRuns(1, false)
		record(t, l, newest)
	}
	require.NoError(t, l.answered(ctx, n, true, slow))
	again, err := loadLedger(ctx, store)
	require.NoError(t, err)
	assert.True(t, again.delivered(&newest[0]), "the record that took slot n's place is still there")
}
