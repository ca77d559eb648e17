// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

var jsonStringCases = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnewline\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
	"<html>&amp;</html>", "é ü 日本 🎉", "\u2028\u2029", "bad \xff\xfe utf8", "trunc \xe2\x82",
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStringCases {
		t.Run(s, func(t *testing.T) {
			got := appendJSONString(nil, s)
			require.True(t, json.Valid(got), "%q", got)
			var back string
			require.NoError(t, json.Unmarshal(got, &back))
			std, err := json.Marshal(s)
			require.NoError(t, err)
			var want string
			require.NoError(t, json.Unmarshal(std, &want))
			assert.Equal(t, want, back, "decodes like encoding/json's encoding")
			assert.Equal(t, len(got), jsonStringLen(s))
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON for %q: %q", s, got)
		}
		if len(got) != jsonStringLen(s) {
			t.Fatalf("jsonStringLen(%q) = %d, encoded %d", s, jsonStringLen(s), len(got))
		}
	})
}

func TestAppendValueJSON(t *testing.T) {
	m := pcommon.NewMap()
	require.NoError(t, m.PutEmptySlice("b").FromRaw([]any{int64(1), "x", true, nil}))
	m.PutEmptyMap("a").PutDouble("k", 1.5)
	tests := []struct {
		name string
		set  func(v pcommon.Value)
		want string
	}{
		{name: "empty", set: func(pcommon.Value) {}, want: `null`},
		{name: "string", set: func(v pcommon.Value) { v.SetStr("a\"b") }, want: `"a\"b"`},
		{name: "int", set: func(v pcommon.Value) { v.SetInt(-42) }, want: `-42`},
		{name: "double", set: func(v pcommon.Value) { v.SetDouble(0.25) }, want: `0.25`},
		{name: "integral double", set: func(v pcommon.Value) { v.SetDouble(3) }, want: `3`},
		{name: "tiny double", set: func(v pcommon.Value) { v.SetDouble(1e-9) }, want: `1e-09`},
		{name: "huge double", set: func(v pcommon.Value) { v.SetDouble(1e300) }, want: `1e+300`},
		{name: "NaN", set: func(v pcommon.Value) { v.SetDouble(math.NaN()) }, want: `"NaN"`},
		{name: "-Inf", set: func(v pcommon.Value) { v.SetDouble(math.Inf(-1)) }, want: `"-Infinity"`},
		{name: "bool", set: func(v pcommon.Value) { v.SetBool(true) }, want: `true`},
		{name: "bytes", set: func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xde, 0xad}) }, want: `"3q0="`},
		{name: "map keeps order", set: func(v pcommon.Value) { m.CopyTo(v.SetEmptyMap()) }, want: `{"b":[1,"x",true,null],"a":{"k":1.5}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			tt.set(v)
			got := appendValueJSON(nil, v)
			assert.Equal(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

func TestClassifyJSON(t *testing.T) {
	tests := []struct {
		in   string
		want jsonKind
	}{
		{in: `{"a":1}`, want: jsonObject},
		{in: `[1]`, want: jsonArray},
		{in: `"s"`, want: jsonScalar},
		{in: `-1.5e3`, want: jsonScalar},
		{in: `null`, want: jsonScalar},
		{in: `{"a":`, want: jsonNone},
		{in: `hello`, want: jsonNone},
		{in: `true story`, want: jsonNone},
		{in: ``, want: jsonNone},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, classifyJSON(tt.in))
		})
	}
}

func TestEachJSONMember(t *testing.T) {
	obj := []byte(` { "a" : {"x":[1,{"y":"}"}]} , "b\"q":"s,]}" ,"c":-1.5e2,"d":null, "e":[] } `)
	var keys, vals []string
	eachJSONMember(obj, func(k, v []byte) bool {
		keys = append(keys, unquoteJSONKey(k))
		vals = append(vals, string(v))
		return true
	})
	assert.Equal(t, []string{"a", `b"q`, "c", "d", "e"}, keys)
	assert.Equal(t, []string{`{"x":[1,{"y":"}"}]}`, `"s,]}"`, `-1.5e2`, `null`, `[]`}, vals)
	assert.True(t, jsonHasMember(obj, "c"))
	assert.False(t, jsonHasMember(obj, "x"), "only top-level members count")

	var elems []string
	eachJSONElement([]byte(`[ {"a":"]"}, 2 ,"x"]`), func(v []byte) bool {
		elems = append(elems, string(v))
		return true
	})
	assert.Equal(t, []string{`{"a":"]"}`, `2`, `"x"`}, elems)
}

func TestAppendRunTime(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.FixedZone("X", 7200))
	got := appendRunTime(nil, ts)
	assert.Equal(t, `"2024-01-02T01:04:05.600000Z"`, string(got), "UTC, always six fractional digits")
	assert.Equal(t, len(got), runTimeQuotedLen(ts))
}
