// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// walkJSON records every member and element of b, level by level, with walks that either use
// the index or scan (ix nil).
func walkJSON(ix *Index, b []byte, out *[]string) {
	if len(b) == 0 {
		return
	}
	switch b[0] {
	case '{':
		ix.EachMember(b, func(rawKey, val []byte) bool {
			*out = append(*out, "k"+string(rawKey), "v"+string(val))
			walkJSON(ix, val, out)
			return true
		})
	case '[':
		ix.EachElement(b, func(val []byte) bool {
			*out = append(*out, "e"+string(val))
			walkJSON(ix, val, out)
			return true
		})
	}
}

func checkIndexWalk(t *testing.T, b []byte) {
	t.Helper()
	var want, got []string
	walkJSON(nil, b, &want)
	var spans [4]Span // small, so larger inputs grow the slice
	ix := NewIndex(b, spans[:0])
	walkJSON(&ix, b, &got)
	require.Equal(t, want, got)
	// A part of another text is not in the index: its walk scans.
	other := append([]byte(nil), b...)
	got = got[:0]
	walkJSON(&ix, other, &got)
	require.Equal(t, want, got)
}

var indexSeeds = []string{
	`[]`, `{}`, `[1,"a",null]`,
	`[{"role":"user","parts":[{"type":"text","content":"hi \"there\" ]}"}]},{"role":"assistant","content":"x"}]`,
	` [ { "a" : [ [ ] , { } , [ { "b" : "\\" } ] ] , "c" : { "d" : [ 1 , 2 ] } } ] `,
	`{"tool_calls":[{"id":"c1","function":{"name":"f","arguments":"{\"x\":[1]}"}}],"n":-1.5e3}`,
}

func TestJSONIndexWalksAsScans(t *testing.T) {
	for _, s := range indexSeeds {
		checkIndexWalk(t, []byte(s))
	}
	deep := ""
	for range maxIndexDepth + 3 {
		deep += `[{"a":`
	}
	deep += "1"
	for range maxIndexDepth + 3 {
		deep += `}]`
	}
	require.Empty(t, NewIndex([]byte(deep), nil).spans, "too deep: not indexed")
	checkIndexWalk(t, []byte(deep))
}

func TestJSONIndexJumpsOverContainers(t *testing.T) {
	b := []byte(`[{"a":[1,2,{"b":"]"}]},{"c":{}}]`)
	ix := NewIndex(b, nil)
	require.Len(t, ix.spans, 6)
	require.Equal(t, len(b), ix.end(0))
	require.Equal(t, 22, ix.end(1)) // {"a":[1,2,{"b":"]"}]}
	require.Equal(t, -1, ix.end(2))
	// A span that says a container ends elsewhere is followed: the walk uses the index, not a scan.
	ix.spans[1].end = 3
	var got []string
	ix.EachElement(b, func(val []byte) bool { got = append(got, string(val)); return true })
	require.Equal(t, `{"`, got[0])
}

func FuzzJSONIndex(f *testing.F) {
	for _, s := range indexSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !Valid([]byte(s)) {
			return
		}
		checkIndexWalk(t, []byte(s))
	})
}

// checkValidIndex holds ValidIndex to Valid's answer and, on valid text, to NewIndex's spans.
func checkValidIndex(t *testing.T, b []byte) {
	t.Helper()
	ix, ok := ValidIndex(b, nil)
	require.Equal(t, Valid(b), ok, "ValidIndex(%q) validity", b)
	if !ok {
		require.Empty(t, ix.spans)
		return
	}
	want := NewIndex(b, nil)
	require.Equal(t, want.spans, ix.spans, "ValidIndex(%q) spans", b)
	if len(want.spans) > 0 {
		checkIndexWalk(t, b)
	}
}

func TestValidIndexIsValidAndNewIndex(t *testing.T) {
	for _, s := range append(append([]string(nil), indexSeeds...), validCases...) {
		checkValidIndex(t, []byte(s))
	}
	deep := ""
	for range maxIndexDepth + 3 {
		deep += `[{"a":`
	}
	deep += "1"
	for range maxIndexDepth + 3 {
		deep += `}]`
	}
	ix, ok := ValidIndex([]byte(deep), nil)
	require.True(t, ok)
	require.Empty(t, ix.spans, "too deep: not indexed")
	_, ok = ValidIndex([]byte(deep[:len(deep)-1]), nil)
	require.False(t, ok, "too deep and not valid")
}

func FuzzValidIndex(f *testing.F) {
	for _, s := range append(append([]string(nil), indexSeeds...), validCases...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkValidIndex(t, []byte(s)) })
}
