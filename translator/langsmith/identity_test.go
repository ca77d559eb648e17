// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestRunIDUUIDv7(t *testing.T) {
	traceID := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID := pcommon.SpanID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	tests := []struct {
		name  string
		start time.Time
	}{
		{name: "ordinary", start: time.Unix(0, 1704164645678901234)},
		{name: "epoch", start: time.Unix(0, 0)},
		{name: "before epoch is clamped", start: time.Unix(-5, 0)},
		{name: "far future", start: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := RunID(IDModeUUIDv7, traceID, spanID, tt.start)
			assert.Equal(t, id, RunID(IDModeUUIDv7, traceID, spanID, tt.start), "deterministic")
			assert.Equal(t, uuid.Version(7), id.Version())
			assert.Equal(t, uuid.RFC4122, id.Variant())
			var ms [8]byte
			copy(ms[2:], id[:6])
			assert.Equal(t, uint64(max(tt.start.UnixMilli(), 0)), binary.BigEndian.Uint64(ms[:]), "millisecond field is the start time")
		})
	}

	start := time.Unix(0, 1704164645678901234)
	base := RunID(IDModeUUIDv7, traceID, spanID, start)
	otherSpan := spanID
	otherSpan[7]++
	otherTrace := traceID
	otherTrace[0]++
	assert.NotEqual(t, base, RunID(IDModeUUIDv7, traceID, otherSpan, start), "span id feeds the random bits")
	assert.NotEqual(t, base, RunID(IDModeUUIDv7, otherTrace, spanID, start), "trace id feeds the random bits")
	later := RunID(IDModeUUIDv7, traceID, spanID, start.Add(time.Millisecond))
	assert.Equal(t, base[6:], later[6:], "only the millisecond field depends on time")
	assert.NotEqual(t, base[:6], later[:6])
}

func TestRunIDSpanIDMode(t *testing.T) {
	id := RunID(IDModeSpanID, pcommon.TraceID{1}, pcommon.SpanID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}, time.Now())
	// LangSmith's own OTLP rule: the span id right-aligned in zeros (https://docs.langchain.com/langsmith/trace-with-opentelemetry).
	assert.Equal(t, "00000000-0000-0000-0123-456789abcdef", id.String())
}

func TestIDModeUnmarshalText(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    IDMode
		wantErr bool
	}{
		{name: "uuidv7", text: "uuidv7", want: IDModeUUIDv7},
		{name: "span_id", text: "span_id", want: IDModeSpanID},
		{name: "unknown", text: "random", wantErr: true},
		{name: "empty", text: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m IDMode
			err := m.UnmarshalText([]byte(tt.text))
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m)
		})
	}
}

// TestDottedSegment reproduces dotted_order segments as the SDKs compute them (langsmith-sdk
// python/langsmith/run_trees.py, js/src/run_trees.ts).
func TestDottedSegment(t *testing.T) {
	padded := func(spanID pcommon.SpanID) uuid.UUID {
		return RunID(IDModeSpanID, pcommon.TraceID{}, spanID, time.Time{})
	}
	root := padded(pcommon.SpanID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
	child := padded(pcommon.SpanID{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10})
	tests := []struct {
		name  string
		start time.Time
		id    uuid.UUID
		want  string
	}{
		{name: "python and go sdk rule", start: time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC),
			id: uuid.MustParse("0194c1f2-0000-7000-8000-000000000001"), want: "20240102T030405678000Z0194c1f2-0000-7000-8000-000000000001"},
		{name: "js sdk execution order as microseconds", start: time.Date(2024, 1, 2, 3, 4, 5, 678001000, time.UTC),
			id: uuid.MustParse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), want: "20240102T030405678001Z0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{name: "otlp root, nanoseconds truncated", start: time.Unix(0, 1704164645678901234),
			id: root, want: "20240102T030405678901Z00000000-0000-0000-0123-456789abcdef"},
		{name: "otlp child", start: time.Unix(0, 1704164645679000999),
			id: child, want: "20240102T030405679000Z00000000-0000-0000-fedc-ba9876543210"},
		{name: "non-UTC location", start: time.Date(2024, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600)),
			id: root, want: "20240102T030405000000Z00000000-0000-0000-0123-456789abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DottedSegment(tt.start, tt.id)
			assert.Equal(t, tt.want, got)
			assert.Len(t, got, DottedSegmentLen)

			parsed, err := ParseDottedSegmentTime(got)
			require.NoError(t, err)
			assert.True(t, parsed.Equal(tt.start.Truncate(time.Microsecond)))
			fast, ok := parseSegmentTime(got)
			require.True(t, ok)
			ref, err := time.Parse("20060102T150405.000000", got[:15]+"."+got[15:21])
			require.NoError(t, err)
			assert.Equal(t, ref, fast, "the parser agrees with the layout LangSmith writes")
		})
	}
}

func TestParseDottedOrder(t *testing.T) {
	rootID := uuid.MustParse("00000000-0000-0000-0123-456789abcdef")
	childID := uuid.MustParse("00000000-0000-0000-fedc-ba9876543210")
	root := "20240102T030405678901Z" + rootID.String()
	child := "20240102T030405679000Z" + childID.String()
	tests := []struct {
		name     string
		in       string
		wantErr  string
		segments int
	}{
		{name: "root", in: root, segments: 1},
		{name: "child", in: root + "." + child, segments: 2},
		{name: "equal times are fine", in: root + "." + "20240102T030405678901Z" + childID.String(), segments: 2},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "three-digit fraction", in: "20240102T030405678Z" + rootID.String(), wantErr: "not YYYYMMDD"},
		{name: "nine-digit fraction", in: "20240102T030405678901234Z" + rootID.String(), wantErr: "not YYYYMMDD"},
		{name: "bad uuid", in: "20240102T030405678901Z" + "00000000-0000-0000-0123-456789abcdeg", wantErr: "run id"},
		{name: "trailing dot", in: root + ".", wantErr: "segment 1"},
		{name: "child earlier than parent", in: root + "." + "20240102T030405000000Z" + childID.String(), wantErr: "earlier than its parent"},
		{name: "hour 24", in: "20240102T240405678901Z" + rootID.String(), wantErr: "not YYYYMMDD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDottedOrder(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.segments, d.segments)
			assert.Equal(t, rootID, d.first)
			if tt.segments == 2 {
				assert.Equal(t, rootID, d.penultimate)
				assert.Equal(t, childID, d.last)
			}
		})
	}
}

// checkScanDottedOrder holds the one-pass scan to checkDottedOrder: it accepts exactly what
// checkDottedOrder accepts, with the same identity and time.
func checkScanDottedOrder(t *testing.T, s string) {
	t.Helper()
	fast, ok := scanDottedOrder(s)
	ref, err := checkDottedOrder(s)
	if !ok {
		if err == nil {
			t.Fatalf("scanDottedOrder refused %q, which checkDottedOrder accepts", s)
		}
		return
	}
	require.NoError(t, err, "scanDottedOrder accepted %q", s)
	require.Equal(t, ref, fast, "%q", s)
	got, err := parseDottedOrder(s)
	require.NoError(t, err)
	require.Equal(t, ref, got)
}

var dottedOrderSeeds = []string{
	"20240102T030405678901Z00000000-0000-0000-0123-456789abcdef",
	"20240102T030405678901Z00000000-0000-0000-0123-456789abcdef.20240102T030405679000Z00000000-0000-0000-fedc-ba9876543210",
	"20260115T100000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3.20260115T100000301000Z0192f0a1-0001-7000-8000-0123456789ab." +
		"20260115T100000301000Z0192f0a1-0002-7000-8000-0123456789ab.20260115T100000301001Z0192f0a1-0003-7000-8000-0123456789ab",
	"20240229T235959999999Z0192f0a1-0000-7000-8000-4bf92f3577b3", "20230229T000000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3",
	"19000229T000000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3", "20000229T000000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3",
	"20240431T000000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3", "20241301T000000000000Z0192f0a1-0000-7000-8000-4bf92f3577b3",
	"20240102T030405678901Z00000000-0000-0000-0123-456789ABCDEF", "20240102T030405678901Z00000000+0000-0000-0123-456789abcdef",
	"20240102T030405678901Z00000000-0000-0000-0123-456789abcdef.20240102T030405000000Z00000000-0000-0000-fedc-ba9876543210",
	"20240102T030405678901Z00000000-0000-0000-0123-456789abcdef,20240102T030405679000Z00000000-0000-0000-fedc-ba9876543210",
	"00000101T000000000000Z00000000-0000-0000-0000-000000000000", "99991231T235959999999Zffffffff-ffff-ffff-ffff-ffffffffffff",
}

func TestScanDottedOrderIsCheckDottedOrder(t *testing.T) {
	for _, s := range dottedOrderSeeds {
		checkScanDottedOrder(t, s)
		// Each byte of each seed replaced by every byte value.
		for i := range len(s) {
			b := []byte(s)
			for c := range 256 {
				b[i] = byte(c)
				checkScanDottedOrder(t, string(b))
			}
		}
	}
}

func FuzzScanDottedOrder(f *testing.F) {
	for _, s := range dottedOrderSeeds {
		f.Add(s)
	}
	f.Fuzz(checkScanDottedOrder)
}

func TestAppendUUIDMatchesString(t *testing.T) {
	ids := []uuid.UUID{uuid.Nil, uuid.Max, uuid.MustParse("0192f0a1-0001-7000-8000-0123456789ab")}
	for i := range 64 {
		var id uuid.UUID
		for j := range id {
			id[j] = byte(i*37 + j*11) // every nibble value in every position across the ids
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		assert.Equal(t, id.String(), string(appendUUID([]byte("x"), id)[1:]))
		assert.Equal(t, `"`+id.String()+`"`, string(appendQuotedUUID(nil, id)))
	}
}
