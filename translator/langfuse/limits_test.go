// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"bytes"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeBudget(t *testing.T) {
	tests := []struct {
		maxRecords, want int
	}{
		{maxRecords: 0, want: MaxNodes},
		{maxRecords: -1, want: MaxNodes},
		{maxRecords: 1, want: MinNodes},
		{maxRecords: 500, want: 500_000},
		{maxRecords: 1000, want: 1_000_000},
		{maxRecords: 10_000, want: MaxNodes},
		{maxRecords: 1 << 62, want: MaxNodes}, // no overflow
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NodeBudget(tt.maxRecords), "maxRecords %d", tt.maxRecords)
	}
}

func TestMeasureJSON(t *testing.T) {
	tests := []struct {
		body         string
		nodes, elems int
	}{
		{body: `{}`, nodes: 1, elems: -1},
		{body: ` [ ] `, nodes: 1, elems: 0},
		{body: `[0,-1.5e+3,true,null,"a,\"]",{"k":[1]},[]]`, nodes: 11, elems: 7},
		{body: `{"a":[1,2],"b":{"c":"}"}}`, nodes: 9, elems: -1},
		{body: `["\\",["\\\"]"]]`, nodes: 4, elems: 2},
		// Not JSON (an NDJSON body, a broken one): rough counts, no panic.
		{body: "{\"a\":1}\n{\"b\":[2]}\n", nodes: 7, elems: -1},
		{body: `]]]}"unterminated\`, nodes: 1, elems: -1},
		{body: `"\`, nodes: 1, elems: -1},
		{body: `[1,`, nodes: 2, elems: 1},
	}
	for _, tt := range tests {
		assert.Equal(t, measurement{nodes: tt.nodes, elems: tt.elems}, measureJSON([]byte(tt.body)), tt.body)
	}
}

func TestMeasure(t *testing.T) {
	tests := []struct {
		body       string
		maxNesting int
		maxNodes   int
		sizes      []int32
		deepAt     int
		invalid    bool
	}{
		{body: `1`, maxNesting: 1, maxNodes: 10, deepAt: -1},
		{body: `{}`, maxNesting: 1, maxNodes: 10, sizes: []int32{0}, deepAt: -1},
		{body: `[ 1 , "a,b" , [] , {"k": [2, 3], "l": {}} ]`, maxNesting: 3, maxNodes: 11, sizes: []int32{4, 0, 2, 2, 0}, deepAt: -1},
		{body: `["\\",["\\\"]"], {"a\"": "}"}]`, maxNesting: 3, maxNodes: 10, sizes: []int32{3, 1, 1}, deepAt: -1},
		// Past a limit the sizes stop: they are not used.
		{body: `[[], [[]]]`, maxNesting: 2, maxNodes: 10, deepAt: 6},
		{body: ` [[[[]]]]`, maxNesting: 3, maxNodes: 10, deepAt: 4},
		{body: `[[[[]]]]`, maxNesting: 3, maxNodes: 2, deepAt: 3},
		{body: `[1, 2, [3]]`, maxNesting: 3, maxNodes: 4, deepAt: -1},
		// Not JSON: refused as json.Valid refuses it.
		{body: `[1, 2,]`, maxNesting: 3, maxNodes: 10, invalid: true},
		{body: `{"a" 1}`, maxNesting: 3, maxNodes: 10, invalid: true},
		{body: `[1] [2]`, maxNesting: 3, maxNodes: 10, invalid: true},
		{body: "\"\x01\"", maxNesting: 3, maxNodes: 10, invalid: true},
		{body: `[[[[`, maxNesting: 2, maxNodes: 10, invalid: true},
		{body: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), maxNesting: 2, maxNodes: 1 << 20, invalid: true},
	}
	for _, tt := range tests {
		p := getParser()
		m, deepAt, ok := p.measure([]byte(tt.body), tt.maxNesting, tt.maxNodes)
		sizes := append([]int32(nil), p.sizes...) // nil when empty, whatever the pooled parser held
		putParser(p)
		name := tt.body[:min(len(tt.body), 40)]
		assert.Equal(t, !tt.invalid, ok, name)
		if tt.invalid {
			continue
		}
		// Its counts are measureJSON's, whatever the limits.
		assert.Equal(t, measureJSON([]byte(tt.body)), m, name)
		assert.Equal(t, tt.deepAt, deepAt, name)
		if deepAt < 0 && m.nodes <= tt.maxNodes {
			assert.Equal(t, tt.sizes, sizes, name)
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHugeBodiesAreRefusedCheaply pins that a body over a limit is refused before its parse
// tree is built: before the limits, the 20 MiB `[0,0,…]` body allocated 5.4 GB, and a record
// whose extra had millions of members about 3 GB, and was accepted.
func TestHugeBodiesAreRefusedCheaply(t *testing.T) {
	const size = 20 << 20
	const bound = 1 << 20 // the tree would take gigabytes; refusing takes kilobytes
	zeros := []byte("[" + strings.Repeat("0,", size/2) + "0]")
	members := func(open, closing string) []byte {
		var b bytes.Buffer
		b.Grow(size + 64)
		b.WriteString(open)
		for b.Len() < size {
			b.WriteString(`"k":0,`)
		}
		b.WriteString(`"k":0`)
		b.WriteString(closing)
		return b.Bytes()
	}
	hugeExtra := members(`{"extra":{`, `}}`)
	hugeAttributes := members(`{"attributes":{`, `}}`)
	hugeNDJSON := bytes.Repeat([]byte(`{"extra":{"a":0,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0}}`+"\n"), size/60)

	tests := []struct {
		name   string
		decode func() error
	}{
		{"array of zeros, default record limit", func() error {
			_, err := DecodeRecords(zeros, FormatJSON, 10_000)
			return err
		}},
		{"array of zeros, no record limit", func() error {
			_, err := DecodeRecords(zeros, FormatJSON, 0)
			return err
		}},
		{"one record, millions of extra members", func() error {
			_, err := DecodeRecords(hugeExtra, FormatJSON, 10_000)
			return err
		}},
		{"NDJSON, many small records", func() error {
			_, err := DecodeRecords(hugeNDJSON, FormatNDJSON, 1_000_000, WithMaxNodes(NodeBudget(10_000)))
			return err
		}},
		{"session, millions of attributes", func() error {
			_, err := DecodeSession(hugeAttributes, 10_000)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = tt.decode() })
			requireProblems(t, err, http.StatusRequestEntityTooLarge, problem{`["body"]`, "too_long"})
			assert.Less(t, n, uint64(bound), "allocated %d bytes", n)
		})
	}
}

func TestLimitsAcceptLargeValidBodies(t *testing.T) {
	// A full batch of typical records is well inside the default budget.
	body := "[" + strings.Repeat(benchRecord+",", 9_999) + benchRecord + "]"
	recs, err := DecodeRecords([]byte(body), FormatJSON, 10_000)
	require.NoError(t, err)
	assert.Len(t, recs, 10_000)
	// So is one record whose extra holds tens of thousands of keys.
	var extra strings.Builder
	extra.WriteString(`{"extra":{"k":0`)
	for range 30_000 {
		extra.WriteString(`,"k":0`)
	}
	extra.WriteString(`}}`)
	recs, err = DecodeRecords([]byte(extra.String()), FormatJSON, 1)
	require.NoError(t, err)
	assert.Len(t, recs, 1)
}

// TestSchemasHaveSlots pins that every schema finds its names through its slot table (none
// shares a slot, else pick falls back to the map), and that a lookup answers as the map does
// for every name, for keys that share a name's slot and for keys that are no name.
func TestSchemasHaveSlots(t *testing.T) {
	for _, s := range []*schema{&recordSchema, &sessionSchema, &sessionSpanSchema} {
		require.NotNil(t, s.slots, "two of %v share a slot: change schemaSlot or schemaSlots", s.names)
		keys := []string{"", "x", "trace", "trace_idx", "Trace_id", "extra "}
		for _, n := range s.names {
			keys = append(keys, n, n[:len(n)-1], n+"x", strings.ToUpper(n[:1])+n[1:], n[:1]+"?"+n[2:])
		}
		for _, k := range keys {
			want, wantOK := s.index[k]
			got, ok := s.lookup(k)
			require.Equal(t, wantOK, ok, "%q", k)
			require.Equal(t, want, got, "%q", k)
		}
	}
}
