// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/tracebridge/tracebridge/internal/proccpu"
	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadatatest"
)

// benchLLMRecord is one record as tracebridge-loadgen sends it (-mode raw -batch 1): an LLM
// turn with ~400 bytes of input and of output text, model and token usage in extra.
var benchLLMRecord = func() string {
	text := strings.Repeat("wallet transfer balance agent policy ", 11)
	return `{"trace_id":"1c563dcf980b449abb0dcbeaf1784e81","span_id":"00f067aa0ba902b7","span_name":"llm:turn-1",` +
		`"start_time_unix_nano":1795527349084000000,"end_time_unix_nano":1795527349588000000,` +
		`"input":"[{\"role\":\"user\",\"content\":\"` + text + `\"}]",` +
		`"output":"{\"role\":\"assistant\",\"content\":\"` + text + `\"}",` +
		`"level":"INFO","extra":{"model":"gpt-4o-mini","input_tokens":512,"output_tokens":64,"chain":"ETH"}}`
}()

// dropOtelhttp is the view the collector adds below `level: detailed` (its default is normal).
var dropOtelhttp = sdkmetric.NewView(
	sdkmetric.Instrument{Scope: instrumentation.Scope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"}},
	sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})

// discardWriter is the cheapest http.ResponseWriter: the benchmark measures the receiver, not
// a recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkRawSingleRecord is the raw endpoint's real-life pattern, one record per request,
// through the receiver's whole confighttp handler (otelhttp, body limit, decompression, key
// check, decode, translation, obsreport) into a consumer that keeps nothing. What the HTTP
// server itself costs (connections, syscalls) is not in it: the load scenario raw-single-3k
// measures that.
func BenchmarkRawSingleRecord(b *testing.B) {
	// The collector's default telemetry: metrics at level normal (whose views drop otelhttp's),
	// no traces of its own.
	tel := componenttest.NewTelemetry(componenttest.WithMetricOptions(sdkmetric.WithView(dropOtelhttp)))
	defer func() { require.NoError(b, tel.Shutdown(context.Background())) }()
	set := metadatatest.NewSettings(tel)
	set.TracerProvider = nooptrace.NewTracerProvider()
	r, err := newReceiver(testConfig(), set, consumertest.NewNop())
	require.NoError(b, err)
	defer r.telemetry.Shutdown()
	srv, err := r.newServer(b.Context(), nil)
	require.NoError(b, err)
	handler := srv.Handler

	body := []byte(benchLLMRecord)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := proccpu.Self()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://localhost"+pathRaw, io.NopCloser(bytes.NewReader(body)))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", keyTeamA)
		clear(w.header)
		handler.ServeHTTP(w, req)
		if w.status != http.StatusNoContent {
			b.Fatalf("status %d", w.status)
		}
	}
	cpu := proccpu.Self() - cpu0
	runtime.ReadMemStats(&after)
	// CPU time, GC included, says more than wall time on a machine other work shares.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/record")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "heapB/record")
}
