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
