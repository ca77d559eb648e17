// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// TestLimitsNoGoodRunLostBesideABadOne sends OTLP requests that mix good traces with each kind
// of run LangSmith refuses: names over 128 characters, traces started 30 hours ago, and traces
// past LangSmith's per-trace cap (6 runs here, 25,000 in LangSmith Cloud). Every good run must
// land exactly once, the long names cut, and only the refused runs be dead-lettered, each file
// with its reason; `tracebridge-replay redrive --repair` then delivers the stale traces
// shifted into the window, and a second re-drive posts nothing twice.
func TestLimitsNoGoodRunLostBesideABadOne(t *testing.T) {
	emuCfg := smithemu.DefaultConfig()
	emuCfg.APIKeys = map[string]string{emuKey: ""}
	emuCfg.MaxRunsPerTrace = 6
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	deadDir := t.TempDir()
	health, otlpPort := freePort(t), freePort(t)
	c := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: limits
    dead_letter_directory: %s
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
    assembly:
      orphan_wait: 2s
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [langsmith]
`, health, otlpPort, ts.URL, emuKey, deadDir))
	waitHealthy(t, c, health)

	now := time.Now()
	longName := strings.Repeat("ChannelRead<['raw_conversation', 'messages', 'query']> ", 4)
	traceNo := 0
	// trace renders a root and n-1 children under it, started at start.
	trace := func(kind string, n int, start time.Time, childName string) []string {
		traceNo++
		tid := fmt.Sprintf("e2e1%028x", traceNo)
		root := fmt.Sprintf("%08x%08x", traceNo, 1)
		spans := []string{otlpSpan(tid, root, "", fmt.Sprintf("%s-%d", kind, traceNo), start, time.Second, "")}
		for i := 2; i <= n; i++ {
			spans = append(spans, otlpSpan(tid, fmt.Sprintf("%08x%08x", traceNo, i), root, childName, start.Add(time.Duration(i)*time.Millisecond), 100*time.Millisecond, ""))
		}
		return spans
	}
	const requests = 4
	for range requests {
		var spans []string
		for range 5 {
			spans = append(spans, trace("good", 4, now.Add(-time.Minute), "step")...)
		}
		spans = append(spans, trace("long", 3, now.Add(-time.Minute), longName)...)
		spans = append(spans, trace("stale", 3, now.Add(-30*time.Hour), "old step")...)
		spans = append(spans, trace("capped", 8, now.Add(-time.Minute), "many")...)
		require.Equal(t, 200, postJSON(t, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpPort), "", otlpBody(spans...)))
	}

	// 20 good traces of 4 runs, 4 of 3 with cut names, 4 capped at 6 of their 8 runs.
	waitRuns(t, emu, "limits", 20*4+4*3+4*6)
	kinds := map[string]int{}
	var files []string
	require.Eventually(t, func() bool {
		files, _ = filepath.Glob(filepath.Join(deadDir, "runs-*.jsonl"))
		clear(kinds)
		n := 0
		for _, f := range files {
			kind, runs := readDeadLetterFile(t, f)
			kinds[kind] += len(runs)
			n += len(runs)
		}
		return n == 4*3+4*2
	}, 30*time.Second, 50*time.Millisecond, "dead letters: %v", kinds)
	assert.Equal(t, map[string]int{"start_time_window": 12, "trace_run_limit": 8}, kinds)
	for _, f := range files {
		_, runs := readDeadLetterFile(t, f)
		for _, r := range runs {
			assert.NotContains(t, r["name"], "good-", "a good run was dead-lettered")
			assert.NotContains(t, r["name"], "long-")
		}
	}

	roots := map[string]int{}
	for _, root := range emu.Trees("limits") {
		n := 0
		root.Walk(func(node *smithemu.TreeNode, _ int) {
			n++
			if strings.HasPrefix(root.Run.Name, "long-") && node != root {
				assert.Equal(t, 128, utf8.RuneCountInString(node.Run.Name), "cut to 128 characters")
				assert.Equal(t, longName, node.Run.Extra["metadata"].(map[string]any)["tracebridge.full_name"])
			}
		})
		kind, _, _ := strings.Cut(root.Run.Name, "-")
		roots[kind]++
		switch kind {
		case "good":
			assert.Equal(t, 4, n, "trace %s whole", root.Run.Name)
		case "long":
			assert.Equal(t, 3, n)
		}
	}
	// Which 6 runs of a capped trace LangSmith takes depends on the order they reach it.
	delete(roots, "capped")
	delete(roots, "many")
	assert.Equal(t, map[string]int{"good": 20, "long": 4}, roots)
	capped := 0
	for _, r := range emu.Runs("limits") {
		if strings.HasPrefix(r.Name, "capped-") || r.Name == "many" {
			capped++
		}
	}
	assert.Equal(t, 4*6, capped)
	for _, r := range emu.Runs("limits") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
	}
	c.stop(t)

	// The re-drive, repairing: the stale traces land shifted by a day, whole; the capped runs
	// are still refused (their traces are full).
	bin := replayBinary(t)
	res := runReplay(t, bin, "redrive", "--repair", "--endpoint", ts.URL, "--api-key", emuKey, deadDir)
	assert.Equal(t, 1, res.code, "some runs are still refused")
	assert.Contains(t, res.stdout, "re-drive: 12 runs landed, 0 were already there, 8 still refused (repaired: start_time_shifted 12)")
	assert.Contains(t, res.stdout, "has reached the limit of 6 runs")
	waitRuns(t, emu, "limits", 20*4+4*3+4*6+4*3)
	stale := 0
	for _, root := range emu.Trees("limits") {
		if !strings.HasPrefix(root.Run.Name, "stale-") {
			continue
		}
		stale++
		n := 0
		root.Walk(func(*smithemu.TreeNode, int) { n++ })
		assert.Equal(t, 3, n, "the shifted trace %s is whole", root.Run.Name)
		age := time.Since(root.Run.StartTime)
		assert.InDelta(t, 6*time.Hour, age, float64(10*time.Minute), "30 h ago moved by one day")
	}
	for _, r := range emu.Runs("limits") {
		assert.False(t, r.Unopenable, "run %s: its UUIDv7 must still match its (shifted) start", r.Name)
	}
	assert.Equal(t, 4, stale)

	// Again: the repaired runs that landed left their files (a later day's re-drive would shift
	// them anew, under new ids), so nothing new and nothing twice.
	res = runReplay(t, bin, "redrive", "--repair", "--endpoint", ts.URL, "--api-key", emuKey, deadDir)
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stdout, "re-drive: 0 runs landed, 0 were already there, 8 still refused")
	for _, r := range emu.Runs("limits") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
	}
}

// readDeadLetterFile returns a dead-letter file's kind and its runs.
func readDeadLetterFile(t *testing.T, path string) (string, []map[string]any) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var header struct {
		Kind string `json:"kind"`
	}
	var runs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			require.NoError(t, json.Unmarshal(sc.Bytes(), &header))
			continue
		}
		var body map[string][]map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &body))
		runs = append(runs, append(body["post"], body["patch"]...)...)
	}
	return header.Kind, runs
}
