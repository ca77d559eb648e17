// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current mapping")

var receivedAt = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testOptions makes the mapping deterministic: a fixed receive time and trace IDs counting up
// from …01.
func testOptions(tenant string) Options {
	var n byte
	return Options{
		TenantProject: tenant,
		ReceivedAt:    receivedAt,
		ScopeName:     "langfuse-test",
		NewTraceID: func() pcommon.TraceID {
			n++
			return pcommon.TraceID{0xee, 0xee, 15: n}
		},
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		input  string
		tenant string
	}{
		{input: "record_full.json"},
		{input: "record_minimal.json"},
		{input: "record_trace_level.json"},
		{input: "record_error.json"},
		{input: "records_batch.ndjson", tenant: "team-a"},
		{input: "records_array.json", tenant: "team-b"},
		{input: "session_tree.json", tenant: "team-a"},
		{input: "session_ids.json"},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.input))
			require.NoError(t, err)
			td := translate(t, tt.input, body, testOptions(tt.tenant))

			got, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
			require.NoError(t, err)
			goldenPath := filepath.Join("testdata", strings.TrimSuffix(tt.input, filepath.Ext(tt.input))+".otlp.json")
			if *update {
				var pretty bytes.Buffer
				require.NoError(t, json.Indent(&pretty, got, "", "  "))
				pretty.WriteByte('\n')
				require.NoError(t, os.WriteFile(goldenPath, pretty.Bytes(), 0o600))
			}
			want, err := os.ReadFile(filepath.Clean(goldenPath))
			require.NoError(t, err, "run `go test ./translator/langfuse -run TestGolden -update` to create it")

			// Compare as data: the golden file must also be valid OTLP/JSON, and formatting
			// or key order must not matter.
			_, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(want)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

func translate(tb testing.TB, name string, body []byte, opts Options) ptrace.Traces {
	tb.Helper()
	switch {
	case strings.HasPrefix(name, "session"):
		s, err := DecodeSession(body, 0)
		require.NoError(tb, err)
		return SessionToTraces(s, opts)
	case strings.HasSuffix(name, ".ndjson"):
		recs, err := DecodeRecords(body, FormatNDJSON, 0)
		require.NoError(tb, err)
		return RecordsToTraces(recs, opts)
	default:
		recs, err := DecodeRecords(body, FormatJSON, 0)
		require.NoError(tb, err)
		return RecordsToTraces(recs, opts)
	}
}

func decodeOne(t *testing.T, body string) Record {
	t.Helper()
	recs, err := DecodeRecords([]byte(body), FormatJSON, 0)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	return recs[0]
}

func firstSpan(td ptrace.Traces) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
}

func TestRecordMapping(t *testing.T) {
	t.Run("trace-level records of one trace share one span", func(t *testing.T) {
		a := decodeOne(t, `{"trace_id":"1c563dcf980b449abb0dcbeaf1784e81","input":"q"}`)
		b := decodeOne(t, `{"trace_id":"1C563DCF-980B-449A-BB0D-CBEAF1784E81","output":"a"}`)
		sa := firstSpan(RecordsToTraces([]Record{a}, testOptions("")))
		sb := firstSpan(RecordsToTraces([]Record{b}, testOptions("")))
		assert.Equal(t, sa.TraceID(), sb.TraceID())
		assert.Equal(t, sa.SpanID(), sb.SpanID())
		assert.False(t, sa.SpanID().IsEmpty())
	})
	t.Run("span records never write trace input and output", func(t *testing.T) {
		r := decodeOne(t, `{"span_id":"00f067aa0ba902b7","input":"q","output":"a"}`)
		attrs := firstSpan(RecordsToTraces([]Record{r}, testOptions(""))).Attributes()
		_, hasTraceInput := attrs.Get(conventions.LangfuseTraceInput)
		assert.False(t, hasTraceInput)
		v, _ := attrs.Get(conventions.LangfuseObservationInput)
		assert.Equal(t, "q", v.Str())
	})
	t.Run("level mapping", func(t *testing.T) {
		for level, want := range map[string]string{"DEBUG": "DEBUG", "INFO": "DEFAULT", "WARN": "WARNING", "ERROR": "ERROR"} {
			r := decodeOne(t, `{"level":"`+level+`"}`)
			v, _ := firstSpan(RecordsToTraces([]Record{r}, testOptions(""))).Attributes().Get(conventions.LangfuseObservationLevel)
			assert.Equal(t, want, v.Str(), level)
		}
	})
	t.Run("only an end: start copies it", func(t *testing.T) {
		r := decodeOne(t, `{"end_time_unix_nano":5}`)
		span := firstSpan(RecordsToTraces([]Record{r}, testOptions("")))
		assert.Equal(t, pcommon.Timestamp(5), span.StartTimestamp())
		assert.Equal(t, pcommon.Timestamp(5), span.EndTimestamp())
		_, open := span.Attributes().Get(conventions.ObservationOpen)
		assert.False(t, open)
	})
	t.Run("random trace IDs differ", func(t *testing.T) {
		r := decodeOne(t, `{}`)
		td := RecordsToTraces([]Record{r, r}, Options{})
		spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		assert.NotEqual(t, spans.At(0).TraceID(), spans.At(1).TraceID())
		assert.False(t, spans.At(0).TraceID().IsEmpty())
		svc, _ := td.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
		assert.Equal(t, DefaultServiceName, svc.Str())
		assert.Equal(t, DefaultScopeName, td.ResourceSpans().At(0).ScopeSpans().At(0).Scope().Name())
	})
	t.Run("duplicate keys: the last counts", func(t *testing.T) {
		r := decodeOne(t, `{"span_name":1,"span_name":"second","level":"WARN","level":null}`)
		assert.Equal(t, "second", r.SpanName)
		assert.Equal(t, LevelInfo, r.Level)
	})
	t.Run("escaped keys and unknown fields", func(t *testing.T) {
		r := decodeOne(t, `{"span\u005fname":"esc","unknown":{"x":[1,2]},"parent_span_id":"x"}`)
		assert.Equal(t, "esc", r.SpanName)
	})
	t.Run("invalid UTF-8 is replaced, never passed on", func(t *testing.T) {
		r := decodeOne(t, "{\"input\":\"a\xffb\",\"extra\":{\"k\":[\"\xfe\"]}}")
		assert.Equal(t, "a\uFFFDb", r.Input)
		require.Len(t, r.Extra, 1)
		assert.Equal(t, RawJSON("[\"\uFFFD\"]"), r.Extra[0].Value)
	})
}
