// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"bufio"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

const testKey = "lsv2_exporter_test"

// testTrace builds one trace of n spans: a root and a chain of children under it, all ended,
// starting a little before now so the emulator's 24 h window accepts them.
func testTrace(traceNo byte, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "exporter-test")
	ss := rs.ScopeSpans().AppendEmpty()
	start := time.Now().Add(-time.Minute)
	var traceID pcommon.TraceID
	traceID[0], traceID[15] = 0xab, traceNo
	for i := range n {
		span := ss.Spans().AppendEmpty()
		span.SetTraceID(traceID)
		span.SetSpanID(spanID(traceNo, i))
		if i > 0 {
			span.SetParentSpanID(spanID(traceNo, i-1))
		}
		span.SetName("step-" + string(rune('a'+i)))
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(i) * time.Millisecond)))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
		span.Attributes().PutStr("input.value", `{"question":"q"}`)
	}
	return td
}

func spanID(traceNo byte, i int) pcommon.SpanID {
	var id pcommon.SpanID
	id[0] = traceNo
	binary.BigEndian.PutUint16(id[6:], uint16(i+1)) //nolint:gosec // small test indexes
	return id
}

type exporterHarness struct {
	emu      *smithemu.Server
	exporter *langsmithExporter
	cfg      *Config
}

// newHarness starts a langsmith exporter (in-memory queue, fast retries) against an emulator.
func newHarness(t *testing.T, emuCfg smithemu.Config, tweak func(*Config)) *exporterHarness {
	t.Helper()
	return newHarnessOn(t, componenttest.NewNopHost(), emuCfg, tweak)
}

// newHarnessOn is newHarness with the exporter started on host (a storage extension, say).
func newHarnessOn(t *testing.T, host component.Host, emuCfg smithemu.Config, tweak func(*Config)) *exporterHarness {
	t.Helper()
	emuCfg.APIKeys = map[string]string{testKey: ""}
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = ts.URL
	cfg.ClientConfig.Timeout = 2 * time.Second
	cfg.APIKey = testKey
	cfg.Project = "exporter-test"
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	cfg.RetryConfig.RandomizationFactor = 0
	if tweak != nil {
		tweak(cfg)
	}
	exp, err := newExporter(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	t.Cleanup(func() { assert.NoError(t, exp.Shutdown(context.Background())) })
	return &exporterHarness{emu: emu, exporter: exp, cfg: cfg}
}

// requireExactlyOnce waits until want runs are stored and checks none was posted twice.
func (h *exporterHarness) requireExactlyOnce(t *testing.T, want int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(h.emu.Runs("exporter-test")) == want },
		10*time.Second, 10*time.Millisecond, "expected %d runs", want)
	for _, r := range h.emu.Runs("exporter-test") {
		assert.Equal(t, 1, r.Posts, "run %s (%s) was posted %d times", r.ID, r.Name, r.Posts)
	}
}

func TestExporterDeliversEveryRunExactlyOnceDespiteFaults(t *testing.T) {
	tests := []struct {
		name   string
		emu    func(*smithemu.Config)
		faults []smithemu.Fault
	}{
		{name: "no faults"},
		{name: "429 without Retry-After", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Count: 2, Status: http.StatusTooManyRequests}}},
		{name: "429 with Retry-After", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Status: http.StatusTooManyRequests, RetryAfter: 1}}},
		{name: "503 twice", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Count: 2, Status: http.StatusServiceUnavailable}}},
		{name: "500 and 502", faults: []smithemu.Fault{
			{Route: smithemu.RouteMultipart, Status: http.StatusInternalServerError},
			{Route: smithemu.RouteMultipart, Status: http.StatusBadGateway},
		}},
		{name: "408 timeout answer", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Status: http.StatusRequestTimeout}}},
		{name: "413 splits the request", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Count: 2, Status: http.StatusRequestEntityTooLarge}}},
		{name: "connection reset mid-body", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Reset: true}}},
		{name: "slow answer past the client timeout", faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Latency: 3 * time.Second}}},
		{name: "no multipart endpoint falls back to /runs/batch", emu: func(c *smithemu.Config) { c.DisableMultipart = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emuCfg := smithemu.DefaultConfig()
			if tt.emu != nil {
				tt.emu(&emuCfg)
			}
			h := newHarness(t, emuCfg, nil)
			h.emu.InjectFaults(tt.faults...)
			for traceNo := range byte(3) {
				require.NoError(t, h.exporter.ConsumeTraces(context.Background(), testTrace(traceNo+1, 4)))
			}
			h.requireExactlyOnce(t, 12)
			assert.Empty(t, h.emu.PendingFaults(), "every scripted fault should have fired")
			for _, root := range h.emu.Trees("exporter-test") {
				depth := 0
				root.Walk(func(_ *smithemu.TreeNode, d int) { depth = max(depth, d) })
				assert.Equal(t, 3, depth, "trace %s lost its chain", root.Run.TraceID)
			}
		})
	}
}

func TestExporterResendIsAConflictNotADuplicate(t *testing.T) {
	h := newHarness(t, smithemu.DefaultConfig(), func(c *Config) {
		// Re-sent spans must reach the uploader again, not be recognized by the assembler,
		// so the 409 path is what keeps LangSmith free of duplicates.
		c.Assembly.ResolvedMaxTraces = 1
	})
	// Sent twice: the same spans, so the same run ids. The exporter mutates what it is given
	// (MutatesData), so each send gets its own copy, as the pipeline's fan-out would give it.
	trace := testTrace(1, 3)
	require.NoError(t, h.exporter.ConsumeTraces(context.Background(), cloneTraces(trace)))
	h.requireExactlyOnce(t, 3)
	for i := byte(2); i < 6; i++ { // push trace 1 out of the assembler's cache of released traces
		require.NoError(t, h.exporter.ConsumeTraces(context.Background(), testTrace(i, 1)))
	}
	require.NoError(t, h.exporter.ConsumeTraces(context.Background(), cloneTraces(trace)))
	h.requireExactlyOnce(t, 7)
	assert.Eventually(t, func() bool {
		for _, r := range h.emu.Requests() {
			if r.Status == http.StatusConflict {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the re-send never met a 409")
}

func TestExporterDeadLettersPermanentRefusals(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, smithemu.DefaultConfig(), func(c *Config) { c.DeadLetterDirectory = dir })
	// A 403 refuses the whole request for good (a 400 or 422 would be split to find the run).
	h.emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteMultipart, Status: http.StatusForbidden, Body: `{"error":"Forbidden: scripted"}`})
	require.NoError(t, h.exporter.ConsumeTraces(context.Background(), testTrace(1, 3)))

	var files []string
	require.Eventually(t, func() bool {
		files, _ = filepath.Glob(filepath.Join(dir, "runs-*.jsonl"))
		return len(files) == 1
	}, 10*time.Second, 10*time.Millisecond, "no dead-letter file")
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	require.Len(t, lines, 4, "a header and one line per run")
	assert.Contains(t, lines[0], `"status":403`)
	assert.Contains(t, lines[0], `"kind":"refused"`)
	assert.Contains(t, lines[0], "Forbidden: scripted")
	for _, l := range lines[1:] {
		assert.True(t, strings.HasPrefix(l, `{"post":[{`), "each run line is a /runs/batch body: %s", l)
	}
	assert.Empty(t, h.emu.Runs("exporter-test"), "refused runs must not be stored")

	// The same line, sent as it is to /runs/batch, is accepted: the dead letters can be replayed.
	req, err := http.NewRequest(http.MethodPost, h.cfg.ClientConfig.Endpoint+"/runs/batch", strings.NewReader(lines[1]))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
}

func TestExporterDeadLettersSpansThatCannotBecomeRuns(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, smithemu.DefaultConfig(), func(c *Config) { c.DeadLetterDirectory = dir })
	td := testTrace(1, 1)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	// An identity in upper case: LangSmith's dotted_order wants lower-case UUIDs. The assembler
	// rebuilds such an identity (see the next test), so this span goes to the upload queue
	// directly, as a persistent queue written by another build could hold it: the uploader
	// must dead-letter it, not drop it.
	const id = "0194C1F2-0000-7000-8000-000000000001"
	span.Attributes().PutStr("langsmith.span.id", id)
	span.Attributes().PutStr("langsmith.trace.id", id)
	span.Attributes().PutStr("langsmith.span.dotted_order", "20260101T000000000000Z"+id)
	require.NoError(t, h.exporter.uploads.ConsumeTraces(context.Background(), td))

	var files []string
	require.Eventually(t, func() bool {
		files, _ = filepath.Glob(filepath.Join(dir, "spans-*.jsonl"))
		return len(files) == 1
	}, 10*time.Second, 10*time.Millisecond, "the span was dropped silently")
	content, err := os.ReadFile(files[0])
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	require.Len(t, lines, 2, "a header and the spans as one OTLP/JSON document")
	assert.Contains(t, lines[0], `"spans":1`)
	traces, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(lines[1]))
	require.NoError(t, err)
	assert.Equal(t, 1, traces.SpanCount())
	assert.Empty(t, h.emu.Runs("exporter-test"))
}

// The assembler moves spans out of the batch it is given; without MutatesData the pipeline
// could hand it a read-only batch shared with another exporter.
func TestExporterDeclaresMutatesData(t *testing.T) {
	h := newHarness(t, smithemu.DefaultConfig(), nil)
	assert.True(t, h.exporter.Capabilities().MutatesData)

	td := testTrace(1, 2)
	require.NoError(t, h.exporter.ConsumeTraces(context.Background(), td))
	h.requireExactlyOnce(t, 2)
	// Taken spans are moved, not copied: the batch is left without its resources (handed on
	// whole) or holding empty husks.
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				assert.True(t, span.TraceID().IsEmpty(), "a taken span is left as an empty husk, not copied")
			}
		}
	}
}

// A carried identity LangSmith would refuse (upper-case UUIDs) is not passed on: the assembler
// rebuilds the span's identity, keeping its run id, and the run lands.
func TestExporterRebuildsAnIdentityLangSmithWouldRefuse(t *testing.T) {
	h := newHarness(t, smithemu.DefaultConfig(), nil)
	td := testTrace(1, 1)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	const id = "0194C1F2-0000-7000-8000-000000000001"
	span.Attributes().PutStr("langsmith.span.id", id)
	span.Attributes().PutStr("langsmith.trace.id", id)
	span.Attributes().PutStr("langsmith.span.dotted_order", "20260101T000000000000Z"+id)
	require.NoError(t, h.exporter.ConsumeTraces(context.Background(), td))
	h.requireExactlyOnce(t, 1)
	run := h.emu.Runs("exporter-test")[0]
	assert.Equal(t, strings.ToLower(id), run.ID)
	assert.Equal(t, strings.ToLower(id), run.TraceID)
}

// cloneTraces is what the pipeline's fan-out hands a MutatesData consumer when the same batch
// goes elsewhere too: the exporter moves spans out of what it is given.
func cloneTraces(td ptrace.Traces) ptrace.Traces {
	c := ptrace.NewTraces()
	td.CopyTo(c)
	return c
}
