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
