// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassifyJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
	}{
		{in: `{"a":1}`, want: Object},
		{in: `[1]`, want: Array},
		{in: `"s"`, want: Scalar},
		{in: `-1.5e3`, want: Scalar},
		{in: `null`, want: Scalar},
		{in: `{"a":`, want: None},
		{in: `hello`, want: None},
		{in: `true story`, want: None},
		{in: ``, want: None},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, Classify(tt.in))
		})
	}
}

func TestEachJSONMember(t *testing.T) {
	obj := []byte(` { "a" : {"x":[1,{"y":"}"}]} , "b\"q":"s,]}" ,"c":-1.5e2,"d":null, "e":[] } `)
	var keys, vals []string
	EachMember(obj, func(k, v []byte) bool {
		keys = append(keys, UnquoteKey(k))
		vals = append(vals, string(v))
		return true
	})
	assert.Equal(t, []string{"a", `b"q`, "c", "d", "e"}, keys)
	assert.Equal(t, []string{`{"x":[1,{"y":"}"}]}`, `"s,]}"`, `-1.5e2`, `null`, `[]`}, vals)
	assert.True(t, HasMember(obj, "c"))
	assert.False(t, HasMember(obj, "x"), "only top-level members count")

	var elems []string
	EachElement([]byte(`[ {"a":"]"}, 2 ,"x"]`), func(v []byte) bool {
		elems = append(elems, string(v))
		return true
	})
	assert.Equal(t, []string{`{"a":"]"}`, `2`, `"x"`}, elems)
}

// The walks run on validated text, but text that is not JSON ends them instead of hanging them.
func TestWalksEndOnInvalidText(t *testing.T) {
	for _, text := range []string{`[1,}2]`, `[}]`, `{"a":}`, `{"a":]"b":1}`} {
		var n int
		EachElement([]byte(text), func([]byte) bool { n++; return n < 100 })
		EachMember([]byte(text), func(_, _ []byte) bool { n++; return n < 100 })
		var x Index
		x.EachElement([]byte(text), func([]byte) bool { n++; return n < 100 })
		if n >= 100 {
			t.Fatalf("%s: the walk did not end", text)
		}
	}
}
