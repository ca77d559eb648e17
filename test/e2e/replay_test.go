// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/replay"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// replayBinary is TRACEBRIDGE_REPLAY, or the command built into the test's directory.
func replayBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("TRACEBRIDGE_REPLAY"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "tracebridge-replay")
	out, err := exec.CommandContext(context.Background(), "go", "build", "-o", bin,
		"github.com/tracebridge/tracebridge/cmd/tracebridge-replay").CombinedOutput()
	require.NoError(t, err, "go build tracebridge-replay: %s", out)
	return bin
}

// replayResult is one run of the command.
type replayResult struct {
	code           int
	stdout, stderr string
}

func runReplay(t *testing.T, bin string, args ...string) replayResult {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := replayResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	t.Logf("tracebridge-replay %s → exit %d\n%s%s", strings.Join(args, " "), res.code, res.stderr, res.stdout)
	return res
}

// inputRun is a run of the replayed file, read independently of the replay's own reader.
type inputRun struct {
	ID          string          `json:"id"`
	TraceID     string          `json:"trace_id"`
	ParentRunID string          `json:"parent_run_id"`
	Name        string          `json:"name"`
	RunType     string          `json:"run_type"`
	Inputs      map[string]any  `json:"inputs"`
	Outputs     map[string]any  `json:"outputs"`
	Error       *string         `json:"error"`
	Tags        []string        `json:"tags"`
	StartTime   json.RawMessage `json:"start_time"`
	EndTime     json.RawMessage `json:"end_time"`
}

func readInputRuns(t *testing.T, path string) map[string]*inputRun {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	runs := map[string]*inputRun{}
	add := func(raw []byte) {
		var r inputRun
		require.NoError(t, json.Unmarshal(raw, &r))
		runs[r.ID] = &r
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		var arr []json.RawMessage
		require.NoError(t, json.Unmarshal(trimmed, &arr))
		for _, raw := range arr {
			add(raw)
		}
		return runs
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			add(l)
		}
	}
	return runs
}

// expectation computes what the replay must have produced for each input run: its start
// shifted and clamped to its parent's, and its id from the seed and that start.
type expectation struct {
	runs  map[string]*inputRun
	ids   *replay.IDMapper
	shift time.Duration
	start map[string]time.Time
}

func (e *expectation) startOf(t *testing.T, id string) time.Time {
	if s, ok := e.start[id]; ok {
		return s
	}
	r := e.runs[id]
	s, ok, err := replay.ParseTime(r.StartTime)
	require.NoError(t, err)
	require.True(t, ok)
	s = s.Add(e.shift).Truncate(time.Microsecond)
	if r.ParentRunID != "" {
		if ps := e.startOf(t, r.ParentRunID); s.Before(ps) {
			s = ps
		}
	}
	e.start[id] = s
	return s
}

func (e *expectation) newID(t *testing.T, old string) string {
	return e.ids.RunID(old, e.startOf(t, old)).String()
}

// compareRunByRun checks every landed run against its input run.
func compareRunByRun(t *testing.T, emu *smithemu.Server, project string, e *expectation) {
	t.Helper()
	landed := map[string]smithemu.Run{}
	for _, r := range emu.Runs(project) {
		landed[r.ID] = r
	}
	require.Len(t, landed, len(e.runs))
	for old, in := range e.runs {
		r, ok := landed[e.newID(t, old)]
		require.True(t, ok, "run %s (%s) landed under its expected new id", old, in.Name)
		assert.Equal(t, 1, r.Posts, "run %s posted once", r.Name)
		assert.Equal(t, in.Name, r.Name)
		assert.Equal(t, in.RunType, r.RunType)
		assert.Equal(t, e.newID(t, in.TraceID), r.TraceID)
		if in.ParentRunID == "" {
			assert.Empty(t, r.ParentRunID)
		} else {
			assert.Equal(t, e.newID(t, in.ParentRunID), r.ParentRunID)
			assert.False(t, r.StartTime.Before(landed[r.ParentRunID].StartTime), "a child never starts before its parent")
		}
		assert.Equal(t, in.Inputs, r.Inputs, "inputs of %s", in.Name)
		assert.Equal(t, in.Outputs, r.Outputs, "outputs of %s", in.Name)
		if in.Error != nil {
			assert.Equal(t, *in.Error, r.Error)
			assert.Equal(t, "error", r.Status)
		} else {
			assert.Empty(t, r.Error)
			assert.Equal(t, "success", r.Status)
		}
		if len(in.Tags) > 0 {
			assert.Equal(t, in.Tags, r.Tags)
		}
		assert.Equal(t, e.startOf(t, old), r.StartTime, "shifted start of %s", in.Name)
		end, _, err := replay.ParseTime(in.EndTime)
		require.NoError(t, err)
		assert.Equal(t, end.Add(e.shift).Truncate(time.Microsecond), r.EndTime, "shifted end of %s", in.Name)
		id := uuid.MustParse(r.ID)
		var ms [8]byte
		copy(ms[2:], id[:6])
		assert.Equal(t, r.StartTime.UnixMilli(), int64(binary.BigEndian.Uint64(ms[:])), "the UUIDv7 time is the start") //nolint:gosec // test
	}
}

func readReport(t *testing.T, path string) replay.Summary {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var s replay.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// waitRuns waits until project holds n runs, all finished.
func waitRuns(t *testing.T, emu *smithemu.Server, project string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		runs := emu.Runs(project)
		if len(runs) != n {
			return false
		}
		for _, r := range runs {
			if r.Status == "pending" {
				return false
			}
		}
		return true
	}, 60*time.Second, 50*time.Millisecond, "the collector never delivered all %d runs to %s", n, project)
}

func TestReplayThroughCollectorReproducesEveryRun(t *testing.T) {
	bin := replayBinary(t)
	emu, url := startEmulator(t)
	p := newPipeline(t, url)
	c := startCollector(t, p.yaml())
	waitHealthy(t, c, p.health)

	dir := t.TempDir()
	traces := filepath.Join(dir, "agent-traces.json")
	res := runReplay(t, bin, "--generate", "40", "--seed", "11", "--out", traces)
	require.Equal(t, 0, res.code)
	input := readInputRuns(t, traces)

	report := filepath.Join(dir, "report.json")
	began := time.Now()
	res = runReplay(t, bin, "--endpoint", fmt.Sprintf("http://127.0.0.1:%d", p.otlpHTTP), "--project", "replay-e2e",
		"--id-seed", "e2e-seed", "--report", report, "--progress", "plain", "--failed", filepath.Join(dir, "failed.ndjson"), traces)
	require.Equal(t, 0, res.code)
	assert.Contains(t, res.stderr, "Shifting timestamps by: ")
	assert.Contains(t, res.stdout, "Done!")
	s := readReport(t, report)
	assert.Equal(t, int64(40), s.TracesDelivered)
	assert.Equal(t, int64(len(input)), s.RunsDelivered)

	waitRuns(t, emu, "replay-e2e", len(input))
	e := &expectation{runs: input, ids: replay.NewIDMapper("e2e-seed"), shift: s.Shift(), start: map[string]time.Time{}}
	compareRunByRun(t, emu, "replay-e2e", e)
	assert.Len(t, emu.Trees("replay-e2e"), 40)

	var latest time.Time
	for _, r := range emu.Runs("replay-e2e") {
		if r.StartTime.After(latest) {
			latest = r.StartTime
		}
	}
	assert.WithinDuration(t, began, latest, 30*time.Second, "--shift-to-now moved the latest start to now")
	c.stop(t)
}

// A corrupt line and a 429 storm at LangSmith: the good traces land (the collector retries the
// storm), the corrupt line's trace is held back and written out, and replaying the fixed failed
// file completes the project without posting any run twice.
func TestReplayCorruptLineAndRateLimitStorm(t *testing.T) {
	bin := replayBinary(t)
	emu, url := startEmulator(t)
	p := newPipeline(t, url)
	c := startCollector(t, p.yaml())
	waitHealthy(t, c, p.health)

	dir := t.TempDir()
	traces := filepath.Join(dir, "agent-traces.ndjson")
	require.Equal(t, 0, runReplay(t, bin, "--generate", "30", "--seed", "12", "--out", traces).code)
	input := readInputRuns(t, traces)

	data, err := os.ReadFile(traces)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var broken, fixed string
	for i, l := range lines {
		if strings.Contains(l, `"run_type":"tool"`) {
			fixed, broken = l, l[:len(l)*2/3]
			lines[i] = broken
			break
		}
	}
	require.NotEmpty(t, broken)
	var brokenRun inputRun
	require.NoError(t, json.Unmarshal([]byte(fixed), &brokenRun))
	heldRuns := 0
	for _, r := range input {
		if r.TraceID == brokenRun.TraceID {
			heldRuns++
		}
	}
	corrupt := filepath.Join(dir, "corrupt.ndjson")
	require.NoError(t, os.WriteFile(corrupt, []byte(strings.Join(lines, "\n")+"\n"), 0o600))

	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteIngest, Count: 5, Status: 429, RetryAfter: 1})
	failed := filepath.Join(dir, "failed.ndjson")
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", p.otlpHTTP)
	res := runReplay(t, bin, "--endpoint", endpoint, "--project", "storm", "--progress", "plain", "--failed", failed, corrupt)
	require.Equal(t, 1, res.code, "a corrupt line fails the replay")
	assert.Contains(t, res.stdout, "1 corrupt line")
	assert.Contains(t, res.stdout, "held back")
	assert.Contains(t, res.stdout, "corrupt.ndjson line")

	waitRuns(t, emu, "storm", len(input)-heldRuns)
	assert.Empty(t, emu.PendingFaults(), "the storm hit the uploads")
	assert.Len(t, emu.Trees("storm"), 29)
	for _, r := range emu.Runs("storm") {
		assert.NotEqual(t, brokenRun.TraceID, r.TraceID)
	}

	out := readFailedFile(t, failed)
	assert.Len(t, out, heldRuns, "the held-back trace, its corrupt line as read")
	assert.Contains(t, out, broken)
	for i, l := range out {
		if l == broken {
			out[i] = fixed
		}
	}
	require.NoError(t, os.WriteFile(failed, []byte(strings.Join(out, "\n")+"\n"), 0o600))

	res = runReplay(t, bin, "--endpoint", endpoint, "--project", "storm", "--progress", "none",
		"--failed", filepath.Join(dir, "failed-again.ndjson"), failed)
	require.Equal(t, 0, res.code)
	waitRuns(t, emu, "storm", len(input))
	assert.Len(t, emu.Trees("storm"), 30)
	for _, r := range emu.Runs("storm") {
		assert.Equal(t, 1, r.Posts, "run %s (%s) posted once", r.ID, r.Name)
	}
	_, err = os.Stat(filepath.Join(dir, "failed-again.ndjson"))
	assert.True(t, os.IsNotExist(err), "nothing failed the second time")
	c.stop(t)
}

func readFailedFile(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

// Raw records go to the collector's langfuse receiver, whose API key picks the project.
func TestReplayRecordsThroughLangfuseReceiver(t *testing.T) {
	bin := replayBinary(t)
	emu, url := startEmulator(t)
	p := newPipeline(t, url)
	c := startCollector(t, p.yaml())
	waitHealthy(t, c, p.health)

	var lines []string
	start := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	for tr := range 2 {
		for sp := range 3 {
			at := start.Add(time.Duration(tr)*time.Minute + time.Duration(sp)*100*time.Millisecond)
			lines = append(lines, fmt.Sprintf(`{"trace_id":"%032x","trace_name":"wallet-agent","span_id":"%016x","span_name":"exec:%d",`+
				`"start_time_unix_nano":%d,"end_time_unix_nano":%d,"input":"{\"cmd\":\"caw\"}","output":"ok","level":"INFO","error":false}`,
				0xabc0+tr, 0x100+tr*16+sp, sp, at.UnixNano(), at.Add(20*time.Millisecond).UnixNano()))
		}
	}
	path := filepath.Join(t.TempDir(), "records.ndjson")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))

	res := runReplay(t, bin, "--endpoint", fmt.Sprintf("http://127.0.0.1:%d", p.otlpHTTP),
		"--langfuse-endpoint", fmt.Sprintf("http://127.0.0.1:%d", p.langfuse), "--langfuse-key", "tenant-a-key",
		"--shift-to-now", "--progress", "none", path)
	require.Equal(t, 0, res.code)
	assert.Contains(t, res.stdout, "Replayed 6/6 records")
	require.Eventually(t, func() bool {
		trees := emu.Trees("tenant-a")
		return len(trees) == 2 && len(trees[0].Children) == 3 && len(trees[1].Children) == 3
	}, 30*time.Second, 50*time.Millisecond, "the records never arrived as two trees in the tenant's project")
	c.stop(t)
}
