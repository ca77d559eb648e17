// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type scanned struct {
	raw     string
	n       int
	element bool
	corrupt bool
}

func scanAll(t *testing.T, data []byte) ([]scanned, error) {
	t.Helper()
	var out []scanned
	err := scanInput(bytes.NewReader(data), 0, func(it scanItem) error {
		out = append(out, scanned{raw: string(it.raw), n: it.pos.n, element: it.pos.element, corrupt: it.err != nil})
		return nil
	})
	return out, err
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func TestScanInput(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		want    []scanned
		stopped bool
	}{
		{
			name: "NDJSON with blank lines and CRLF",
			data: []byte("{\"id\":1}\r\n\n  {\"id\":2}\n"),
			want: []scanned{{raw: `{"id":1}`, n: 1}, {raw: `{"id":2}`, n: 3}},
		},
		{
			name: "NDJSON without a final newline",
			data: []byte(`{"id":1}` + "\n" + `{"id":2}`),
			want: []scanned{{raw: `{"id":1}`, n: 1}, {raw: `{"id":2}`, n: 2}},
		},
		{
			name: "NDJSON with corrupt lines goes on",
			data: []byte("{\"id\":1}\n{\"id\": \n[1,2]\n{\"id\":4}\n"),
			want: []scanned{{raw: `{"id":1}`, n: 1}, {raw: `{"id":`, n: 2, corrupt: true}, {raw: `[1,2]`, n: 3, corrupt: true}, {raw: `{"id":4}`, n: 4}},
		},
		{
			name: "pretty JSON array is compacted",
			data: []byte("[\n  {\n    \"id\": 1\n  },\n  {\"id\": 2, \"x\": [1, 2]}\n]\n"),
			want: []scanned{{raw: `{"id":1}`, n: 1, element: true}, {raw: `{"id":2,"x":[1,2]}`, n: 2, element: true}},
		},
		{
			name: "array element that is not an object",
			data: []byte(`[{"id":1}, 5, {"id":3}]`),
			want: []scanned{{raw: `{"id":1}`, n: 1, element: true}, {raw: `5`, n: 2, element: true, corrupt: true}, {raw: `{"id":3}`, n: 3, element: true}},
		},
		{
			name:    "broken array stops",
			data:    []byte(`[{"id":1}, {"id": ]`),
			want:    []scanned{{raw: `{"id":1}`, n: 1, element: true}, {n: 2, element: true, corrupt: true}},
			stopped: true,
		},
		{
			name: "byte order mark",
			data: append([]byte{0xef, 0xbb, 0xbf}, []byte(`[{"id":1}]`)...),
			want: []scanned{{raw: `{"id":1}`, n: 1, element: true}},
		},
		{
			name: "gzip",
			data: gz(t, "{\"id\":1}\n{\"id\":2}\n"),
			want: []scanned{{raw: `{"id":1}`, n: 1}, {raw: `{"id":2}`, n: 2}},
		},
		{name: "empty", data: []byte(" \n")},
		{name: "empty array", data: []byte("[]")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll(t, tt.data)
			if tt.stopped {
				require.ErrorIs(t, err, errStopped)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestScanInputLongLine(t *testing.T) {
	long := `{"id":1,"inputs":{"text":"` + strings.Repeat("x", 3<<20) + `"}}`
	got, err := scanAll(t, []byte(long+"\n{\"id\":2}\n"))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, long, got[0].raw)
	assert.False(t, got[0].corrupt)
}

func TestItemHeaderClassifies(t *testing.T) {
	tests := []struct {
		raw    string
		format Format
		record bool
	}{
		{raw: `{"id":"a","run_type":"llm","start_time":"2024-01-02"}`, record: false},
		{raw: `{"id":"a","name":"x"}`, record: false},
		{raw: `{"trace_id":"t","span_id":"s","start_time_unix_nano":1}`, record: true},
		{raw: `{"trace_name":"t"}`, record: true},
		{raw: `{"span_id":"s","run_type":"tool"}`, record: false},
		{raw: `{"trace_name":"t"}`, format: FormatRuns, record: false},
		{raw: `{"id":"a"}`, format: FormatRecords, record: true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			var h itemHeader
			require.NoError(t, json.Unmarshal([]byte(tt.raw), &h))
			f := tt.format
			if f == "" {
				f = FormatAuto
			}
			assert.Equal(t, tt.record, h.isRecord(f))
		})
	}
}

func TestLooseString(t *testing.T) {
	var v struct {
		A, B, C, D looseString
	}
	require.NoError(t, json.Unmarshal([]byte(`{"A":"x","B":42,"C":null,"D":{"k":1}}`), &v))
	assert.Equal(t, looseString("x"), v.A)
	assert.Equal(t, looseString("42"), v.B, "an id written as a number is still an id")
	assert.Empty(t, v.C)
	assert.Empty(t, v.D)
}

func TestTraceKeyOf(t *testing.T) {
	id := "11111111-1111-4111-8111-111111111111"
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"trace_id", `{"id":"x","trace_id":"` + id + `","parent_run_id":"p"}`, id},
		{"first dotted_order segment", `{"id":"x","parent_run_id":"p","dotted_order":"20240102T030405000000Z` + id + `.20240102T030405000000Zx"}`, id},
		{"a root is its own trace", `{"id":"` + id + `"}`, id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h itemHeader
			require.NoError(t, json.Unmarshal([]byte(tt.raw), &h))
			k, err := traceKeyOf(&h)
			require.NoError(t, err)
			assert.Equal(t, keyOf(tt.want), k)
		})
	}
	var h itemHeader
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","parent_run_id":"p"}`), &h))
	_, err := traceKeyOf(&h)
	assert.Error(t, err, "a child without trace_id cannot be filed")
}

// The spill files runs by trace across buckets and gives each bucket back whole.
func TestSpillGroupsByTrace(t *testing.T) {
	sp, err := newSpill(t.TempDir(), 8)
	require.NoError(t, err)
	defer sp.remove()
	keys := []traceKey{keyOf("a"), keyOf("b"), keyOf("c"), keyOf("d")}
	for i := range 40 {
		k := keys[i%len(keys)]
		require.NoError(t, sp.addRun(k, position{src: 1, n: i + 1, element: i%2 == 0}, i == 5, []byte(`{"i":`+strings.Repeat("1", i%3+1)+`}`)))
	}
	require.NoError(t, sp.addRecord(position{n: 99}, false, []byte(`{"r":1}`)))
	require.NoError(t, sp.seal())

	perKey := map[traceKey]int{}
	total := 0
	for i := range sp.buckets {
		items, err := sp.readBucket(i)
		require.NoError(t, err)
		for _, g := range groupTraces(items, nil) {
			perKey[g.key] += len(g.items)
			for j := 1; j < len(g.items); j++ {
				assert.Less(t, g.items[j-1].pos.n, g.items[j].pos.n, "a trace's runs keep file order")
			}
			for _, it := range g.items {
				assert.Equal(t, it.pos.n%2 == 1, it.pos.element)
				assert.Equal(t, it.pos.n == 6, it.final)
				total++
			}
		}
	}
	assert.Equal(t, 40, total)
	for _, k := range keys {
		assert.Equal(t, 10, perKey[k])
	}
	var recs []spilled
	require.NoError(t, sp.eachRecord(func(s spilled) error { recs = append(recs, s); return nil }))
	require.Len(t, recs, 1)
	assert.Equal(t, `{"r":1}`, string(recs[0].raw))
}

func TestBucketCount(t *testing.T) {
	assert.Equal(t, 1, bucketCount(0))
	assert.Equal(t, 1, bucketCount(300<<10))
	assert.Equal(t, 32, bucketCount(1<<30), "a 1 GB input is read back 32 MB at a time")
	assert.Equal(t, 512, bucketCount(1<<40))
	assert.Equal(t, 64, bucketCount(-1), "stdin: size unknown")
}
