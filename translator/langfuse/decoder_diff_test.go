// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// diffLimits are the limit settings the differential fuzz tests try, so that every refusal
// (too many records, too many nodes, too deep, a session too deep) is reached by small bodies.
var diffLimits = []struct {
	maxRecords int
	opts       []DecodeOption
}{
	{maxRecords: 100},
	{maxRecords: 2},
	{maxRecords: 100, opts: []DecodeOption{WithMaxNodes(20)}},
	{maxRecords: 100, opts: []DecodeOption{withMaxNesting(3), withMaxSessionDepth(2)}},
}

func addDiffSeeds(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	ndjson, _ := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	for _, name := range append(names, ndjson...) {
		body, err := os.ReadFile(filepath.Clean(name))
		if err != nil {
			f.Fatal(err)
		}
		for mode := range uint8(3 * len(diffLimits)) {
			f.Add(body, mode)
		}
	}
	for _, s := range []string{
		benchRecord, string(ndjsonBatch(3)), ``, ` `, `null`, `[]`, `[{}]`, `{"a":`, "{}\n{}", "{}\n[\n{\"a\":1}",
		`{"extra":{"k":[1,{"x":null}]}}`, `[[[[[]]]]]`, `{"children":[{"children":[{"children":[{}]}]}]}`,
		`{"input":"\"quoted\" and \\ and \u00e9 and \ud83c\udf89 and \ud800 alone","output":"12345678\"9"}`,
		"{\"input\":\"\xff\xfe abcdefgh \xc3\xa9\"}", `{"span\u005fid":"00f067aa0ba902b7","a\"b":1}`,
		`[1,2,3]`, `{"start_time_unix_nano":-0}`, `{"trace_id":"00000000-0000-0000-0000-000000000000"}`,
		// More strings than measure keeps the ends of: build looks for the rest itself.
		"[" + strings.Repeat(benchRecord+",", maxStringEnds/8) + benchRecord + "]",
	} {
		for mode := range uint8(3 * len(diffLimits)) {
			f.Add([]byte(s), mode)
		}
	}
}

// FuzzDecodeMatchesLegacy holds DecodeRecords (JSON and NDJSON) and DecodeSession to the
// answers of the decoder before the fused measuring pass (legacy_test.go): the same records
// or session, or the same refusal with the same status, locations, messages and inputs.
func FuzzDecodeMatchesLegacy(f *testing.F) {
	addDiffSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		lim := diffLimits[int(mode/3)%len(diffLimits)]
		switch mode % 3 {
		case 0, 1:
			format := FormatJSON
			if mode%3 == 1 {
				format = FormatNDJSON
			}
			got, gotErr := DecodeRecords(body, format, lim.maxRecords, lim.opts...)
			want, wantErr := legacyDecodeRecords(body, format, lim.maxRecords, lim.opts...)
			require.Equal(t, wantErr, gotErr)
			require.Equal(t, want, got)
		default:
			got, gotErr := DecodeSession(body, lim.maxRecords, lim.opts...)
			want, wantErr := legacyDecodeSession(body, lim.maxRecords, lim.opts...)
			require.Equal(t, wantErr, gotErr)
			require.Equal(t, want, got)
		}
	})
}

// FuzzParseMatchesLegacy holds measure to json.Valid on every body, and compares the trees
// themselves, and the counts the limits use, on every body it accepts.
func FuzzParseMatchesLegacy(f *testing.F) {
	addDiffSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		maxNesting := []int{DefaultMaxNesting, 3, 1}[int(mode)%3]
		p := getParser()
		defer putParser(p)
		m, deepAt, ok := p.measure(body, maxNesting, math.MaxInt)
		require.Equal(t, json.Valid(body), ok, "measure validates as json.Valid does")
		if !ok {
			return
		}
		require.Equal(t, measureJSON(body), m)
		want, wantErr := legacyParse(body, maxNesting)
		if wantErr != nil {
			require.Equal(t, int(wantErr.offset), deepAt)
			require.Equal(t, wantErr, tooDeep(deepAt, maxNesting))
			return
		}
		require.Equal(t, -1, deepAt)
		require.Equal(t, want, p.build())
	})
}

// FuzzUnquote holds unquote to legacyUnquote and to encoding/json on every valid string.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{
		``, `abc`, `\"`, `\\`, `\/\b\f\n\r\t`, `\u00e9\u0000`, `\ud83c\udf89`, `\ud800`, `\ud800\u0041`, `\udc00\ud800`,
		"\xff", "abcdefgh\xc3", "\xc3\xa9\xe2\x82\xac", "\xed\xa0\x80", strings.Repeat(`ab\"cd`, 20),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		quoted := []byte(`"` + s + `"`)
		if !jsontext.Valid(quoted) {
			return
		}
		var want string
		require.NoError(t, json.Unmarshal(quoted, &want))
		inner := quoted[1 : len(quoted)-1]
		require.Equal(t, want, unquote(inner))
		require.Equal(t, legacyUnquote(inner), unquote(inner))
	})
}
