// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package redrive

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/internal/smithemu"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// testRun is a run of trace traceNo, a root or a child of the root, started at start.
func testRun(traceNo byte, spanNo byte, rootStart, start time.Time, name string) langsmith.Run {
	tid := pcommon.TraceID{0xab, 15: traceNo}
	rootID := langsmith.RunID(langsmith.IDModeUUIDv7, tid, pcommon.SpanID{1}, rootStart)
	r := langsmith.Run{
		ID: rootID, TraceID: rootID, DottedOrder: langsmith.DottedSegment(rootStart, rootID),
		Name: name, RunType: "chain", SessionName: "redrive", StartTime: rootStart, EndTime: rootStart.Add(time.Second),
	}
	if spanNo > 1 {
		r.ID = langsmith.RunID(langsmith.IDModeUUIDv7, tid, pcommon.SpanID{spanNo}, start)
		r.ParentRunID = rootID
		r.DottedOrder += "." + langsmith.DottedSegment(start, r.ID)
		r.StartTime, r.EndTime = start, start.Add(time.Second)
	}
	return r
}

// writeDeadLetter writes a file in the exporter's format: a header, then one batch body per run.
func writeDeadLetter(t *testing.T, dir, name string, runs ...langsmith.Run) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"reason":"scripted","kind":"invalid","status":400,"runs":` + string(rune('0'+len(runs))) + "}\n")
	for i := range runs {
		b.Write(langsmith.AppendBatchJSON(nil, runs[i:i+1]))
		b.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o600))
}

func TestRedrive(t *testing.T) {
	cfg := smithemu.DefaultConfig()
	cfg.Now = func() time.Time { return now }
	emu := smithemu.New(cfg)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	fresh := now.Add(-time.Hour)
	stale := now.Add(-30 * time.Hour)
	long := strings.Repeat("a long generated name ", 10)
	invalid := testRun(4, 1, fresh, fresh, "bad type")
	invalid.RunType = "agent" // no repair makes this one acceptable
	writeDeadLetter(t, dir, "runs-1.jsonl", testRun(1, 1, fresh, fresh, "good"), testRun(2, 1, fresh, fresh, long))
	writeDeadLetter(t, dir, "runs-2.jsonl", testRun(3, 1, stale, stale, "stale root"), testRun(3, 2, stale, stale.Add(time.Millisecond), "stale child"))
	writeDeadLetter(t, dir, "runs-3.jsonl", invalid)

	base := Config{Endpoint: srv.URL, APIKey: "k", Now: func() time.Time { return now }}
	ctx := context.Background()

	// As they are: only the good run lands; the others are refused for their own reasons.
	sum, err := Run(ctx, dir, base)
	require.NoError(t, err)
	landed, already, refused := sum.Landed()
	assert.Equal(t, [3]int{1, 0, 4}, [3]int{landed, already, refused})
	var out bytes.Buffer
	sum.WriteText(&out)
	assert.Contains(t, out.String(), "is longer than 128 characters")
	assert.Contains(t, out.String(), "outside the accepted window")
	assert.Contains(t, out.String(), "re-drive: 1 runs landed, 0 were already there, 4 still refused")

	// Repaired and pruned: the long name is cut and the stale trace shifted whole; the run of an
	// invalid type stays refused, alone in its file.
	repair := base
	repair.CutNames, repair.ShiftWindow, repair.Prune = true, 24*time.Hour, true
	sum, err = Run(ctx, dir, repair)
	require.NoError(t, err)
	landed, already, refused = sum.Landed()
	assert.Equal(t, [3]int{3, 1, 1}, [3]int{landed, already, refused}, "the good run is already there")
	out.Reset()
	sum.WriteText(&out)
	assert.Contains(t, out.String(), "(repaired: name_cut 1, start_time_shifted 2)")
	files, _ := filepath.Glob(filepath.Join(dir, "runs-*.jsonl"))
	assert.Equal(t, []string{filepath.Join(dir, "runs-3.jsonl")}, files, "files whose runs all landed are removed")

	runs := emu.Runs("redrive")
	require.Len(t, runs, 4)
	for _, r := range runs {
		assert.Equal(t, 1, r.Posts, "run %s posted once", r.Name)
		assert.False(t, r.Unopenable, "run %s keeps id and start in step", r.Name)
		if strings.HasPrefix(r.Name, "a long") {
			assert.Equal(t, long, r.Extra["metadata"].(map[string]any)[langsmith.FullNameKey])
		}
	}
	trees := emu.Trees("redrive")
	assert.Len(t, trees, 3, "the shifted child hangs under its shifted root")

	// A second re-drive of the same files (no prune this time) never duplicates.
	writeDeadLetter(t, dir, "runs-2.jsonl", testRun(3, 1, stale, stale, "stale root"), testRun(3, 2, stale, stale.Add(time.Millisecond), "stale child"))
	repair.Prune = false
	sum, err = Run(ctx, dir, repair)
	require.NoError(t, err)
	landed, already, refused = sum.Landed()
	assert.Equal(t, [3]int{0, 2, 1}, [3]int{landed, already, refused})
	for _, r := range emu.Runs("redrive") {
		assert.Equal(t, 1, r.Posts)
	}
	// Repaired runs that landed leave their file even without prune: a re-drive on a later day
	// would shift them again, under new ids.
	assert.NoFileExists(t, filepath.Join(dir, "runs-2.jsonl"))
	var header map[string]any
	content, err := os.ReadFile(filepath.Join(dir, "runs-3.jsonl"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(bytes.SplitN(content, []byte("\n"), 2)[0], &header))
	assert.Equal(t, "invalid", header["kind"])
}
