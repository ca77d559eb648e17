// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzDecode feeds arbitrary bodies to every decoder. Each must either accept the body, in
// which case the mapping must yield one span per record (per node) of valid UTF-8 with
// non-zero IDs, or refuse it with a client error; it must never panic.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	ndjson, _ := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	for _, name := range append(seeds, ndjson...) {
		body, err := os.ReadFile(filepath.Clean(name))
		if err != nil {
			f.Fatal(err)
		}
		for mode := range uint8(3) {
			f.Add(body, mode)
		}
	}
	for _, s := range []string{
		``, `null`, `[]`, `[{}]`, `{"a":`, "{}\n{}", `{"extra":{"k":[1,{"x":null}]}}`,
		`{"trace_id":"00000000-0000-0000-0000-000000000000"}`, `{"start_time_unix_nano":-0}`,
		`{"children":[{"children":[{"duration_ms":1e308}]}]}`, "{\"input\":\"\xff\"}",
		`{"span\u005fid":"00f067aa0ba902b7"}`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}

	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		var td ptrace.Traces
		var want int
		var err error
		switch mode % 3 {
		case 0, 1:
			format := FormatJSON
			if mode%3 == 1 {
				format = FormatNDJSON
			}
			var recs []Record
			recs, err = DecodeRecords(body, format, 100)
			if err == nil {
				td, want = RecordsToTraces(recs, Options{}), len(recs)
			}
		default:
			var s *Session
			s, err = DecodeSession(body, 100)
			if err == nil {
				td, want = SessionToTraces(s, Options{}), 1+countSpans(s.Children)
			}
		}
		if err != nil {
			verr, ok := errors.AsType[*ValidationError](err)
			if !ok || verr.Status < 400 || verr.Status > 499 || len(verr.Details) == 0 {
				t.Fatalf("want a 4xx *ValidationError with details, got %#v", err)
			}
			return
		}
		if got := td.SpanCount(); got != want {
			t.Fatalf("%d spans for %d records", got, want)
		}
		checkSpans(t, td)
	})
}

func checkSpans(t *testing.T, td ptrace.Traces) {
	t.Helper()
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				if span.TraceID().IsEmpty() || span.SpanID().IsEmpty() {
					t.Fatal("empty ID")
				}
				if span.EndTimestamp() < span.StartTimestamp() {
					t.Fatal("span ends before it starts")
				}
				if !utf8.ValidString(span.Name()) || !utf8.ValidString(span.Status().Message()) {
					t.Fatal("invalid UTF-8")
				}
				for k, v := range span.Attributes().All() {
					if !utf8.ValidString(k) || (v.Type() == pcommon.ValueTypeStr && !utf8.ValidString(v.Str())) {
						t.Fatalf("invalid UTF-8 in attribute %q", k)
					}
				}
			}
		}
	}
	if _, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td); err != nil {
		t.Fatal(err)
	}
}
