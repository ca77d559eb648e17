// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// benchRecord is a typical record: every field set, a few extra keys.
const benchRecord = `{"user_id": "u-42", "session_id": "sess-9", "trace_id": "1c563dcf980b449abb0dcbeaf1784e81",` +
	` "trace_name": "wallet-agent", "span_id": "00f067aa0ba902b7", "span_name": "exec:caw tx transfer",` +
	` "start_time_unix_nano": 1795527349084000000, "end_time_unix_nano": 1795527349588000000,` +
	` "input": "{\"cmd\":\"caw tx transfer --to 0xabc --amount 1\"}", "output": "{\"status\":\"submitted\"}",` +
	` "level": "INFO", "error": false, "status_message": null, "extra": {"chain": "ETH", "wallet_id": "w-1", "attempt": 1}}`

func ndjsonBatch(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, `{"trace_id": "1c563dcf980b449abb0dcbeaf1784e81", "span_id": "%016x", "span_name": "exec:caw",`+
			` "start_time_unix_nano": 1795527349084000000, "end_time_unix_nano": 1795527349588000000,`+
			` "input": "{\"cmd\":\"caw status\"}", "output": "ok", "level": "INFO", "extra": {"turn": %d}}`+"\n", i+1, i)
	}
	return buf.Bytes()
}

// The benchmarks report records/s and allocs/record besides the per-op figures.

func BenchmarkDecode(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		benchmarkRecords(b, []byte(benchRecord), FormatJSON, 1, false)
	})
	b.Run("ndjson100", func(b *testing.B) {
		benchmarkRecords(b, ndjsonBatch(100), FormatNDJSON, 100, false)
	})
}

func BenchmarkDecodeAndMap(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		benchmarkRecords(b, []byte(benchRecord), FormatJSON, 1, true)
	})
	b.Run("ndjson100", func(b *testing.B) {
		benchmarkRecords(b, ndjsonBatch(100), FormatNDJSON, 100, true)
	})
}

func benchmarkRecords(b *testing.B, body []byte, format Format, n int, mapToo bool) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	opts := Options{TenantProject: "team-a"}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		recs, err := DecodeRecords(body, format, 10000)
		if err != nil || len(recs) != n {
			b.Fatal(err)
		}
		if mapToo {
			_ = RecordsToTraces(recs, opts)
		}
	}
	runtime.ReadMemStats(&after)
	records := float64(b.N * n)
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
}

// BenchmarkRefuseHugeBody is the 20 MiB `[0,0,…]` body: refused with 413 from a byte scan,
// before any tree is built (it allocated 5.4 GB when the limits were checked afterwards).
func BenchmarkRefuseHugeBody(b *testing.B) {
	body := []byte("[" + strings.Repeat("0,", 10<<20) + "0]")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRecords(body, FormatJSON, 10_000); err == nil {
			b.Fatal("accepted")
		}
	}
}
