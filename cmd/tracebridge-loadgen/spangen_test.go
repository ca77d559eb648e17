// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// testClock returns a clock that moves 7 ms 123 ns a read from a fixed time, the same for each
// generator given one.
func testClock() func() time.Time {
	t := time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(7*time.Millisecond + 123)
		return t
	}
}

// TestSpanGenMatchesLegacy holds the patched templates to the pdata generator they replace:
// with one seed and one clock, every request is the same bytes, through requests that start
// mid-trace, a trace of one span, and the short last request that finishes a trace.
func TestSpanGenMatchesLegacy(t *testing.T) {
	for _, tc := range []struct {
		perTrace, batch, requests int
	}{
		{5, 250, 4}, // the otlp-llm-100k load
		{5, 1, 12},
		{3, 7, 9}, // traces straddle requests: every phase
		{1, 4, 3},
		{5, 512, 2},
	} {
		for _, seed := range []uint64{1, 42} {
			g := newSpanGen(seed, tc.perTrace, 4)
			g.now = testClock()
			old := newLegacySpanGen(testClock(), seed, tc.perTrace, tc.batch)
			for i := range tc.requests {
				got, ct := g.body(tc.batch)
				want, wantCT := old.body(tc.batch)
				require.Equal(t, wantCT, ct)
				require.Equal(t, want, got, "perTrace %d batch %d seed %d request %d", tc.perTrace, tc.batch, seed, i)
				g.recycle(got)
			}
			assert.Equal(t, unfinished(old.n, old.perTrace), g.unfinished())
			// The old generator could not finish with more spans than its template held (an
			// index panic; -batch 1 cut mid-trace); the new one builds that shape too.
			if n := g.unfinished(); n > 0 {
				got, _ := g.body(n)
				if n <= tc.batch {
					want, _ := old.body(n)
					require.Equal(t, want, got, "the last request")
				} else {
					req := ptraceotlp.NewExportRequest()
					require.NoError(t, req.UnmarshalProto(got))
					assert.Equal(t, n, req.Traces().SpanCount())
				}
			}
			assert.Equal(t, old.traces, g.traceCount())
			assert.Zero(t, g.unfinished())
		}
	}
}

// TestSpanGenRequestsDecode: a request decodes to the spans of whole traces, children before
// their root, every child under its root, times as the generator sets them.
func TestSpanGenRequestsDecode(t *testing.T) {
	g := newSpanGen(7, 5, 4)
	body, _ := g.body(250)
	req := ptraceotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(body))
	spans := req.Traces().ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	require.Equal(t, 250, spans.Len())
	for i := 0; i < spans.Len(); i += 5 {
		root := spans.At(i + 4)
		assert.Equal(t, "invoke_agent wallet-agent", root.Name())
		assert.True(t, root.ParentSpanID().IsEmpty())
		assert.Equal(t, 1500*time.Millisecond, root.EndTimestamp().AsTime().Sub(root.StartTimestamp().AsTime()))
		for j := range 4 {
			c := spans.At(i + j)
			assert.Equal(t, root.TraceID(), c.TraceID())
			assert.Equal(t, root.SpanID(), c.ParentSpanID())
			assert.Equal(t, 250*time.Millisecond, c.EndTimestamp().AsTime().Sub(c.StartTimestamp().AsTime()))
			in, _ := c.Attributes().Get("gen_ai.usage.input_tokens")
			out, _ := c.Attributes().Get("gen_ai.usage.output_tokens")
			assert.True(t, in.Int() >= 700 && in.Int() < 1000, in.Int())
			assert.True(t, out.Int() >= 20 && out.Int() < 80, out.Int())
		}
	}
}

// BenchmarkSpanGen is one request of the otlp-llm-100k load (250 spans in 5-span traces) as
// the otlp mode produces it; ns/span is the cost of a span.
func BenchmarkSpanGen(b *testing.B) {
	g := newSpanGen(1, 5, 4)
	b.ReportAllocs()
	for b.Loop() {
		body, _ := g.body(250)
		g.recycle(body)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(g.n), "ns/span")
}
