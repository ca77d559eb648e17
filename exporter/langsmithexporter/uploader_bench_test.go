// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
)

// llmSpans builds n root LLM spans with messages, usage and request parameters, the shape most
// agent spans have.
func llmSpans(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench-agent")
	ss := rs.ScopeSpans().AppendEmpty()
	start := time.Now().Add(-time.Minute)
	for i := range n {
		s := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		tid[0], tid[1], tid[2] = 0xbe, byte(i>>8), byte(i)
		s.SetTraceID(tid)
		s.SetSpanID(pcommon.SpanID{0x5e, byte(i >> 8), byte(i), 1, 2, 3, 4, 5})
		s.SetName("chat gpt-4o")
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(800 * time.Millisecond)))
		a := s.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		a.PutDouble("gen_ai.request.temperature", 0.2)
		a.PutInt("gen_ai.request.max_tokens", 512)
		a.PutStr("gen_ai.input.messages", `[{"role":"system","parts":[{"type":"text","content":"You are a helpful travel agent."}]},{"role":"user","parts":[{"type":"text","content":"Find me a flight from Paris to Lisbon next Friday, window seat, before noon."}]}]`)
		a.PutStr("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"I found three flights before noon; the 09:40 TAP flight has window seats left."}],"finish_reason":"stop"}]`)
		a.PutInt("gen_ai.usage.input_tokens", 412)
		a.PutInt("gen_ai.usage.output_tokens", 38)
		a.PutStr("gen_ai.response.id", "chatcmpl-bench")
		a.PutStr("user.id", "user-7")
	}
	return td
}

// BenchmarkUploaderPush measures the push path after assembly: span → run translation, multipart
// encoding, zstd and one POST per 100 spans to a server that only reads the body.
func BenchmarkUploaderPush(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.APIKey = "bench"
	set := exportertest.NewNopSettings(metadata.Type)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(b, err)
	up := newUploader(cfg, set, tb)
	require.NoError(b, up.start(context.Background(), componenttest.NewNopHost()))

	const spans = 100
	td := llmSpans(spans)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := up.pushTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { _ = up.pushTraces(context.Background(), td) }))/spans, "allocs/span")
}
