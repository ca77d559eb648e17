// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

func directConfig(t *testing.T, url string, inputs ...string) Config {
	cfg := baseConfig(t, inputs...)
	cfg.Direct = true
	cfg.Endpoint = url
	cfg.APIKey = emuKey
	cfg.Project = "direct"
	cfg.DrainTimeout = 30 * time.Second
	return cfg
}

// assertLandedOnce checks that every input run is in the emulator exactly once, under its
// replayed parent, with its name and type.
func assertLandedOnce(t *testing.T, emu *smithemu.Server, project string, input map[string]*origRun, seed string) {
	t.Helper()
	landed := emu.Runs(project)
	require.Len(t, landed, len(input), "every run landed, none twice")
	orig := byTail(NewIDMapper(seed), input)
	ids := map[string]string{} // old id → new id
	for _, r := range landed {
		assert.Equal(t, 1, r.Posts, "run %s (%s) posted once", r.ID, r.Name)
		o := orig[tailOf(r.ID)]
		require.NotNil(t, o, "run %s maps back to an input run", r.ID)
		ids[o.ID] = r.ID
		assert.Equal(t, o.Name, r.Name)
		assert.Equal(t, o.RunType, r.RunType)
	}
	for _, r := range landed {
		o := orig[tailOf(r.ID)]
		assert.Equal(t, ids[o.TraceID], r.TraceID)
		if o.ParentRunID != "" {
			assert.Equal(t, ids[o.ParentRunID], r.ParentRunID)
		} else {
			assert.Empty(t, r.ParentRunID)
		}
	}
}

func TestDirectReplayLandsEveryTree(t *testing.T) {
	emu, url := startEmulator(t)
	path := writeGenerated(t, 30, 3, false)
	s, err := Run(context.Background(), directConfig(t, url, path))
	require.NoError(t, err)
	assert.True(t, s.OK(), "failures: %v", s.Failures)
	assert.Equal(t, int64(30), s.Traces)
	assert.Equal(t, int64(30), s.TracesDelivered)
	assert.Equal(t, s.Runs, s.RunsDelivered)
	assert.Empty(t, s.FailedFile, "no failed file when everything landed")
	assert.Len(t, emu.Trees("direct"), 30)
	assertLandedOnce(t, emu, "direct", readRuns(t, path), "test-seed")
}

// A refused request and a 429 storm: the refused traces are written in final form, and
// replaying that file completes them without posting any run twice, including the runs of a
// trace that had partly landed.
func TestDirectReplayFailedFileReRunsWithoutDuplicates(t *testing.T) {
	emu, url := startEmulator(t)
	path := writeGenerated(t, 40, 4, true)
	input := readRuns(t, path)
	emu.InjectFaults(
		smithemu.Fault{Route: smithemu.RouteIngest, Count: 3, Status: http.StatusTooManyRequests},
		// A 403 refuses the whole request (a 400 or 422 would be split to find the bad run).
		smithemu.Fault{Route: smithemu.RouteIngest, Count: 1, Status: http.StatusForbidden, Body: `{"error":"Forbidden: scripted"}`},
	)
	cfg := directConfig(t, url, path)
	// One batch, which the exporter sends as 100-run requests: a trace straddling two of them
	// lands in part when one request is refused.
	cfg.BatchSpans, cfg.Concurrency = 1000, 1
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.False(t, s.OK())
	assert.Positive(t, s.TracesFailed)
	assert.Equal(t, int64(40), s.TracesFailed+s.TracesDelivered)
	assert.Greater(t, len(emu.Runs("direct")), int(s.RunsDelivered), "part of a failed trace landed")
	before := len(emu.Requests())
	require.Equal(t, cfg.FailedPath, s.FailedFile)
	assert.Contains(t, strings.Join(s.Failures, "\n"), "Forbidden: scripted")

	lines := readLines(t, s.FailedFile)
	assert.Len(t, lines, int(s.RunsFailed))
	for _, l := range lines {
		var r struct {
			Mark finalMark `json:"tracebridge_replay"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		assert.True(t, r.Mark.Final, "a sent trace is written in final form")
		assert.Contains(t, r.Mark.Error, "403")
	}
	assert.Empty(t, emu.PendingFaults())

	// The same command on the failed file: a different seed and a later clock change nothing,
	// because final runs keep their ids and times.
	again := directConfig(t, url, s.FailedFile)
	again.IDSeed = "another-seed"
	s2, err := Run(context.Background(), again)
	require.NoError(t, err)
	assert.True(t, s2.OK(), "failures: %v", s2.Failures)
	assert.Equal(t, s.TracesFailed, s2.TracesDelivered)
	conflicts := 0
	for _, r := range emu.Requests()[before:] {
		if r.Status == http.StatusConflict {
			conflicts++
		}
	}
	assert.Positive(t, conflicts, "the runs that had landed were recognized as duplicates")
	assert.Len(t, emu.Trees("direct"), 40)
	assertLandedOnce(t, emu, "direct", input, "test-seed")
}

func TestDirectReplayWrongKeyStopsAtOnce(t *testing.T) {
	emu, url := startEmulator(t)
	path := writeGenerated(t, 30, 5, false)
	cfg := directConfig(t, url, path)
	cfg.APIKey = "wrong-key"
	cfg.BatchSpans = 10
	cfg.Concurrency = 1
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.False(t, s.OK())
	assert.Equal(t, int64(30), s.TracesFailed)
	assert.Zero(t, s.TracesDelivered)
	assert.Contains(t, strings.Join(s.Failures, "\n"), "API key")
	assert.Empty(t, emu.Runs(""))
	attempts := 0
	for _, r := range emu.Requests() {
		if strings.HasSuffix(r.Path, "/runs/multipart") {
			attempts++
		}
	}
	assert.Less(t, attempts, 10, "the replay stopped sending after the key was refused")
}

func TestDirectReplayRecords(t *testing.T) {
	emu, url := startEmulator(t)
	path := writeRecords(t, 3, 3)
	cfg := directConfig(t, url, path)
	cfg.ShiftRecordsToNow = true
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.True(t, s.OK(), "failures: %v", s.Failures)
	assert.Equal(t, int64(9), s.RecordsDelivered)
	trees := emu.Trees("direct")
	require.Len(t, trees, 3)
	for _, tr := range trees {
		assert.Equal(t, "wallet-agent", tr.Run.Name)
		assert.Len(t, tr.Children, 3)
	}
}

// Runs spanning four days: shifted as one, all but the latest trace fall outside LangSmith's
// 24 h window; spread over the fit window, every trace lands.
func TestDirectReplaySpreadsAnInputLongerThanTheWindow(t *testing.T) {
	var lines []string
	for d := range 5 {
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", d+1)
		child := fmt.Sprintf("%08d-0000-4000-8000-000000000001", d+1)
		at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(d) * 26 * time.Hour)
		lines = append(lines,
			fmt.Sprintf(`{"id":%q,"trace_id":%q,"name":"agent","run_type":"chain","start_time":%q,"end_time":%q}`,
				id, id, at.Format(time.RFC3339Nano), at.Add(time.Second).Format(time.RFC3339Nano)),
			fmt.Sprintf(`{"id":%q,"trace_id":%q,"parent_run_id":%q,"name":"llm","run_type":"llm","start_time":%q,"end_time":%q}`,
				child, id, id, at.Add(100*time.Millisecond).Format(time.RFC3339Nano), at.Add(900*time.Millisecond).Format(time.RFC3339Nano)))
	}
	path := filepath.Join(t.TempDir(), "days.ndjson")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600))

	for _, tt := range []struct {
		window time.Duration
		landed int
	}{{0, 1}, {DefaultFitWindow, 5}} {
		t.Run(tt.window.String(), func(t *testing.T) {
			emu, url := startEmulator(t)
			cfg := directConfig(t, url, path)
			cfg.FitWindow = tt.window
			cfg.BatchSpans, cfg.Concurrency = 2, 1 // one trace per request
			s, err := Run(context.Background(), cfg)
			require.NoError(t, err)
			assert.Len(t, emu.Trees("direct"), tt.landed)
			assert.Equal(t, int64(tt.landed), s.TracesDelivered)
			for _, tr := range emu.Trees("direct") {
				require.Len(t, tr.Children, 1)
				assert.Equal(t, 100*time.Millisecond, tr.Children[0].Run.StartTime.Sub(tr.Run.StartTime), "each trace keeps its timing")
			}
		})
	}
}
