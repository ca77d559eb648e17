// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/internal/synthetic"
)

// benchSpan is a GenAI chat span as instrumentations emit it: ~20 attributes including input and
// output messages, token usage and request parameters.
func benchSpan(tb testing.TB) (pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span) {
	tb.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	require.NoError(tb, rs.Resource().Attributes().FromRaw(map[string]any{
		"service.name": "assistant", "service.version": "1.4.2", "deployment.environment.name": "prod",
		"telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry",
	}))
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
	ss.Scope().SetVersion("2.1b0")
	span := ss.Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})
	span.SetSpanID(pcommon.SpanID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
	span.SetName("chat gpt-4o")
	start := time.Date(2026, 1, 15, 10, 0, 0, 123456789, time.UTC)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1500 * time.Millisecond)))
	require.NoError(tb, span.Attributes().FromRaw(map[string]any{
		"gen_ai.operation.name":      "chat",
		"gen_ai.provider.name":       "openai",
		"gen_ai.request.model":       "gpt-4o",
		"gen_ai.response.model":      "gpt-4o-2024-08-06",
		"gen_ai.request.temperature": 0.2,
		"gen_ai.request.max_tokens":  int64(512),
		"gen_ai.request.top_p":       0.9,
		"gen_ai.system_instructions": `[{"type":"text","content":"You are a concise assistant that answers questions about the weather."}]`,
		"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"What is the weather in Paris today?"}]},` +
			`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},` +
			`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny, 21C"}]}]`,
		"gen_ai.output.messages":               `[{"role":"assistant","parts":[{"type":"text","content":"It is sunny and 21C in Paris."}],"finish_reason":"stop"}]`,
		"gen_ai.usage.input_tokens":            int64(1200),
		"gen_ai.usage.output_tokens":           int64(48),
		"gen_ai.usage.cache_read.input_tokens": int64(1024),
		"gen_ai.usage.reasoning_tokens":        int64(16),
		"gen_ai.response.id":                   "chatcmpl-AbC123",
		"gen_ai.response.finish_reasons":       []any{"stop"},
		"gen_ai.conversation.id":               "conv-42",
		"user.id":                              "user-7",
		"server.address":                       "api.openai.com",
		"server.port":                          int64(443),
		"langsmith.metadata.team":              "search",
		"langsmith.span.tags":                  "prod, weather",
	}))
	return rs.Resource(), ss.Scope(), span
}

func BenchmarkSpanToRun(b *testing.B) {
	res, scope, span := benchSpan(b)
	opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SpanToRun(res, scope, span, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArenaSpanToRun is SpanToRun the way the exporter calls it: the runs of a push share
// an Arena, reset after each push (here every 1,000 runs).
func BenchmarkArenaSpanToRun(b *testing.B) {
	res, scope, span := benchSpan(b)
	opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "bench"}
	var a Arena
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := a.SpanToRun(res, scope, span, opts); err != nil {
			b.Fatal(err)
		}
		if i++; i%1000 == 0 {
			a.Reset()
		}
	}
}

func BenchmarkWriteMultipart(b *testing.B) {
	res, scope, span := benchSpan(b)
	runs := make([]Run, 100)
	for i := range runs {
		id := span.SpanID()
		id[0] = byte(i)
		span.SetSpanID(id)
		run, err := SpanToRun(res, scope, span, Options{IDMode: IDModeUUIDv7})
		require.NoError(b, err)
		runs[i] = run
	}
	buf, err := AppendMultipart(nil, testBoundary, runs)
	require.NoError(b, err)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AppendMultipart(buf[:0], testBoundary, runs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBatchJSON(b *testing.B) {
	res, scope, span := benchSpan(b)
	run, err := SpanToRun(res, scope, span, Options{IDMode: IDModeUUIDv7})
	require.NoError(b, err)
	runs := make([]Run, 100)
	for i := range runs {
		runs[i] = run
	}
	buf := AppendBatchJSON(nil, runs)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBatchJSON(buf[:0], runs)
	}
}

// BenchmarkAppendChatMessages is the chat-message rewrite alone, on semconv messages with parts
// (text, a tool call, a tool result) as the otlp-llm-100k load workload's spans carry.
func BenchmarkAppendChatMessages(b *testing.B) {
	msgs := []byte(`[{"role":"user","parts":[{"type":"text","content":"What is the weather in Paris today, and should I take an umbrella for the afternoon walk along the Seine?"}]},` +
		`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris","units":"metric","hours":[12,15,18]}}]},` +
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":{"forecast":[{"h":12,"sky":"sunny","t":21},{"h":15,"sky":"cloudy","t":19}]}}]},` +
		`{"role":"assistant","parts":[{"type":"text","content":"It is sunny and 21C in Paris now; clouds come later, so an umbrella is not needed."}],"finish_reason":"stop"}]`)
	b.SetBytes(int64(len(msgs)))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = appendChatMessages(buf[:0], msgs)
	}
}

// llmBenchSpan is the chat span of test/load's otlp-llm-100k workload (cmd/tracebridge-loadgen):
// ~455 B of gen_ai semconv input/output messages, model, provider, token usage and temperature,
// a four-attribute resource, and the dotted order the exporter's assembler stamps on a child.
func llmBenchSpan(tb testing.TB) (pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span) {
	tb.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	synthetic.PutAgentResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(synthetic.AgentScope)
	span := ss.Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})
	span.SetSpanID(pcommon.SpanID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
	span.SetParentSpanID(pcommon.SpanID{0x11, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
	span.SetName("chat gpt-4o-mini")
	span.SetKind(ptrace.SpanKindClient)
	start := time.Date(2026, 1, 15, 10, 0, 0, 301000000, time.UTC)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(250 * time.Millisecond)))
	a := span.Attributes()
	synthetic.PutChatAttributes(a, 812, 41)
	a.PutStr("langsmith.span.dotted_order", "20260115T100000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3."+
		"20260115T100000301000Z0192f0a1-0001-7000-8000-0123456789ab")
	return rs.Resource(), ss.Scope(), span
}

// BenchmarkSpanToRunLLMHeavy is the exporter's call (an Arena reset every 1,000 runs) on the
// otlp-llm-100k workload's chat span.
func BenchmarkSpanToRunLLMHeavy(b *testing.B) {
	res, scope, span := llmBenchSpan(b)
	opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "bench"}
	if _, err := SpanToRun(res, scope, span, opts); err != nil {
		b.Fatal(err)
	}
	var a Arena
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := a.SpanToRun(res, scope, span, opts); err != nil {
			b.Fatal(err)
		}
		if i++; i%1000 == 0 {
			a.Reset()
		}
	}
}
