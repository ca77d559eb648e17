// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/internal/synthetic"
)

// pdataOTLP is what the otlp sink recorded before scanOTLP: the request decoded into pdata, its
// span count, and the span IDs of the probe service's spans.
func pdataOTLP(b []byte, probeService string) (int, [][8]byte, error) {
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(b); err != nil {
		return 0, nil, err
	}
	td := req.Traces()
	var probes [][8]byte
	for _, rs := range td.ResourceSpans().All() {
		if v, ok := rs.Resource().Attributes().Get("service.name"); !ok || v.Str() != probeService {
			continue
		}
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				probes = append(probes, sp.SpanID())
			}
		}
	}
	return td.SpanCount(), probes, nil
}

// otlpRequest builds a request of resources, each with its service.name (none when "") and
// scopes of spans with distinct IDs.
func otlpRequest(tb testing.TB, resources []string, scopes, spansPerScope int) []byte {
	tb.Helper()
	td := ptrace.NewTraces()
	id := uint64(0)
	for _, name := range resources {
		rs := td.ResourceSpans().AppendEmpty()
		synthetic.PutAgentResource(rs.Resource().Attributes())
		if name == "" {
			rs.Resource().Attributes().Remove("service.name")
		} else {
			rs.Resource().Attributes().PutStr("service.name", name)
		}
		for range scopes {
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(synthetic.AgentScope)
			for range spansPerScope {
				id++
				sp := ss.Spans().AppendEmpty()
				sp.SetTraceID(pcommon.TraceID{1, byte(id >> 8), byte(id)})
				sp.SetSpanID(pcommon.SpanID{2, byte(id >> 8), byte(id), 9})
				sp.SetName("chat gpt-4o-mini")
				synthetic.PutChatAttributes(sp.Attributes(), 800, 40)
			}
		}
	}
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(tb, err)
	return b
}

func TestScanOTLPMatchesPdata(t *testing.T) {
	// A KeyValue of service.name that is not a string, and one after another service.name: the
	// first one counts, and only as a string.
	intName := ptrace.NewTraces()
	rs := intName.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutInt("service.name", 7)
	rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetSpanID(pcommon.SpanID{1})
	intBody, err := ptraceotlp.NewExportRequestFromTraces(intName).MarshalProto()
	require.NoError(t, err)

	tests := []struct {
		name string
		body []byte
	}{
		{name: "empty request", body: nil},
		{name: "no probes", body: otlpRequest(t, []string{"wallet-agent"}, 1, 50)},
		{name: "probes only", body: otlpRequest(t, []string{"loadtest-probe"}, 2, 5)},
		{name: "mixed resources", body: otlpRequest(t, []string{"wallet-agent", "loadtest-probe", "", "loadtest-probe-2", "loadtest-probe"}, 3, 4)},
		{name: "service.name not a string", body: intBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantSpans, wantProbes, err := pdataOTLP(tt.body, "loadtest-probe")
			require.NoError(t, err)
			spans, probes, err := scanOTLP(tt.body, "loadtest-probe", nil)
			require.NoError(t, err)
			assert.Equal(t, wantSpans, spans)
			assert.Equal(t, wantProbes, probes)
		})
	}
}

func TestScanOTLPRefusesBrokenFraming(t *testing.T) {
	body := otlpRequest(t, []string{"loadtest-probe"}, 1, 3)
	for _, cut := range []int{1, 7, len(body) / 2, len(body) - 1} {
		_, _, err := scanOTLP(body[:cut], "loadtest-probe", nil)
		assert.Error(t, err, "cut at %d of %d", cut, len(body))
	}
}

// FuzzScanOTLPMatchesPdata holds scanOTLP to pdata on every body pdata takes: the same span
// count and probe IDs. (It may take bodies pdata refuses: it checks framing, not every field.)
func FuzzScanOTLPMatchesPdata(f *testing.F) {
	f.Add(otlpRequest(f, []string{"loadtest-probe", "wallet-agent"}, 2, 2))
	f.Add(otlpRequest(f, []string{""}, 1, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		wantSpans, wantProbes, err := pdataOTLP(b, "loadtest-probe")
		if err != nil {
			return
		}
		spans, probes, err := scanOTLP(b, "loadtest-probe", nil)
		require.NoError(t, err)
		assert.Equal(t, wantSpans, spans)
		assert.True(t, slices.Equal(wantProbes, probes), "probes %v, want %v", probes, wantProbes)
	})
}

// BenchmarkScanOTLP is one request as the pass-through's batch processor sends it (8,192 of the
// load's LLM spans) through the scan; BenchmarkPdataOTLP the same through pdata, as before.
func BenchmarkScanOTLP(b *testing.B) {
	body := otlpRequest(b, []string{"wallet-agent", "loadtest-probe"}, 1, 4096)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var probes [][8]byte
	for b.Loop() {
		var err error
		if _, probes, err = scanOTLP(body, "loadtest-probe", probes[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPdataOTLP(b *testing.B) {
	body := otlpRequest(b, []string{"wallet-agent", "loadtest-probe"}, 1, 4096)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := pdataOTLP(body, "loadtest-probe"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOTLPSinkRecordsProbesAndSpans(t *testing.T) {
	s := &server{mode: "otlp", probeService: "loadtest-probe", accepted: map[string]int64{}, status: map[int]int64{}, zdec: testDecoder()}
	body := otlpRequest(t, []string{"wallet-agent", "loadtest-probe"}, 2, 3)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(body)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	post := func(b []byte, enc string) int {
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", enc)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Code
	}
	require.Equal(t, http.StatusOK, post(gz.Bytes(), "gzip"))
	require.Equal(t, http.StatusOK, post(gz.Bytes(), "gzip")) // the pooled reader and buffers again
	assert.Equal(t, int64(2*12), s.spans.Load())
	_, probes, err := pdataOTLP(body, "loadtest-probe")
	require.NoError(t, err)
	require.Len(t, probes, 6)
	for _, id := range probes {
		assert.NotZero(t, s.accepted[hex.EncodeToString(id[:])], "probe %x", id)
	}
	assert.Len(t, s.accepted, 6, "only the probe service's spans are recorded")

	assert.Equal(t, http.StatusBadRequest, post(body[:len(body)-3], ""))
	assert.Equal(t, int64(2*12), s.spans.Load(), "a refused request counts no span")
}
