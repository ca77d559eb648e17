// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var validCases = []string{
	`{}`, `[]`, ` {"a" : [1, -2.5e+3, true, false, null, "x\u00e9\n"]} `, `"\ud83c\udf89"`, `0`, `-0.0`, `1E5`,
	`{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `"abc`, "\"a\x01\"", `"\x"`, `"\u12g4"`, `tru`, `nul`,
	`{"a" 1}`, `{1:2}`, `[1 2]`, `{} {}`, ``, ` `, `"\xff"`, `[[[[]]]]`, `{"a":{"b":[{}]}}`, `truex`,
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, s := range validCases {
		t.Run(s, func(t *testing.T) {
			assert.Equal(t, json.Valid([]byte(s)), Valid([]byte(s)))
		})
	}
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	assert.Equal(t, json.Valid([]byte(deep)), Valid([]byte(deep)), "nesting limit")
}

// TestValidStringsEightBytesAtATime puts each byte a string scanner must stop at (and a few it
// must not) at every offset of strings longer than the eight bytes stringRun tests at once.
func TestValidStringsEightBytesAtATime(t *testing.T) {
	for _, c := range []string{`"`, `\`, `\"`, `\n`, `\u00e9`, "\x00", "\x1f", "\x7f", "\xc3\xa9", "\xff", `\x`, " "} {
		for n := range 20 {
			for at := 0; at <= n; at++ {
				s := `"` + strings.Repeat("a", at) + c + strings.Repeat("b", n-at) + `"`
				assert.Equal(t, json.Valid([]byte(s)), Valid([]byte(s)), "%q", s)
				assert.Equal(t, json.Valid([]byte(s[:len(s)-1])), Valid([]byte(s[:len(s)-1])), "%q", s[:len(s)-1])
			}
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range validCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", s, got, want)
		}
	})
}

// scanJSONStringByteByByte is scanJSONString as it was before stringRun: the reference the
// eight-byte scan is held to.
func scanJSONStringByteByByte(b []byte, i int) (int, bool) {
	for i++; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHexDigit(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++
		}
	}
	return i, false
}

// checkScanJSONString holds scanJSONString to the byte-by-byte scan for a string opening at
// every position of s's bytes behind a quote.
func checkScanJSONString(t *testing.T, s string) {
	t.Helper()
	b := []byte(`"` + s)
	gotEnd, gotOK := scanJSONString(b, 0)
	wantEnd, wantOK := scanJSONStringByteByByte(b, 0)
	if gotEnd != wantEnd || gotOK != wantOK {
		t.Fatalf("scanJSONString(%q) = %d, %v; byte by byte %d, %v", b, gotEnd, gotOK, wantEnd, wantOK)
	}
}

func TestScanJSONStringEveryByte(t *testing.T) {
	// Each byte value at each position of an eight-byte word, before and after the closing quote.
	for c := range 256 {
		for pos := range 17 {
			plain := []byte(strings.Repeat("a", 20))
			plain[pos] = byte(c)
			checkScanJSONString(t, string(plain)+`"tail`)
			checkScanJSONString(t, string(plain[:pos+1]))
		}
	}
	for _, s := range []string{``, `"`, `\"`, `\\"`, `abc\u00e9def"`, `abcdefgh\u12g4"`, "\xff\xfe\x80\x7f\"", `01234567\`, `0123456\n"`} {
		checkScanJSONString(t, s)
	}
}

func FuzzScanJSONString(f *testing.F) {
	for _, s := range validCases {
		f.Add(s)
	}
	f.Add("\xff\xfe\x80\x7f0123456789\"")
	f.Fuzz(checkScanJSONString)
}
