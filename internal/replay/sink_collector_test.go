// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// fakeCollector answers OTLP/HTTP and langfuse-receiver requests from a script, and keeps what
// it accepted.
type fakeCollector struct {
	t *testing.T

	mu         sync.Mutex
	script     []int  // statuses to answer, in order; 200/204 once it is used up
	retryAfter string // Retry-After of scripted 429/503 answers
	partial    int64  // rejected_spans of the next 200
	maxSpans   int    // answer 413 to larger requests (0: no limit)
	requests   int
	spans      map[string]ptrace.Span   // accepted, by langsmith.span.id
	accepted   map[string]int           // how often each run was accepted
	seen       map[string][]ptrace.Span // every span received, accepted or not
	records    []string
	headers    []http.Header
}

func newFakeCollector(t *testing.T, script ...int) (*fakeCollector, string) {
	f := &fakeCollector{t: t, script: script, spans: map[string]ptrace.Span{}, accepted: map[string]int{}, seen: map[string][]ptrace.Span{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if !assert.NoError(f.t, err) {
		return
	}
	if r.Header.Get("Content-Encoding") == "zstd" {
		dec, _ := zstd.NewReader(nil)
		body, err = dec.DecodeAll(body, nil)
		dec.Close()
		if !assert.NoError(f.t, err) {
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.headers = append(f.headers, r.Header.Clone())
	var td ptrace.Traces
	if r.URL.Path == "/v1/traces" {
		assert.Equal(f.t, "application/x-protobuf", r.Header.Get("Content-Type"))
		td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
		if !assert.NoError(f.t, err) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		eachSpan(td, func(id string, s ptrace.Span) { f.seen[id] = append(f.seen[id], s) })
	}
	if len(f.script) > 0 {
		status := f.script[0]
		f.script = f.script[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		w.WriteHeader(status)
		return
	}
	switch r.URL.Path {
	case "/v1/traces":
		if f.maxSpans > 0 && td.SpanCount() > f.maxSpans {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		resp := ptraceotlp.NewExportResponse()
		if f.partial > 0 {
			resp.PartialSuccess().SetRejectedSpans(f.partial)
			resp.PartialSuccess().SetErrorMessage("memory limiter")
			f.partial = 0
		} else {
			eachSpan(td, func(id string, s ptrace.Span) {
				f.spans[id] = s
				f.accepted[id]++
			})
		}
		b, err := resp.MarshalProto()
		assert.NoError(f.t, err)
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(b)
	case "/api/v1/telemetry/raw":
		assert.Equal(f.t, "application/x-ndjson", r.Header.Get("Content-Type"))
		for l := range strings.SplitSeq(strings.TrimSpace(string(body)), "\n") {
			f.records = append(f.records, l)
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func eachSpan(td ptrace.Traces, fn func(runID string, s ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				v, _ := s.Attributes().Get(conventions.LangSmithSpanID)
				fn(v.Str(), s)
			}
		}
	}
}

func collectorConfig(t *testing.T, url string, inputs ...string) (Config, *[]time.Duration) {
	cfg := baseConfig(t, inputs...)
	cfg.Endpoint = url
	cfg.LangfuseEndpoint = url
	cfg.LangfuseKey = "lf-key"
	cfg.Project = "collector"
	var mu sync.Mutex
	waits := &[]time.Duration{}
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		*waits = append(*waits, d)
		return ctx.Err()
	}
	return cfg, waits
}

func TestCollectorReplayHonorsRetryAfter(t *testing.T) {
	f, url := newFakeCollector(t, http.StatusTooManyRequests, http.StatusServiceUnavailable)
	f.retryAfter = "3"
	path := writeGenerated(t, 10, 1, false)
	cfg, waits := collectorConfig(t, url, path)
	cfg.Concurrency = 1
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.True(t, s.OK(), "failures: %v", s.Failures)
	assert.Equal(t, int64(10), s.TracesDelivered)
	require.Len(t, *waits, 2)
	for _, w := range *waits {
		assert.GreaterOrEqual(t, w, 3*time.Second, "Retry-After is a floor on the backoff")
	}
	assert.Len(t, f.spans, int(s.Runs))
	for _, h := range f.headers {
		assert.Equal(t, "zstd", h.Get("Content-Encoding"))
		assert.True(t, strings.HasPrefix(h.Get("User-Agent"), "tracebridge-replay/"))
	}
	for _, sp := range f.spans {
		v, _ := sp.Attributes().Get(conventions.LangSmithDottedOrder)
		assert.NotEmpty(t, v.Str(), "every span carries its full identity")
	}
}

// A corrupt line holds its trace back; a refused request fails its traces in final form. The
// failed file, once the line is fixed, replays to exactly the runs that were missing, and the
// runs sent twice are identical, so the collector drops the repeat.
func TestCollectorReplayFailedFileIsReRunnable(t *testing.T) {
	src := writeGenerated(t, 12, 2, true)
	lines := readLines(t, src)
	input := readRuns(t, src)
	// Break a child run of some trace: its trace_id stays readable.
	var broken, fixed string
	for i, l := range lines {
		if strings.Contains(l, `"run_type":"tool"`) {
			fixed = l
			broken = l[:len(l)/2]
			lines[i] = broken
			break
		}
	}
	require.NotEmpty(t, broken)
	path := filepath.Join(t.TempDir(), "corrupt.ndjson")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))

	f, url := newFakeCollector(t, http.StatusBadRequest)
	cfg, _ := collectorConfig(t, url, path)
	cfg.Concurrency = 1
	cfg.BatchSpans = 20
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.False(t, s.OK())
	assert.Equal(t, int64(1), s.Corrupt)
	assert.Positive(t, s.TracesFailed)
	all := strings.Join(s.Failures, "\n")
	assert.Contains(t, all, "corrupt.ndjson line")
	assert.Contains(t, all, "held back")
	assert.Contains(t, all, "HTTP 400")

	failed := readLines(t, s.FailedFile)
	finals, originals := 0, 0
	for i, l := range failed {
		switch {
		case l == broken:
			failed[i] = fixed // the user fixes the line
		case strings.Contains(l, `"tracebridge_replay":{"final":true`):
			finals++
		default:
			originals++
		}
	}
	assert.Positive(t, finals, "the refused request's traces are in final form")
	assert.Positive(t, originals, "the held-back trace is written as read")
	fixedPath := filepath.Join(t.TempDir(), "fixed.ndjson")
	require.NoError(t, os.WriteFile(fixedPath, []byte(strings.Join(failed, "\n")+"\n"), 0o600))

	again, _ := collectorConfig(t, url, fixedPath)
	s2, err := Run(context.Background(), again)
	require.NoError(t, err)
	assert.True(t, s2.OK(), "failures: %v", s2.Failures)
	assert.Equal(t, s.TracesFailed, s2.TracesDelivered)
	assert.Len(t, f.spans, len(input), "every run of the input was accepted")
	for id, n := range f.accepted {
		assert.Equal(t, 1, n, "run %s accepted once", id)
	}
}

func TestCollectorReplayFinalRunsAreSentIdentically(t *testing.T) {
	path := writeGenerated(t, 4, 9, false)
	f, url := newFakeCollector(t, http.StatusBadGateway)
	cfg, _ := collectorConfig(t, url, path)
	cfg.MaxRetryTime = time.Nanosecond // give up after the first answer
	cfg.BatchSpans, cfg.Concurrency = 1000, 1
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Equal(t, int64(4), s.TracesFailed)
	assert.Contains(t, strings.Join(s.Failures, "\n"), "gave up retrying")

	// The failed file sends exactly what the first attempt sent: the same spans, so the
	// collector's assembler drops a repeat and LangSmith answers 409, whatever had landed.
	again, _ := collectorConfig(t, url, s.FailedFile)
	again.IDSeed = "unrelated"
	s2, err := Run(context.Background(), again)
	require.NoError(t, err)
	require.True(t, s2.OK(), "failures: %v", s2.Failures)
	require.Len(t, f.seen, int(s.Runs))
	for id, sent := range f.seen {
		require.Len(t, sent, 2, "run %s sent once by each replay", id)
		a, b := sent[0], sent[1]
		assert.Equal(t, a.TraceID(), b.TraceID())
		assert.Equal(t, a.SpanID(), b.SpanID())
		assert.Equal(t, a.ParentSpanID(), b.ParentSpanID())
		assert.Equal(t, a.StartTimestamp(), b.StartTimestamp())
		assert.Equal(t, a.EndTimestamp(), b.EndTimestamp())
		assert.Equal(t, a.Status().Message(), b.Status().Message())
		assert.Equal(t, a.Attributes().AsRaw(), b.Attributes().AsRaw())
	}
}

func TestCollectorReplayStopsOnAWrongKey(t *testing.T) {
	f, url := newFakeCollector(t, http.StatusUnauthorized)
	path := writeGenerated(t, 20, 3, false)
	cfg, _ := collectorConfig(t, url, path)
	cfg.Concurrency = 1
	cfg.BatchSpans = 10
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, int64(20), s.TracesFailed)
	assert.Equal(t, 1, f.requests, "one refused request, not one per trace")
	for _, l := range readLines(t, s.FailedFile) {
		assert.NotContains(t, l, finalKey, "nothing was taken: written as read, to get fresh ids next time")
	}
}

func TestCollectorReplaySplitsTooLargeRequests(t *testing.T) {
	f, url := newFakeCollector(t)
	f.maxSpans = 30
	path := writeGenerated(t, 20, 3, false)
	cfg, _ := collectorConfig(t, url, path)
	cfg.Concurrency = 1
	cfg.BatchSpans = 1000
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.True(t, s.OK(), "failures: %v", s.Failures)
	assert.Len(t, f.spans, int(s.Runs))
}

func TestCollectorReplayPartialSuccessFailsTheBatch(t *testing.T) {
	f, url := newFakeCollector(t)
	f.partial = 2
	path := writeGenerated(t, 3, 3, false)
	cfg, _ := collectorConfig(t, url, path)
	cfg.Concurrency = 1
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, int64(3), s.TracesFailed)
	assert.Contains(t, strings.Join(s.Failures, "\n"), "memory limiter")
}

func TestCollectorReplayRecords(t *testing.T) {
	f, url := newFakeCollector(t)
	path := writeRecords(t, 2, 3)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// A corrupt record between good ones: the others still go.
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	lines = append(lines[:2], append([]string{`{"trace_id": "broken`}, lines[2:]...)...)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600))

	cfg, _ := collectorConfig(t, url, path)
	cfg.BatchRecords = 4
	s, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, int64(6), s.RecordsDelivered)
	assert.Equal(t, int64(1), s.Corrupt)
	assert.Len(t, f.records, 6)
	for _, h := range f.headers {
		assert.Equal(t, "lf-key", h.Get("X-API-Key"))
	}
	assert.Equal(t, []string{`{"trace_id": "broken`}, readLines(t, s.FailedFile))
	assert.NotContains(t, strings.Join(f.records, "\n"), "1c563dcf980b449a", "records get new trace ids")
	assert.True(t, bytes.Contains([]byte(f.records[0]), []byte(`"start_time_unix_nano":`)))
}
