// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

const sampleFile = "../../testdata/replay/agent-traces-50.json"

// BenchmarkDirectReplay replays the committed sample straight to an in-process emulator: the
// whole path (two passes, planning, spans, the exporter's assembly, queue, multipart and zstd,
// the emulator's validation). runs/s is the figure to compare.
func BenchmarkDirectReplay(b *testing.B) {
	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = map[string]string{emuKey: ""}
	emu := smithemu.New(cfg)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	var runs int64
	b.ReportAllocs()
	for b.Loop() {
		emu.Reset()
		s, err := Run(context.Background(), Config{
			Inputs: []string{sampleFile}, Direct: true, Endpoint: srv.URL, APIKey: emuKey, Project: "bench",
			NewIDs: true, ShiftToNow: true, Progress: ProgressNone, TempDir: b.TempDir(),
			FailedPath: filepath.Join(b.TempDir(), "failed.ndjson"),
		})
		require.NoError(b, err)
		require.True(b, s.OK(), "failures: %v", s.Failures)
		runs += s.RunsDelivered
	}
	b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkPlanAndBuildSpans is the replay's own CPU cost per trace: parse, plan, build spans.
func BenchmarkPlanAndBuildSpans(b *testing.B) {
	_, groups := readGenerated(b, 50, 1)
	ids := NewIDMapper("bench")
	runs := 0
	for _, g := range groups {
		runs += len(g.items)
	}
	b.ReportAllocs()
	for b.Loop() {
		plans := make([]*tracePlan, 0, len(groups))
		for _, g := range groups {
			tp, err := planTrace(g, planOptions{shift: time.Hour, ids: ids})
			if err != nil {
				b.Fatal(err)
			}
			plans = append(plans, tp)
		}
		_ = batchTraces(plans, "bench")
	}
	b.ReportMetric(float64(runs*b.N)/b.Elapsed().Seconds(), "runs/s")
}
