// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestCutName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cut  bool
	}{
		{"short", "chat gpt-4o", false},
		{"exactly 128", strings.Repeat("a", 128), false},
		{"128 wide characters", strings.Repeat("語", 128), false},
		{"129", strings.Repeat("a", 129), true},
		{"129 wide characters", strings.Repeat("語", 129), true},
		{"very long", strings.Repeat("ChannelRead<['raw_conversation', 'messages']>", 20), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := CutName(tt.in)
			assert.Equal(t, tt.cut, cut)
			if !tt.cut {
				assert.Equal(t, tt.in, got)
				return
			}
			assert.Equal(t, MaxNameLength, utf8.RuneCountInString(got))
			assert.True(t, strings.HasSuffix(got, "…"))
			assert.True(t, strings.HasPrefix(tt.in, strings.TrimSuffix(got, "…")))
		})
	}
}

func TestSpanToRunCutsLongNamesKeepingThemInMetadata(t *testing.T) {
	long := strings.Repeat("step ", 40)
	res, scope, span := newSpan(nil)
	span.SetName(long)
	run, err := SpanToRun(res, scope, span, Options{})
	require.NoError(t, err)
	assert.True(t, run.NameCut)
	assert.Equal(t, MaxNameLength, utf8.RuneCountInString(run.Name))
	var extra struct {
		Metadata map[string]any `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal(run.Extra, &extra))
	assert.Equal(t, long, extra.Metadata[FullNameKey])

	span.SetName("short")
	run, err = SpanToRun(res, scope, span, Options{})
	require.NoError(t, err)
	assert.False(t, run.NameCut)
	assert.NotContains(t, string(run.Extra), FullNameKey)
}

func TestShiftRun(t *testing.T) {
	traceID := pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	rootStart := time.Date(2026, 1, 15, 10, 0, 0, 123456000, time.UTC)
	childStart := rootStart.Add(1500 * time.Microsecond)
	run := func(start time.Time) Run {
		rootID := RunID(IDModeUUIDv7, traceID, pcommon.SpanID{1}, rootStart)
		id := RunID(IDModeUUIDv7, traceID, pcommon.SpanID{2}, start)
		return Run{
			ID: id, TraceID: rootID, ParentRunID: rootID,
			DottedOrder: DottedSegment(rootStart, rootID) + "." + DottedSegment(start, id),
			StartTime:   start, EndTime: start.Add(time.Second),
		}
	}
	const delta = 30 * time.Hour
	got := run(childStart)
	require.NoError(t, ShiftRun(&got, delta))
	// Shifting equals deriving the run again at the shifted times: the UUIDv7 millisecond fields
	// move with the start, the hash bits stay.
	want := Run{
		ID:          RunID(IDModeUUIDv7, traceID, pcommon.SpanID{2}, childStart.Add(delta)),
		TraceID:     RunID(IDModeUUIDv7, traceID, pcommon.SpanID{1}, rootStart.Add(delta)),
		ParentRunID: RunID(IDModeUUIDv7, traceID, pcommon.SpanID{1}, rootStart.Add(delta)),
		StartTime:   childStart.Add(delta), EndTime: childStart.Add(delta + time.Second),
	}
	want.DottedOrder = DottedSegment(rootStart.Add(delta), want.TraceID) + "." + DottedSegment(childStart.Add(delta), want.ID)
	assert.Equal(t, want, got)

	ts, err := TraceStart(got.DottedOrder)
	require.NoError(t, err)
	assert.Equal(t, rootStart.Add(delta), ts)

	spanIDMode := uuid.MustParse("00000000-0000-0000-0102-030405060708")
	assert.Equal(t, spanIDMode, ShiftID(spanIDMode, delta), "span_id-mode ids carry no time")

	bad := run(childStart)
	require.Error(t, ShiftRun(&bad, time.Microsecond), "a shift must keep whole milliseconds")
	bad.DottedOrder = "garbage"
	assert.Error(t, ShiftRun(&bad, time.Hour))
}

func TestWindowShift(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		root  time.Time
		shift time.Duration
	}{
		{"inside", now.Add(-23 * time.Hour), 0},
		{"30 h ago", now.Add(-30 * time.Hour), 24 * time.Hour},
		{"at the edge, within the margin", now.Add(-24*time.Hour + time.Minute), 24 * time.Hour},
		{"3 days ago", now.Add(-72*time.Hour - time.Hour), 72 * time.Hour},
		{"25 h ahead", now.Add(25 * time.Hour), -48 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WindowShift(tt.root, now, 24*time.Hour)
			assert.Equal(t, tt.shift, got)
			assert.True(t, InWindow(tt.root.Add(got), now, 24*time.Hour), "lands inside")
		})
	}
}
