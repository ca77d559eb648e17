// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// variedLLMSpans is llmSpans with message text that differs from span to span (real chat
// content rarely repeats across calls, except system prompts), so compression is not measured
// on a body that is one span repeated.
func variedLLMSpans(n int) []langsmith.Run {
	td := llmSpans(n)
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // test data
	words := strings.Fields("the a flight seat window Paris Lisbon Friday noon TAP price fare " +
		"booking return luggage aisle morning evening direct stop layover airport terminal gate")
	text := func(k int) string {
		var b strings.Builder
		for b.Len() < k {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	runs := make([]langsmith.Run, 0, n)
	for i := range spans.Len() {
		a := spans.At(i).Attributes()
		a.PutStr("gen_ai.input.messages", fmt.Sprintf(`[{"role":"system","parts":[{"type":"text","content":"You are a helpful travel agent."}]},{"role":"user","parts":[{"type":"text","content":%q}]}]`, text(200)))
		a.PutStr("gen_ai.output.messages", fmt.Sprintf(`[{"role":"assistant","parts":[{"type":"text","content":%q}],"finish_reason":"stop"}]`, text(150)))
		run, err := langsmith.SpanToRun(td.ResourceSpans().At(0).Resource(), td.ResourceSpans().At(0).ScopeSpans().At(0).Scope(), spans.At(i), langsmith.Options{DefaultProject: "bench"})
		if err != nil {
			panic(err)
		}
		runs = append(runs, run)
	}
	return runs
}

// BenchmarkZstdBody compresses one 250-run multipart body (50 agent traces' worth, what one
// OTLP request of the issue 18 load becomes) at the levels and windows the encoder could use;
// ratio is uncompressed / compressed bytes. It chose the uploader's settings.
func BenchmarkZstdBody(b *testing.B) {
	body, err := langsmith.AppendMultipart(nil, "f3e0c4ba-6d3c-4c61-9a3e-5b8e0f5b7d21", variedLLMSpans(250))
	require.NoError(b, err)
	raw := bytes.NewBuffer(body)
	for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault} {
		for _, window := range []int{0, 1 << 20, 256 << 10, 64 << 10} {
			opts := []zstd.EOption{zstd.WithEncoderLevel(level), zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(1)}
			name := fmt.Sprintf("%s/window=default", level)
			if window > 0 {
				opts = append(opts, zstd.WithWindowSize(window))
				name = fmt.Sprintf("%s/window=%dKiB", level, window>>10)
			}
			b.Run(name, func(b *testing.B) {
				enc, err := zstd.NewWriter(nil, opts...)
				require.NoError(b, err)
				var out []byte
				b.SetBytes(int64(raw.Len()))
				b.ReportAllocs()
				for b.Loop() {
					out = enc.EncodeAll(raw.Bytes(), out[:0])
				}
				b.ReportMetric(float64(raw.Len())/float64(len(out)), "ratio")
				b.ReportMetric(float64(len(out))/250, "B/run")
			})
		}
	}
}
