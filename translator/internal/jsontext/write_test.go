// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

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
			got := AppendString(nil, s)
			require.True(t, json.Valid(got), "%q", got)
			var back string
			require.NoError(t, json.Unmarshal(got, &back))
			std, err := json.Marshal(s)
			require.NoError(t, err)
			var want string
			require.NoError(t, json.Unmarshal(std, &want))
			assert.Equal(t, want, back, "decodes like encoding/json's encoding")
			assert.Equal(t, len(got), StringLen(s))
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON for %q: %q", s, got)
		}
		if len(got) != StringLen(s) {
			t.Fatalf("StringLen(%q) = %d, encoded %d", s, StringLen(s), len(got))
		}
		// plainRun's eight-byte test must find exactly the bytes the byte-by-byte loop stopped at.
		if want := refAppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %q, byte by byte %q", s, got, want)
		}
	})
}

// Every byte value at every position of an eight-byte word, and runs longer than a word.
func TestAppendJSONStringEveryByte(t *testing.T) {
	for c := range 256 {
		for pos := range 17 {
			b := []byte(strings.Repeat("a", 17))
			b[pos] = byte(c)
			s := string(b)
			require.Equal(t, string(refAppendString(nil, s)), string(AppendString(nil, s)), "byte %#x at %d", c, pos)
			require.Equal(t, len(refAppendString(nil, s)), StringLen(s), "byte %#x at %d", c, pos)
		}
	}
	for _, s := range []string{"héllo wörld, ünïcode everywhere in a long string", "line\nbreak \"quoted\" \u2028 sep\u2029", strings.Repeat("x", 100) + "\x00" + strings.Repeat("y", 9)} {
		require.Equal(t, string(refAppendString(nil, s)), string(AppendString(nil, s)))
		require.Equal(t, len(refAppendString(nil, s)), StringLen(s))
	}
}

// refAppendString is AppendString as it was before plainRun: byte by byte. It escapes what encoding/json escapes except the
// HTML characters (<, >, &), which are legal JSON and would only bloat prompts; invalid UTF-8
// becomes U+FFFD, as encoding/json does.
func refAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript consumers; encoding/json escapes
		// them too.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
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
			got := AppendValue(nil, v)
			assert.Equal(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

// plainRun and stringRun against their byte-by-byte definitions, from every start, on strings
// of every length up to three words with one byte value at one position: the word loop, the
// overlapping last word and the short-string loop all meet each byte.
func TestRunsEveryByteEveryLength(t *testing.T) {
	refPlain := func(s string, i int) int {
		for ; i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' && s[i] < utf8.RuneSelf; i++ {
		}
		return i
	}
	refString := func(b []byte, i int) int {
		for ; i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\'; i++ {
		}
		return i
	}
	for n := range 25 {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				for i := range n + 1 {
					if got, want := plainRun(string(b), i), refPlain(string(b), i); got != want {
						t.Fatalf("plainRun(%q, %d) = %d, want %d", b, i, got, want)
					}
					if got, want := stringRun(b, i), refString(b, i); got != want {
						t.Fatalf("stringRun(%q, %d) = %d, want %d", b, i, got, want)
					}
				}
			}
		}
	}
}

// Key writes a name as AppendString does, plain or not, with the separator before all but the
// first.
func TestObjectWriterKeyMatchesAppendString(t *testing.T) {
	keys := append([]string{"otel_trace_id", "k", "gen_ai.response.model", "a-key-longer-than-sixteen"}, jsonStringCases...)
	var w ObjectWriter
	got := w.Open(nil)
	want := []byte{'{'}
	for i, k := range keys {
		got = w.Key(got, k)
		got = append(got, '1')
		if i > 0 {
			want = append(want, ',')
		}
		want = append(AppendString(want, k), ':', '1')
	}
	got, want = w.Close(got), append(want, '}')
	assert.Equal(t, string(want), string(got))
	assert.True(t, json.Valid(got), "%q", got)
}

func TestObjectWriterPlainKeyMatchesKey(t *testing.T) {
	var a, b ObjectWriter
	var got, want []byte
	for _, k := range []string{"input_tokens", "k", "otel_scope_version", ""} {
		got, want = a.PlainKey(got, k), b.Key(want, k)
	}
	assert.Equal(t, string(want), string(got))
}
