package smithemu

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/internal/synthetic"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// benchRunsPerBody is how many runs one benchmark request carries: the
// load's agent traces of one root and chat children, as the exporter batches them.
const benchRunsPerBody = 100

var benchStart = time.Date(2026, 3, 4, 5, 0, 0, 123456789, time.UTC)

// benchMultipartBody is a /runs/multipart body as the exporter sends it:
// AppendMultipart over runs translated from the load's agent spans.
func benchMultipartBody(tb testing.TB) (contentType string, body []byte) {
	tb.Helper()
	ct, body, _ := benchMultipartBodyAt(tb, 0)
	return ct, body
}

// benchMultipartBodyAt is benchMultipartBody with trace and span ids shifted by base (so bodies
// of different bases hold different runs); it returns the runs' ids too.
func benchMultipartBodyAt(tb testing.TB, base uint64) (contentType string, body []byte, ids []string) {
	tb.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	synthetic.PutAgentResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(synthetic.AgentScope)
	var runs []langsmith.Run
	opts := langsmith.Options{IDMode: langsmith.IDModeUUIDv7, DefaultProject: "bench"}
	const perTrace = 10
	for i := range benchRunsPerBody {
		span := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[:8], base+uint64(i/perTrace+1))
		span.SetTraceID(tid)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], base+uint64(i+1))
		span.SetSpanID(sid)
		start := benchStart.Add(time.Duration(i%perTrace) * time.Millisecond)
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
		if i%perTrace == 0 {
			span.SetName("invoke_agent wallet-agent")
			synthetic.PutAgentRootAttributes(span.Attributes())
		} else {
			span.SetName("chat gpt-4o-mini")
			synthetic.PutChatAttributes(span.Attributes(), 1200, 48)
		}
		// Translated as a root, then hung under its trace's root the way the
		// exporter's assembly resolves a child.
		run, err := langsmith.SpanToRun(rs.Resource(), ss.Scope(), span, opts)
		require.NoError(tb, err)
		if i%perTrace != 0 {
			root := runs[i/perTrace*perTrace]
			run.ParentRunID, run.TraceID = root.ID, root.ID
			run.DottedOrder = root.DottedOrder + "." + run.DottedOrder
		}
		runs = append(runs, run)
		ids = append(ids, run.ID.String())
	}
	const boundary = "benchboundary0123456789"
	body, err := langsmith.AppendMultipart(nil, boundary, runs)
	require.NoError(tb, err)
	return langsmith.MultipartContentType(boundary), body, ids
}

// BenchmarkIngestMultipart is one exporter request of benchRunsPerBody runs
// through the whole handler into a fresh store; ns/op divided by
// benchRunsPerBody is the cost of a run.
func BenchmarkIngestMultipart(b *testing.B) {
	ct, body := benchMultipartBody(b)
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return benchStart }
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := New(cfg)
		req := httptest.NewRequest(http.MethodPost, "/runs/multipart", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-Api-Key", "k")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// benchStoredRuns is how many runs the store holds before BenchmarkIngestMultipartFullStore's
// requests: about what the load's strict scenario has stored half-way through.
const benchStoredRuns = 50000

// BenchmarkIngestMultipartFullStore is BenchmarkIngestMultipart into a store already holding
// benchStoredRuns runs, so that ns/op carries the garbage collector's cost of marking what is
// stored (the live heap of a long load), which an empty store hides. Each request holds new
// runs; they are deleted again after it, so the store stays at benchStoredRuns. Bodies are
// zstd-compressed, as the exporter sends them in the load.
func BenchmarkIngestMultipartFullStore(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return benchStart }
	s := New(cfg)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	require.NoError(b, err)
	post := func(ct string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/runs/multipart", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Content-Encoding", "zstd")
		req.Header.Set("X-Api-Key", "k")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	for i := range benchStoredRuns / benchRunsPerBody {
		ct, body, _ := benchMultipartBodyAt(b, uint64(i+1)<<32)
		post(ct, enc.EncodeAll(body, nil))
	}
	ct, raw, ids := benchMultipartBodyAt(b, 0)
	body := enc.EncodeAll(raw, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		post(ct, body)
		s.mu.Lock()
		for _, id := range ids {
			if rs := s.store.runs[id]; rs != nil {
				delete(s.store.traces, rs.traceID)
				delete(s.store.runs, id)
			}
		}
		s.requests = s.requests[:0]
		s.mu.Unlock()
	}
}
