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
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

func ledgerRuns(n int, patch bool) []langsmith.Run {
	runs := make([]langsmith.Run, n)
	for i := range runs {
		runs[i] = langsmith.Run{ID: uuid.New(), Patch: patch}
	}
	return runs
}

func TestLedgerRemembersDeliveredRunsAcrossARestart(t *testing.T) {
	ctx := context.Background()
	store := newMemStorage()
	first, err := loadLedger(ctx, store)
	require.NoError(t, err)
	assert.Empty(t, first.before, "a new storage knows nothing")

	posts, patches, never := ledgerRuns(100, false), ledgerRuns(3, true), ledgerRuns(5, false)
	require.NoError(t, first.record(ctx, posts))
	require.NoError(t, first.record(ctx, patches))

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
	assert.Equal(t, uint64(2), second.seq.Load(), "the ring goes on after the last record")
}

func TestLedgerRingForgetsTheOldest(t *testing.T) {
	ctx := context.Background()
	store := newMemStorage()
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	oldest := ledgerRuns(1, false)
	require.NoError(t, l.record(ctx, oldest))
	var newest []langsmith.Run
	for range ledgerRecords {
		newest = ledgerRuns(1, false)
		require.NoError(t, l.record(ctx, newest))
	}
	again, err := loadLedger(ctx, store)
	require.NoError(t, err)
	assert.False(t, again.delivered(&oldest[0]), "overwritten by the record ledgerRecords later")
	assert.True(t, again.delivered(&newest[0]))
	assert.Len(t, again.before, ledgerRecords)
}

func TestSkipDeliveredDropsOnlyKnownRuns(t *testing.T) {
	ctx := context.Background()
	store := newMemStorage()
	l, err := loadLedger(ctx, store)
	require.NoError(t, err)
	runs := ledgerRuns(6, false)
	require.NoError(t, l.record(ctx, []langsmith.Run{runs[1], runs[4]}))
	set := exportertest.NewNopSettings(metadata.Type)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	u := newUploader(createDefaultConfig().(*Config), set, tb)
	u.ledger, err = loadLedger(ctx, store)
	require.NoError(t, err)
	b := &runBatch{runs: append([]langsmith.Run(nil), runs...), spans: make([]spanRef, len(runs))}
	u.skipDelivered(ctx, b)
	require.Len(t, b.spans, 4)
	assert.Equal(t, []uuid.UUID{runs[0].ID, runs[2].ID, runs[3].ID, runs[5].ID},
		[]uuid.UUID{b.runs[0].ID, b.runs[1].ID, b.runs[2].ID, b.runs[3].ID})
}
