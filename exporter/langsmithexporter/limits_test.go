// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/internal/smithemu"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// shiftTrace moves every span of td by d.
func shiftTrace(td ptrace.Traces, d time.Duration) ptrace.Traces {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				span.SetStartTimestamp(pcommon.NewTimestampFromTime(span.StartTimestamp().AsTime().Add(d)))
				span.SetEndTimestamp(pcommon.NewTimestampFromTime(span.EndTimestamp().AsTime().Add(d)))
			}
		}
	}
	return td
}

// merged puts several traces into one batch, so that their runs share requests.
func merged(tds ...ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range tds {
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

type deadLetterFile struct {
	header deadLetterHeader
	runs   []map[string]any
}

func readDeadLetters(t *testing.T, dir string) []deadLetterFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "runs-*.jsonl"))
	require.NoError(t, err)
	var out []deadLetterFile
	for _, p := range paths {
		f, err := os.Open(p)
		require.NoError(t, err)
		var dl deadLetterFile
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for first := true; sc.Scan(); first = false {
			if first {
				require.NoError(t, json.Unmarshal(sc.Bytes(), &dl.header))
				continue
			}
			var body map[string][]map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &body))
			dl.runs = append(dl.runs, append(body["post"], body["patch"]...)...)
		}
		require.NoError(t, f.Close())
		out = append(out, dl)
	}
	return out
}

// TestExporterKeepsGoodRunsApartFromBadOnes mixes good traces with each kind of run LangSmith
// refuses, in one batch: every good run lands once, and only the bad ones are repaired or
// dead-lettered, each file with the reason that applies to its runs.
func TestExporterKeepsGoodRunsApartFromBadOnes(t *testing.T) {
	longName := strings.Repeat("ChannelRead<['raw_conversation', 'messages']> ", 4)
	tests := []struct {
		name      string
		emu       func(*smithemu.Config)
		cfg       func(*Config)
		bad       func() ptrace.Traces
		delivered int            // runs stored, good and repaired
		dead      map[string]int // dead-lettered runs by reason
		check     func(t *testing.T, h *exporterHarness)
	}{
		{
			name: "stale trace is isolated and dead-lettered",
			bad:  func() ptrace.Traces { return shiftTrace(testTrace(9, 3), -30*time.Hour) },
			dead: map[string]int{reasonWindow: 3}, delivered: 12,
		},
		{
			name: "stale trace is shifted into the window, whole",
			cfg:  func(c *Config) { c.Limits.OutOfWindow = WindowShift },
			bad:  func() ptrace.Traces { return shiftTrace(testTrace(9, 3), -30*time.Hour) },
			dead: map[string]int{}, delivered: 15,
			check: func(t *testing.T, h *exporterHarness) {
				var shifted []*smithemu.TreeNode
				for _, root := range h.emu.Trees("exporter-test") {
					if time.Since(root.Run.StartTime) > 5*time.Hour {
						shifted = append(shifted, root)
					}
				}
				require.Len(t, shifted, 1, "one trace moved by a whole day")
				n := 0
				shifted[0].Walk(func(*smithemu.TreeNode, int) { n++ })
				assert.Equal(t, 3, n, "the shifted trace keeps its tree")
			},
		},
		{
			name: "long name is cut, whole in metadata",
			bad: func() ptrace.Traces {
				td := testTrace(9, 2)
				td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).SetName(longName)
				return td
			},
			dead: map[string]int{}, delivered: 14,
			check: func(t *testing.T, h *exporterHarness) {
				for _, r := range h.emu.Runs("exporter-test") {
					if strings.HasPrefix(longName, strings.TrimSuffix(r.Name, "…")) && r.Name != longName && len(r.Name) > 20 {
						assert.Equal(t, longName, r.Extra["metadata"].(map[string]any)[langsmith.FullNameKey])
						return
					}
				}
				t.Fatal("no cut run found")
			},
		},
		{
			name: "LangSmith refuses runs past its per-trace cap: split until they stand alone",
			emu:  func(c *smithemu.Config) { c.MaxRunsPerTrace = 4 },
			cfg:  func(c *Config) { c.Limits.MaxRunsPerTrace = 0 },
			bad:  func() ptrace.Traces { return testTrace(9, 6) },
			dead: map[string]int{reasonTraceCap: 2}, delivered: 16,
		},
		{
			name: "the exporter's own cap dead-letters without sending",
			cfg:  func(c *Config) { c.Limits.MaxRunsPerTrace = 4 },
			bad:  func() ptrace.Traces { return testTrace(9, 6) },
			dead: map[string]int{reasonTraceCap: 2}, delivered: 16,
		},
		{
			name: "a shifted stale trace past the exporter's own cap",
			cfg: func(c *Config) {
				c.Limits.OutOfWindow = WindowShift
				c.Limits.MaxRunsPerTrace = 4
			},
			bad:  func() ptrace.Traces { return shiftTrace(testTrace(9, 6), -30*time.Hour) },
			dead: map[string]int{reasonTraceCap: 2}, delivered: 16,
		},
		{
			name: "uncompressed-only instance",
			emu:  func(c *smithemu.Config) { c.UncompressedOnly = true },
			bad:  func() ptrace.Traces { return testTrace(9, 1) },
			dead: map[string]int{}, delivered: 13,
			check: func(t *testing.T, h *exporterHarness) {
				for _, r := range h.emu.Requests() {
					assert.Empty(t, r.Headers["content-encoding"], "%s %s", r.Method, r.Path)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emuCfg := smithemu.DefaultConfig()
			if tt.emu != nil {
				tt.emu(&emuCfg)
			}
			dir := t.TempDir()
			h := newHarness(t, emuCfg, func(c *Config) {
				c.DeadLetterDirectory = dir
				if tt.cfg != nil {
					tt.cfg(c)
				}
			})
			td := merged(testTrace(1, 4), tt.bad(), testTrace(2, 4), testTrace(3, 4))
			require.NoError(t, h.exporter.ConsumeTraces(context.Background(), td))
			h.requireExactlyOnce(t, tt.delivered)

			want := 0
			for _, n := range tt.dead {
				want += n
			}
			var files []deadLetterFile
			require.Eventually(t, func() bool {
				files = readDeadLetters(t, dir)
				n := 0
				for _, f := range files {
					n += len(f.runs)
				}
				return n == want
			}, 10*time.Second, 10*time.Millisecond)
			got := map[string]int{}
			for _, f := range files {
				got[f.header.Kind] += len(f.runs)
				assert.Equal(t, len(f.runs), f.header.Runs)
				for _, r := range f.runs {
					assert.Contains(t, r["name"], "step-", "only runs of the bad trace are dead-lettered")
					assert.Equal(t, "ab00000000000000000000000000000"+"9", r["extra"].(map[string]any)["metadata"].(map[string]any)["otel_trace_id"])
				}
			}
			assert.Equal(t, tt.dead, got)
			for _, r := range h.emu.Requests() {
				assert.NotEqual(t, http.StatusUnprocessableEntity, r.Status, "a long name must never reach LangSmith")
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

func TestRefusalReason(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{400, `{"error":"Bad request: invalid 'start_time': start_time 2026-01-01T00:00:00Z is outside the accepted window of 24h0m0s …"}`, reasonWindow},
		{422, `{"detail":"['post', 'items', 'properties', 'name', 'maxLength']: \"x\" is longer than 128 characters"}`, reasonName},
		{400, `{"error":"Bad request: invalid 'trace_id': trace x has reached the limit of 25000 runs"}`, reasonTraceCap},
		{400, `{"error":"Bad request: invalid 'run_type'"}`, reasonInvalid},
		{422, `{"detail":"int too big to convert"}`, reasonInvalid},
		{413, "Request Entity Too Large", reasonTooLarge},
		{403, `{"error":"Forbidden"}`, reasonRefused},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, refusalReason(tt.status, tt.body), tt.body)
	}
}

// With out_of_window: shift, the cap counts a trace under its shifted id once delivered
// (countRuns), so a later push of the same stale trace must be checked under that id too.
func TestTraceCapCountsShiftedTracesAcrossPushes(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Limits.OutOfWindow = WindowShift
	cfg.Limits.MaxRunsPerTrace = 2
	set := exportertest.NewNopSettings(metadata.Type)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	u := newUploader(cfg, set, tb)

	start := time.Now().Add(-30 * time.Hour).Truncate(time.Millisecond)
	traceID := pcommon.TraceID{0xab, 9}
	rootID := langsmith.RunID(langsmith.IDModeUUIDv7, traceID, pcommon.SpanID{1}, start)
	rootSeg := string(langsmith.AppendDottedSegment(nil, start, rootID))
	staleRun := func(n byte) langsmith.Run {
		at := start.Add(time.Duration(n) * time.Millisecond)
		id := langsmith.RunID(langsmith.IDModeUUIDv7, traceID, pcommon.SpanID{n}, at)
		return langsmith.Run{
			ID: id, TraceID: rootID, ParentRunID: rootID, StartTime: at,
			DottedOrder: rootSeg + "." + string(langsmith.AppendDottedSegment(nil, at, id)),
		}
	}
	push := func(runs ...langsmith.Run) int {
		st := &pushState{batch: &runBatch{runs: runs, spans: make([]spanRef, len(runs))}}
		u.keepWithinLimits(context.Background(), st)
		u.countRuns(context.Background(), st.batch.runs) // as if every kept run was delivered
		return len(st.batch.runs)
	}
	assert.Equal(t, 2, push(staleRun(2), staleRun(3)), "the trace's first two runs are within the cap")
	assert.Equal(t, 0, push(staleRun(4)), "its third, in a later push, is past the cap")
}
