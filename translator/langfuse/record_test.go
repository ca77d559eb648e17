// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// problem is what a bad-input case pins: where, and which pydantic error type.
type problem struct {
	loc string // the loc as JSON, e.g. `["body","span_id"]`
	typ string
}

func requireProblems(t *testing.T, err error, status int, want ...problem) {
	t.Helper()
	require.Error(t, err)
	verr, ok := errors.AsType[*ValidationError](err)
	require.True(t, ok, "want *ValidationError, got %T: %v", err, err)
	assert.Equal(t, status, verr.Status)
	got := make([]problem, len(verr.Details))
	for i, d := range verr.Details {
		loc, mErr := json.Marshal(d.Loc)
		require.NoError(t, mErr)
		got[i] = problem{loc: string(loc), typ: d.Type}
	}
	assert.Equal(t, want, got)
}

func TestDecodeRecordsRejects(t *testing.T) {
	const unprocessable = http.StatusUnprocessableEntity
	tests := []struct {
		name   string
		body   string
		format Format
		max    int
		opts   []DecodeOption
		status int
		want   []problem
	}{
		{name: "not JSON", body: `{"span_id": nope}`, status: unprocessable, want: []problem{{`["body",13]`, "json_invalid"}}},
		{name: "trailing data", body: `{} {}`, status: unprocessable, want: []problem{{`["body",3]`, "json_invalid"}}},
		{name: "truncated", body: `{"a":`, status: unprocessable, want: []problem{{`["body",5]`, "json_invalid"}}},
		{name: "empty body", body: " \n", status: unprocessable, want: []problem{{`["body"]`, "missing"}}},
		{name: "string body", body: `"record"`, status: unprocessable, want: []problem{{`["body"]`, "model_attributes_type"}}},
		{name: "null body", body: `null`, status: unprocessable, want: []problem{{`["body"]`, "model_attributes_type"}}},
		{name: "array of non-objects", body: `[{}, 1, null]`, status: unprocessable, want: []problem{
			{`["body",1]`, "model_attributes_type"}, {`["body",2]`, "model_attributes_type"},
		}},
		{name: "user_id number", body: `{"user_id": 5}`, status: unprocessable, want: []problem{{`["body","user_id"]`, "string_type"}}},
		{name: "input object", body: `{"input": {"a": 1}}`, status: unprocessable, want: []problem{{`["body","input"]`, "string_type"}}},
		{name: "trace_id short", body: `{"trace_id": "1c563dcf"}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "value_error"}}},
		{name: "trace_id not hex", body: `{"trace_id": "zc563dcf980b449abb0dcbeaf1784e81"}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "value_error"}}},
		{name: "trace_id zeros", body: `{"trace_id": "00000000-0000-0000-0000-000000000000"}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "value_error"}}},
		{name: "trace_id bad UUID dashes", body: `{"trace_id": "1c563dcf-980b449a-bb0d-cbeaf1784e81"}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "value_error"}}},
		{name: "trace_id number", body: `{"trace_id": 12}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "string_type"}}},
		{name: "trace_id empty", body: `{"trace_id": ""}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "value_error"}}},
		{name: "span_id 15 hex", body: `{"span_id": "00f067aa0ba902b"}`, status: unprocessable, want: []problem{{`["body","span_id"]`, "value_error"}}},
		{name: "span_id zeros", body: `{"span_id": "0000000000000000"}`, status: unprocessable, want: []problem{{`["body","span_id"]`, "value_error"}}},
		{name: "start as string", body: `{"start_time_unix_nano": "1"}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "int_type"}}},
		{name: "start as float", body: `{"start_time_unix_nano": 1.0}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "int_type"}}},
		{name: "start exponent", body: `{"start_time_unix_nano": 1e3}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "int_type"}}},
		{name: "start negative", body: `{"start_time_unix_nano": -1}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "greater_than_equal"}}},
		{name: "start too large", body: `{"start_time_unix_nano": 9223372036854775808}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "less_than_equal"}}},
		{name: "start 19 digits too large", body: `{"start_time_unix_nano": 9999999999999999999}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "less_than_equal"}}},
		{name: "start 20 digits", body: `{"start_time_unix_nano": 10000000000000000000}`, status: unprocessable, want: []problem{{`["body","start_time_unix_nano"]`, "less_than_equal"}}},
		{name: "end bool", body: `{"end_time_unix_nano": true}`, status: unprocessable, want: []problem{{`["body","end_time_unix_nano"]`, "int_type"}}},
		{name: "end before start", body: `{"start_time_unix_nano": 10, "end_time_unix_nano": 9}`, status: unprocessable, want: []problem{{`["body","end_time_unix_nano"]`, "value_error"}}},
		{name: "level unknown", body: `{"level": "TRACE"}`, status: unprocessable, want: []problem{{`["body","level"]`, "enum"}}},
		{name: "level lower case", body: `{"level": "info"}`, status: unprocessable, want: []problem{{`["body","level"]`, "enum"}}},
		{name: "level number", body: `{"level": 1}`, status: unprocessable, want: []problem{{`["body","level"]`, "string_type"}}},
		{name: "error as string", body: `{"error": "true"}`, status: unprocessable, want: []problem{{`["body","error"]`, "bool_type"}}},
		{name: "error as number", body: `{"error": 0}`, status: unprocessable, want: []problem{{`["body","error"]`, "bool_type"}}},
		{name: "extra array", body: `{"extra": []}`, status: unprocessable, want: []problem{{`["body","extra"]`, "dict_type"}}},
		{name: "extra string", body: `{"extra": "{}"}`, status: unprocessable, want: []problem{{`["body","extra"]`, "dict_type"}}},
		{
			name:   "every problem, in field order",
			body:   `{"extra": 1, "span_id": "x", "trace_name": 7, "error": null, "level": "X"}`,
			status: unprocessable,
			want: []problem{
				{`["body","trace_name"]`, "string_type"},
				{`["body","span_id"]`, "value_error"},
				{`["body","level"]`, "enum"},
				{`["body","extra"]`, "dict_type"},
			},
		},
		{
			name:   "array element",
			body:   `[{}, {}, {}, {"span_id": "abc"}]`,
			status: unprocessable,
			want:   []problem{{`["body",3,"span_id"]`, "value_error"}},
		},
		{
			name:   "too many in an array",
			body:   `[{}, {}, {}]`,
			max:    2,
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{
			name:   "NDJSON: problems by line",
			body:   "{}\n\n{\"span_id\": 1}\n{bad\n[]\n",
			format: FormatNDJSON,
			status: unprocessable,
			want: []problem{
				{`["body",2,"span_id"]`, "string_type"},
				{`["body",3]`, "json_invalid"},
				{`["body",4]`, "model_attributes_type"},
			},
		},
		{
			name:   "NDJSON: too many",
			body:   "{}\n{}\r\n{}",
			format: FormatNDJSON,
			max:    2,
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{name: "NDJSON: blank", body: "\n \n", format: FormatNDJSON, status: unprocessable, want: []problem{{`["body"]`, "missing"}}},
		{
			name:   "too many JSON nodes",
			body:   `{"extra": {"a": 1, "b": [2, 3]}}`, // 9 nodes: 3 containers, 3 keys, 3 scalars
			opts:   []DecodeOption{WithMaxNodes(8)},
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{
			name:   "too many records is told before too many nodes",
			body:   `[{}, {}, {}]`,
			max:    2,
			opts:   []DecodeOption{WithMaxNodes(1)},
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{
			name:   "NDJSON: too many JSON nodes in the whole body",
			body:   "{}\n{\"a\": 1}\n",
			format: FormatNDJSON,
			opts:   []DecodeOption{WithMaxNodes(3)},
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{
			name:   "nested deeper than the default limit",
			body:   `{"extra":` + strings.Repeat("[", DefaultMaxNesting) + strings.Repeat("]", DefaultMaxNesting) + `}`,
			status: unprocessable,
			want:   []problem{{fmt.Sprintf(`["body",%d]`, len(`{"extra":`)+DefaultMaxNesting-1), "json_invalid"}},
		},
		{
			name:   "nested deeper than a lowered limit",
			body:   `{"extra": {"a": [[1]]}}`,
			opts:   []DecodeOption{withMaxNesting(3)},
			status: unprocessable,
			want:   []problem{{`["body",17]`, "json_invalid"}},
		},
		{
			name:   "NDJSON: a line nested too deep",
			body:   "{}\n{\"extra\": {\"a\": {}}}\n",
			format: FormatNDJSON,
			opts:   []DecodeOption{withMaxNesting(2)},
			status: unprocessable,
			want:   []problem{{`["body",1]`, "json_invalid"}},
		},
		{
			name:   "at most MaxProblems problems, then a count of the rest",
			body:   "[" + strings.Repeat("1,", MaxProblems+49) + "1]",
			status: unprocessable,
			want:   append(elemProblems(MaxProblems, "model_attributes_type"), problem{`["body"]`, "too_many_errors"}),
		},
		{
			name:   "exactly MaxProblems problems: no count",
			body:   "[" + strings.Repeat("1,", MaxProblems-1) + "1]",
			status: unprocessable,
			want:   elemProblems(MaxProblems, "model_attributes_type"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := DecodeRecords([]byte(tt.body), tt.format, tt.max, tt.opts...)
			assert.Nil(t, recs)
			requireProblems(t, err, tt.status, tt.want...)
		})
	}
}

// elemProblems is one problem of type typ at each of ["body", 0] … ["body", n-1].
func elemProblems(n int, typ string) []problem {
	out := make([]problem, n)
	for i := range out {
		out[i] = problem{fmt.Sprintf(`["body",%d]`, i), typ}
	}
	return out
}

func TestDecodeRecordsErrorEntries(t *testing.T) {
	// The entries must read like pydantic v2's, which clients of the original API display.
	tests := []struct {
		body string
		want string
	}{
		{
			body: `{"span_id": 42}`,
			want: `{"loc":["body","span_id"],"msg":"Input should be a valid string","type":"string_type","input":42}`,
		},
		{
			body: `{"level": "TRACE"}`,
			want: `{"loc":["body","level"],"msg":"Input should be 'DEBUG', 'INFO', 'WARN' or 'ERROR'","type":"enum",` +
				`"input":"TRACE","ctx":{"expected":"'DEBUG', 'INFO', 'WARN' or 'ERROR'"}}`,
		},
		{
			body: `{"span_id": "xyz"}`,
			want: `{"loc":["body","span_id"],"msg":"Value error, span_id must be 16 hexadecimal characters","type":"value_error",` +
				`"input":"xyz","ctx":{"error":"span_id must be 16 hexadecimal characters"}}`,
		},
		{
			body: `{"start_time_unix_nano": -5}`,
			want: `{"loc":["body","start_time_unix_nano"],"msg":"Input should be greater than or equal to 0",` +
				`"type":"greater_than_equal","input":-5,"ctx":{"ge":0}}`,
		},
		{
			body: `{"extra": [1, "a"]}`,
			want: `{"loc":["body","extra"],"msg":"Input should be a valid dictionary","type":"dict_type","input":[1,"a"]}`,
		},
		{
			body: `{"a" 1}`,
			want: `{"loc":["body",5],"msg":"JSON decode error","type":"json_invalid","input":{},` +
				`"ctx":{"error":"invalid character '1' after object key"}}`,
		},
		{
			body: `{"extra":` + strings.Repeat("[", DefaultMaxNesting) + strings.Repeat("]", DefaultMaxNesting) + `}`,
			want: `{"loc":["body",1032],"msg":"JSON decode error","type":"json_invalid","input":{},` +
				`"ctx":{"error":"exceeded max depth of 1024"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.body[:min(len(tt.body), 40)], func(t *testing.T) {
			_, err := DecodeRecords([]byte(tt.body), FormatJSON, 0)
			verr, ok := errors.AsType[*ValidationError](err)
			require.True(t, ok, "%v", err)
			require.Len(t, verr.Details, 1)
			got, mErr := json.Marshal(verr.Details[0])
			require.NoError(t, mErr)
			assert.JSONEq(t, tt.want, string(got))
		})
	}
	verr := &ValidationError{Details: []Detail{{Loc: []any{"body", 3, "span_id"}, Msg: "bad"}, {}}}
	assert.Equal(t, "invalid body at body.3.span_id: bad (and 1 more)", verr.Error())
	verr = &ValidationError{Details: []Detail{{Loc: []any{"body", 0}, Msg: "bad"}, {}, {Type: "too_many_errors"}}, Omitted: 5}
	assert.Equal(t, "invalid body at body.0: bad (and 6 more)", verr.Error(), "the count entry is not a problem")
}

func TestDecodeRecordsProblemCap(t *testing.T) {
	// 250 bad records, each with two problems: 100 are listed, then one entry counts the
	// other 400. Past the cap, no loc is built.
	body := "[" + strings.Repeat(`{"span_id": 1, "error": "x"},`, 249) + `{"span_id": 1, "error": "x"}]`
	_, err := DecodeRecords([]byte(body), FormatJSON, 0)
	verr, ok := errors.AsType[*ValidationError](err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, http.StatusUnprocessableEntity, verr.Status)
	require.Len(t, verr.Details, MaxProblems+1)
	assert.Equal(t, 400, verr.Omitted)
	assert.Equal(t, []any{"body", 49, "error"}, verr.Details[MaxProblems-1].Loc)
	got, mErr := json.Marshal(verr.Details[MaxProblems])
	require.NoError(t, mErr)
	assert.JSONEq(t, `{"loc":["body"],"msg":"400 more problems were found and are not listed; only the first 100 are",`+
		`"type":"too_many_errors","input":null,"ctx":{"max_errors":100,"omitted":400}}`, string(got))
	assert.Equal(t, "invalid body at body.0.span_id: Input should be a valid string (and 499 more)", verr.Error())
}

func TestDecodeRecordsAccepts(t *testing.T) {
	recs, err := DecodeRecords([]byte(`{"trace_id":"1C563DCF980B449ABB0DCBEAF1784E81","trace_name":null,"span_name":null,`+
		`"level":null,"error":null,"extra":null,"start_time_unix_nano":0,"end_time_unix_nano":9223372036854775807}`), FormatJSON, 1)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, pcommon.TraceID{0x1c, 0x56, 0x3d, 0xcf, 0x98, 0x0b, 0x44, 0x9a, 0xbb, 0x0d, 0xcb, 0xea, 0xf1, 0x78, 0x4e, 0x81}, r.TraceID)
	assert.Equal(t, "trace", r.TraceName, "null takes the default")
	assert.Equal(t, "span", r.SpanName)
	assert.Equal(t, LevelInfo, r.Level)
	assert.True(t, r.HasStart)
	assert.Equal(t, pcommon.Timestamp(0), r.StartTime)
	assert.Equal(t, pcommon.Timestamp(9223372036854775807), r.EndTime, "MaxInt64 is the largest end taken")
	assert.True(t, r.IsTraceLevel())

	recs, err = DecodeRecords([]byte(`[]`), FormatJSON, 1)
	require.NoError(t, err)
	assert.Empty(t, recs)

	recs, err = DecodeRecords([]byte(strings.Repeat("{\"span_name\":\"x\"}\r\n", 3)), FormatNDJSON, 3)
	require.NoError(t, err)
	assert.Len(t, recs, 3)
}

func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\uD83D\uDE00"`,
		`"\ud800"`, `"\ud800x"`, `"\ud800\u0041"`, `"\udc00\ud800"`, "\"\xff\xfe ok \xc3\"", `"\u0000"`, `"é中😀"`,
		`"[{\"role\":\"user\",\"content\":\"plain text é \\n\"}]"`, `"ab\"` + "\xff" + `cd\u00e9ef"`, `"x\\"`,
	} {
		var want string
		require.NoError(t, json.Unmarshal([]byte(s), &want), s)
		v := value{kind: kindString, raw: []byte(s)}
		assert.Equal(t, want, v.str(), s)
		assert.Equal(t, want, unquote([]byte(s[1:len(s)-1])), s)
	}
}

// Members of every object of a parse share a slab that pooled parsers keep: many records,
// across several of its chunks, in one array and in NDJSON, each keep their own fields.
func TestDecodeManyRecordsKeepTheirOwnFields(t *testing.T) {
	const n = 600 // ~8 members each: several slab chunks
	var arr, nd strings.Builder
	arr.WriteString("[")
	for i := range n {
		rec := fmt.Sprintf(`{"span_id":"%016x","span_name":"s-%d","input":"in \"%d\"","extra":{"a":"%d","b":%d,"c":{"d":[%d]}}}`, i+1, i, i, i, i, i)
		if i > 0 {
			arr.WriteString(",")
		}
		arr.WriteString(rec)
		nd.WriteString(rec + "\n")
	}
	arr.WriteString("]")
	for name, body := range map[string]struct {
		b []byte
		f Format
	}{"array": {[]byte(arr.String()), FormatJSON}, "ndjson": {[]byte(nd.String()), FormatNDJSON}} {
		// Twice: the second decode reuses the pooled parser's slab.
		for range 2 {
			recs, err := DecodeRecords(body.b, body.f, 0)
			require.NoError(t, err, name)
			require.Len(t, recs, n)
			for i := range recs {
				r := &recs[i]
				assert.Equal(t, fmt.Sprintf("s-%d", i), r.SpanName, name)
				assert.Equal(t, fmt.Sprintf("in \"%d\"", i), r.Input, name)
				require.Len(t, r.Extra, 3, name)
				assert.Equal(t, Attribute{Key: "a", Value: strconv.Itoa(i)}, r.Extra[0], name)
				assert.Equal(t, Attribute{Key: "b", Value: Number(strconv.Itoa(i))}, r.Extra[1], name)
				assert.Equal(t, Attribute{Key: "c", Value: RawJSON(fmt.Sprintf(`{"d":[%d]}`, i))}, r.Extra[2], name)
			}
		}
	}
}

// TestIDFormsDecodeAlike pins that an ID read straight from the body (plainTraceID,
// plainSpanID) and one read through its unescaped string agree: every spelling of the same
// ID gives the same bytes, and a spelling either path refuses is refused with value_error.
func TestIDFormsDecodeAlike(t *testing.T) {
	wantTrace := pcommon.TraceID{0x1c, 0x56, 0x3d, 0xcf, 0x98, 0x0b, 0x44, 0x9a, 0xbb, 0x0d, 0xcb, 0xea, 0xf1, 0x78, 0x4e, 0x81}
	wantSpan := pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	for _, traceID := range []string{
		`1c563dcf980b449abb0dcbeaf1784e81`,
		`1C563DCF980B449ABB0DCBEAF1784E81`,
		`1c563dcf-980b-449a-bb0d-cbeaf1784e81`,
		`\u0031c563dcf980b449abb0dcbeaf1784e81`,     // escaped: the string path
		`1c563dcf-980b-449a-bb0d-cbeaf1784e8\u0031`, // a UUID with an escape
	} {
		for _, spanID := range []string{`00f067aa0ba902b7`, `00F067AA0BA902B7`, `00f067aa0ba902b\u0037`} {
			body := `{"trace_id":"` + traceID + `","span_id":"` + spanID + `"}`
			recs, err := DecodeRecords([]byte(body), FormatJSON, 0)
			require.NoError(t, err, body)
			assert.Equal(t, wantTrace, recs[0].TraceID, body)
			assert.Equal(t, wantSpan, recs[0].SpanID, body)
		}
	}
	for _, bad := range []string{
		`{"trace_id":"1c563dcf-980b-449a-bb0d-cbeaf1784e8g"}`, // not hex in the last group
		`{"trace_id":"1c563dcg980b449abb0dcbeaf1784e81"}`,
		`{"trace_id":"1c563dcf980b449abb0dcbeaf1784e8"}`,
		`{"trace_id":"00000000000000000000000000000000"}`,
		`{"trace_id":"1c563dcf980b449abb0dcbeaf1784e\u00e9"}`, // 32 bytes of text, not of hex
	} {
		_, err := DecodeRecords([]byte(bad), FormatJSON, 0)
		requireProblems(t, err, http.StatusUnprocessableEntity, problem{`["body","trace_id"]`, "value_error"})
	}
	for _, bad := range []string{
		`{"span_id":"00f067aa0ba902bz"}`, `{"span_id":"0000000000000000"}`, `{"span_id":"00f067aa0ba902b"}`,
	} {
		_, err := DecodeRecords([]byte(bad), FormatJSON, 0)
		requireProblems(t, err, http.StatusUnprocessableEntity, problem{`["body","span_id"]`, "value_error"})
	}
}
