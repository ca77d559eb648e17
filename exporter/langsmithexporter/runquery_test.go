// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// queryHarness is an uploader on its own (no assembler, no queue) against an emulator.
func queryHarness(t *testing.T) (*uploader, *smithemu.Server) {
	t.Helper()
	return uploaderHarness(t, exportertest.NewNopSettings(metadata.Type), nil)
}

// uploaderHarness starts an uploader with set's telemetry against a fresh emulator; a non-nil
// gate (a fake clock's) replaces the process's send gate.
func uploaderHarness(t *testing.T, set exporter.Settings, gate *sendGate) (*uploader, *smithemu.Server) {
	t.Helper()
	emuCfg := smithemu.DefaultConfig()
	emuCfg.APIKeys = map[string]string{testKey: ""}
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = ts.URL
	cfg.APIKey = testKey
	cfg.TenantID = "ws-1"
	cfg.Project = "exporter-test"
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	u := newUploader(cfg, set, tb)
	if gate != nil {
		u.gate = gate
	}
	require.NoError(t, u.start(context.Background(), componenttest.NewNopHost()))
	return u, emu
}

// firstSpans copies td keeping the first n spans (td holds one scope of spans).
func firstSpans(td ptrace.Traces, n int) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	i := 0
	out.ResourceSpans().At(0).ScopeSpans().At(0).Spans().RemoveIf(func(ptrace.Span) bool { i++; return i > n })
	return out
}

func countPaths(emu *smithemu.Server) map[string]int {
	n := map[string]int{}
	for _, r := range emu.Requests() {
		if r.Path != "/info" {
			n[r.Path+" "+http.StatusText(r.Status)]++
		}
	}
	return n
}

// A request of 20 runs of which LangSmith already has 8 (delivered before a crash): one 409,
// one query naming the 8, one request with the other 12. Splitting would take 2·8 requests.
func TestConflictIsSettledByOneQuery(t *testing.T) {
	u, emu := queryHarness(t)
	td := llmSpans(20)
	require.NoError(t, u.pushTraces(context.Background(), firstSpans(td, 8)))
	require.Len(t, emu.Runs(""), 8)

	require.NoError(t, u.pushTraces(context.Background(), td))
	runs := emu.Runs("")
	require.Len(t, runs, 20)
	for _, r := range runs {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
	}
	assert.Equal(t, map[string]int{
		"/runs/multipart " + http.StatusText(http.StatusAccepted): 2, // the 8, then the 12 the query did not find
		"/runs/multipart " + http.StatusText(http.StatusConflict): 1,
		"/runs/query " + http.StatusText(http.StatusOK):           1,
	}, countPaths(emu))
}

// Without the query (an instance that answers it 404), the 409 is split as before and the
// endpoint is not asked again.
func TestConflictWithoutQuerySplits(t *testing.T) {
	u, emu := queryHarness(t)
	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteQuery, Status: http.StatusNotFound})
	td := llmSpans(20)
	require.NoError(t, u.pushTraces(context.Background(), firstSpans(td, 8)))
	require.NoError(t, u.pushTraces(context.Background(), td))
	require.Len(t, emu.Runs(""), 20)
	n := countPaths(emu)
	assert.Equal(t, 1, n["/runs/query "+http.StatusText(http.StatusNotFound)])
	assert.Greater(t, n["/runs/multipart "+http.StatusText(http.StatusConflict)], 4, "halving takes several 409s")
	assert.True(t, u.noRunQuery.Load())

	// The next 409 does not ask.
	require.NoError(t, u.pushTraces(context.Background(), td))
	assert.Equal(t, 1, countPaths(emu)["/runs/query "+http.StatusText(http.StatusNotFound)])
}

// A 409 the query cannot explain (a repeated patch of a finished run; the posts are all new)
// falls back to splitting: no run is taken as delivered without being listed.
func TestConflictOfAPatchIsNotSettledByTheQuery(t *testing.T) {
	u, emu := queryHarness(t)
	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteMultipart, Status: http.StatusConflict})
	require.NoError(t, u.pushTraces(context.Background(), llmSpans(6)))
	runs := emu.Runs("")
	require.Len(t, runs, 6, "every run delivered although the scripted 409 named none")
	n := countPaths(emu)
	assert.Equal(t, 1, n["/runs/query "+http.StatusText(http.StatusOK)])
	assert.Equal(t, 2, n["/runs/multipart "+http.StatusText(http.StatusAccepted)], "the query found none: halved once")
}

func TestInfoCanSwitchTheQueryOff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"version":"x","instance_flags":{"ch_query_enabled":false,"sdb_query_enabled":true}}`))
	}))
	t.Cleanup(srv.Close)
	u, _ := queryHarness(t)
	u.baseURL = srv.URL
	limits := u.ingestLimits(context.Background())
	assert.False(t, limits.runQuery)
	assert.True(t, u.noRunQuery.Load())
}

// After a restart, the posts a dead process had in flight are looked up before they are sent:
// those LangSmith has are not sent again, so their request meets no 409.
func TestInFlightRunsAreLookedUpBeforeSending(t *testing.T) {
	u, emu := queryHarness(t)
	td := llmSpans(10)
	ctx := context.Background()
	delivered := firstSpans(td, 4)
	require.NoError(t, u.pushTraces(ctx, delivered))

	// The previous process had sent runs 0–5 (of which LangSmith got 0–3) and died unanswered.
	store := storagetest.NewMem()
	dead, err := loadLedger(ctx, store)
	require.NoError(t, err)
	b := &runBatch{}
	u.translate(ctx, firstSpans(td, 6), b)
	_, err = dead.sent(ctx, b.runs)
	require.NoError(t, err)
	u.ledger, err = loadLedger(ctx, store)
	require.NoError(t, err)
	obs := &recordingObserver{}
	u.observer = obs
	before := countPaths(emu)

	require.NoError(t, u.pushTraces(ctx, td))
	for _, r := range emu.Runs("") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.ID, r.Posts)
	}
	require.Len(t, emu.Runs(""), 10)
	after := countPaths(emu)
	assert.Equal(t, 1, after["/runs/query "+http.StatusText(http.StatusOK)]-before["/runs/query "+http.StatusText(http.StatusOK)])
	assert.Equal(t, 1, after["/runs/multipart "+http.StatusText(http.StatusAccepted)]-before["/runs/multipart "+http.StatusText(http.StatusAccepted)], "the 6 runs LangSmith lacked, in one request")
	assert.Zero(t, after["/runs/multipart "+http.StatusText(http.StatusConflict)])
	outcomes, _ := obs.runs()
	assert.Equal(t, map[Outcome]int{Conflicted: 4, Delivered: 6}, outcomes, "the observer hears of the runs found")

	// What the query found is in the ledger now: a second restart skips it without asking.
	again, err := loadLedger(ctx, store)
	require.NoError(t, err)
	for i := range b.runs[:4] {
		assert.True(t, again.delivered(&b.runs[i]))
	}
}
