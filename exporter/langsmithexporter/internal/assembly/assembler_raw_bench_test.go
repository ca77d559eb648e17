// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/langfuse"
)

// rawRecordBatches maps raw records as the langfuse receiver does, five to a trace (four spans
// and the trace-level record, as tracebridge-loadgen -mode raw sends them), perCall records
// to a ConsumeTraces call: 1 is the raw endpoint's real-life pattern, one record a request.
func rawRecordBatches(firstRecord, calls, perCall int) []ptrace.Traces {
	text := `[{"role":"user","content":"wallet transfer balance agent policy wallet transfer balance agent policy"}]`
	out := make([]ptrace.Traces, 0, calls)
	n := firstRecord
	for range calls {
		recs := make([]langfuse.Record, perCall)
		for i := range recs {
			t := n / 5
			var traceID pcommon.TraceID
			traceID[0], traceID[1], traceID[2], traceID[3], traceID[15] = byte(t>>24), byte(t>>16), byte(t>>8), byte(t), 1
			r := langfuse.Record{
				TraceID: traceID, TraceName: "wallet-agent", SpanName: fmt.Sprintf("llm:turn-%d", n%5),
				StartTime: pcommon.Timestamp(1_795_527_349_084_000_000 + uint64(n)), HasStart: true,
				EndTime: pcommon.Timestamp(1_795_527_349_588_000_000 + uint64(n)), HasEnd: true,
				Input: text, Output: text, Level: langfuse.LevelInfo,
				Extra: []langfuse.Attribute{{Key: "model", Value: "gpt-4o-mini"}, {Key: "input_tokens", Value: langfuse.Number("512")}},
			}
			if n%5 != 4 { // the fifth record of a trace is trace-level: it names no span
				r.SpanID = pcommon.SpanID{0: byte(n), 1: byte(n >> 8), 2: byte(n >> 16), 3: byte(n >> 24), 7: 1}
			}
			recs[i] = r
			n++
		}
		out = append(out, langfuse.RecordsToTraces(recs, langfuse.Options{ReceivedAt: time.Unix(1_795_527_349, 0)}))
	}
	return out
}

// BenchmarkAssemblerRawRecords is what the assembler costs per raw record when each record
// is its own ConsumeTraces call (per_call_1), against the same records 100 to a call
// (per_call_100): the difference is the per-call setup (locks, the call's scratch state, the
// journal seal, metrics, the hand-off to the next consumer) that one record per request pays
// in full. The next consumer keeps nothing, so the queue behind the assembler is not in it.
func BenchmarkAssemblerRawRecords(b *testing.B) {
	cfg := testAssemblyConfig()
	cfg.MaxSpans = 1 << 30
	cfg.ResolvedMaxTraces = 100_000
	for _, perCall := range []int{1, 100} {
		b.Run(fmt.Sprintf("per_call_%d", perCall), func(b *testing.B) {
			a, _ := newTestAssembler(b, cfg, consumertest.NewNop(), nil)
			next := 0
			consumePooled(b, a, "record", perCall, func() []ptrace.Traces {
				calls := max(1000/perCall, 10)
				pool := rawRecordBatches(next, calls, perCall)
				next += calls * perCall
				return pool
			})
		})
	}
}

// BenchmarkAssemblerRawRecordsQueueFull is per_call_1 behind an upload queue that is full most
// of the time, as exporterhelper's is under raw-single-3k: the next consumer counts the spans
// it is offered (exporterhelper's Send does, to log a refusal) and takes one offer in 32, so
// released records wait in pending-out and are merged there.
func BenchmarkAssemblerRawRecordsQueueFull(b *testing.B) {
	cfg := testAssemblyConfig()
	cfg.MaxSpans = 1 << 30
	cfg.ResolvedMaxTraces = 100_000
	offers := 0
	full := errors.New("sending queue is full")
	next, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		offers++
		if td.SpanCount() == 0 || offers%32 != 0 {
			return full
		}
		return nil
	})
	require.NoError(b, err)
	a, _ := newTestAssembler(b, cfg, next, nil)
	first := 0
	consumePooled(b, a, "record", 1, func() []ptrace.Traces {
		pool := rawRecordBatches(first, 1000, 1)
		first += 1000
		return pool
	})
}
