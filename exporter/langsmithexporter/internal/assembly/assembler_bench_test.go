// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/internal/proccpu"

	"github.com/tracebridge/tracebridge/internal/synthetic"
)

// benchBatch builds tracesPerBatch traces of 5 spans (root, two children, two grandchildren),
// children first, with attributes of a typical LLM span.
func benchBatch(first uint32, tracesPerBatch int, withRoot bool) ptrace.Traces {
	return benchBatchOrdered(first, tracesPerBatch, withRoot, false)
}

func benchBatchOrdered(first uint32, tracesPerBatch int, withRoot, rootFirst bool) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench")
	ss := rs.ScopeSpans().AppendEmpty()
	for t := range tracesPerBatch {
		var traceID pcommon.TraceID
		n := first + uint32(t)
		traceID[0], traceID[1], traceID[2], traceID[3], traceID[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n), 1
		// id: parent
		shape := [][2]byte{{4, 2}, {5, 3}, {2, 1}, {3, 1}, {1, 0}}
		if rootFirst {
			slices.Reverse(shape)
		}
		for _, s := range shape {
			if s[1] == 0 && !withRoot {
				continue
			}
			span := ss.Spans().AppendEmpty()
			span.SetTraceID(traceID)
			span.SetSpanID(pcommon.SpanID{7: s[0]})
			if s[1] != 0 {
				span.SetParentSpanID(pcommon.SpanID{7: s[1]})
			}
			span.SetName("chat gpt-4o")
			span.SetStartTimestamp(pcommon.Timestamp(1_767_000_000_000_000_000 + uint64(s[0])*1_000_000))
			span.SetEndTimestamp(pcommon.Timestamp(1_767_000_000_900_000_000))
			attrs := span.Attributes()
			attrs.PutStr("gen_ai.system", "openai")
			attrs.PutStr("gen_ai.request.model", "gpt-4o")
			attrs.PutInt("gen_ai.usage.input_tokens", 120)
			attrs.PutInt("gen_ai.usage.output_tokens", 40)
			attrs.PutStr("gen_ai.prompt", `[{"role":"user","content":"What is the capital of France?"}]`)
			attrs.PutStr("gen_ai.completion", `[{"role":"assistant","content":"Paris."}]`)
		}
	}
	return td
}

// sdkBatch builds what an OTel SDK exports for tracesPerBatch 5-span agent traces, as
// cmd/tracebridge-loadgen sends them: each trace's four chat spans (ended first) and then its
// root, with the attributes of LLM calls (messages of a few hundred bytes).
func sdkBatch(first uint32, tracesPerBatch int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	synthetic.PutAgentResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(synthetic.AgentScope)
	start := pcommon.Timestamp(1_767_000_000_000_000_000)
	for t := range tracesPerBatch {
		var traceID pcommon.TraceID
		n := first + uint32(t)
		traceID[0], traceID[1], traceID[2], traceID[3], traceID[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n), 1
		root := pcommon.SpanID{0: byte(n), 1: byte(n >> 8), 2: byte(n >> 16), 3: byte(n >> 24), 7: 1}
		for i := range 4 {
			s := ss.Spans().AppendEmpty()
			s.SetTraceID(traceID)
			s.SetSpanID(pcommon.SpanID{0: byte(n), 1: byte(n >> 8), 2: byte(n >> 16), 3: byte(n >> 24), 7: byte(2 + i)})
			s.SetParentSpanID(root)
			s.SetName("chat gpt-4o-mini")
			s.SetKind(ptrace.SpanKindClient)
			st := start + pcommon.Timestamp(i*300+1)*1_000_000
			s.SetStartTimestamp(st)
			s.SetEndTimestamp(st + 250_000_000)
			synthetic.PutChatAttributes(s.Attributes(), int64(700+i), int64(20+i))
		}
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(traceID)
		s.SetSpanID(root)
		s.SetName("invoke_agent wallet-agent")
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(start)
		s.SetEndTimestamp(start + 1_500_000_000)
		synthetic.PutAgentRootAttributes(s.Attributes())
	}
	return td
}

// BenchmarkAssemblerConsume measures the hot path on 100-span batches of 5-span traces:
// sdk_order is the real pattern (cmd/tracebridge-loadgen's requests: LLM-sized attributes, each
// trace's children before its root in the same batch); children_first and root_first use
// smaller spans in a three-level tree, children (grandchildren first) or root first. It also
// measures what a parked span costs in memory.
func BenchmarkAssemblerConsume(b *testing.B) {
	const tracesPerBatch = 20
	cfg := testAssemblyConfig()
	cfg.MaxSpans = 1 << 30
	cfg.ResolvedMaxTraces = 100_000
	ctx := context.Background()

	for _, mode := range []struct {
		name  string
		batch func(first uint32, traces int) ptrace.Traces
	}{
		{"sdk_order", sdkBatch},
		{"children_first", func(first uint32, traces int) ptrace.Traces { return benchBatchOrdered(first, traces, true, false) }},
		{"root_first", func(first uint32, traces int) ptrace.Traces { return benchBatchOrdered(first, traces, true, true) }},
	} {
		b.Run(mode.name, func(b *testing.B) { benchConsume(b, cfg, mode.batch) })
	}

	b.Run("parked_memory", func(b *testing.B) {
		// Spans whose roots never come stay parked: live heap per parked span.
		const batches = 200 // 16,000 parked spans
		for b.Loop() {
			b.StopTimer()
			p, clk := newTestAssembler(b, cfg, consumertest.NewNop(), nil)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := range batches {
				td := benchBatch(uint32(i)*tracesPerBatch, tracesPerBatch, false)
				b.StartTimer()
				if err := p.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			n := float64(p.parkedSpans)
			b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/n, "B/parked-span")
			b.ReportMetric(float64(p.parkedBytes)/n, "estimated-B/parked-span")
			p.flushDue(clk.advance(time.Hour))
			b.StartTimer()
		}
	})
}

func benchConsume(b *testing.B, cfg Config, batch func(first uint32, traces int) ptrace.Traces) {
	const tracesPerBatch = 20
	a, _ := newTestAssembler(b, cfg, consumertest.NewNop(), nil)
	var nextTrace uint32
	consumePooled(b, a, "span", tracesPerBatch*5, func() []ptrace.Traces {
		pool := make([]ptrace.Traces, 0, 256)
		for range 256 {
			pool = append(pool, batch(nextTrace, tracesPerBatch))
			nextTrace += tracesPerBatch
		}
		return pool
	})
}

// consumePooled runs a.ConsumeTraces once per iteration on the batches refill makes, each
// holding perBatch units. Refills run outside the timer and their CPU, allocations and bytes are
// subtracted, so the metrics per unit are the consumption's alone: wall time, the whole
// process's CPU (GC workers included: what the 2-core budget pays, and less sensitive than wall
// time to other load on a shared machine), allocations and bytes allocated.
func consumePooled(b *testing.B, a *Assembler, unit string, perBatch int, refill func() []ptrace.Traces) {
	ctx := context.Background()
	var pool []ptrace.Traces
	var ms0, ms1, r0, r1 runtime.MemStats
	var refillMallocs, refillBytes uint64
	var refillCPU time.Duration
	b.ReportAllocs()
	runtime.ReadMemStats(&ms0)
	cpu0 := proccpu.Self()
	for b.Loop() {
		if len(pool) == 0 {
			b.StopTimer()
			c0 := proccpu.Self()
			runtime.ReadMemStats(&r0)
			pool = refill()
			runtime.ReadMemStats(&r1)
			refillMallocs += r1.Mallocs - r0.Mallocs
			refillBytes += r1.TotalAlloc - r0.TotalAlloc
			refillCPU += proccpu.Self() - c0
			b.StartTimer()
		}
		td := pool[len(pool)-1]
		pool = pool[:len(pool)-1]
		if err := a.ConsumeTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	cpu := proccpu.Self() - cpu0 - refillCPU
	runtime.ReadMemStats(&ms1)
	units := float64(b.N * perBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/units, "ns/"+unit)
	b.ReportMetric(float64(cpu.Nanoseconds())/units, "cpu-ns/"+unit)
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs-refillMallocs)/units, "allocs/"+unit)
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc-refillBytes)/units, "alloc-B/"+unit)
}
