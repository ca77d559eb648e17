// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseShift(t *testing.T) {
	const d2h3 = 2*day + 3*time.Hour + 24*time.Minute + 15*time.Second
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "2d3h24m15s", want: d2h3},
		{in: "51h24m15s", want: d2h3},
		{in: "2 days, 3:24:15", want: d2h3},
		{in: "1 day, 0:00:00", want: day},
		{in: "3:24:15.5", want: 3*time.Hour + 24*time.Minute + 15*time.Second + 500*time.Millisecond},
		{in: "-1 day, 23:00:00", want: -time.Hour},
		{in: "-1d", want: -day},
		{in: "-2d12h", want: -(2*day + 12*time.Hour)},
		{in: "+90m", want: 90 * time.Minute},
		{in: "7d", want: 7 * day},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "", wantErr: true},
		{in: "2x", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "2d-3h", wantErr: true},
		{in: "1:75:00", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShift(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFormatShift(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{d: 2*day + 3*time.Hour + 24*time.Minute + 15*time.Second, want: "2 days, 3:24:15"},
		{d: day, want: "1 day, 0:00:00"},
		{d: 1500 * time.Millisecond, want: "0:00:01.500000"},
		{d: -time.Hour, want: "-1 day, 23:00:00"},
		{d: 0, want: "0:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, FormatShift(tt.d))
			back, err := ParseShift(FormatShift(tt.d))
			require.NoError(t, err)
			assert.Equal(t, tt.d, back, "what is printed can be passed back to --shift")
		})
	}
}

func TestShiftToNow(t *testing.T) {
	latest := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	now := time.Date(2024, 1, 4, 6, 28, 20, 679901999, time.UTC)
	got := ShiftToNow(latest, now)
	assert.Equal(t, 2*day+3*time.Hour+24*time.Minute+15*time.Second+time.Millisecond, got, "truncated to whole microseconds")
	assert.Equal(t, now.Truncate(time.Microsecond), latest.Add(got), "the latest start lands on now")
	assert.Zero(t, ShiftToNow(time.Time{}, now), "nothing to shift when no run has a time")
}

func TestTimeFit(t *testing.T) {
	earliest := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	latest := earliest.Add(4 * day)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	assert.Nil(t, newTimeFit(earliest, earliest.Add(DefaultFitWindow), now, DefaultFitWindow), "an input that fits needs no spreading")
	assert.Nil(t, newTimeFit(earliest, latest, now, 0), "0 turns it off")

	f := newTimeFit(earliest, latest, now, DefaultFitWindow)
	require.NotNil(t, f)
	tests := []struct {
		start time.Time
		want  time.Time
	}{
		{earliest, now.Add(-DefaultFitWindow)},
		{latest, now},
		{earliest.Add(2 * day), now.Add(-DefaultFitWindow / 2)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.start.Add(f.shiftFor(tt.start)))
	}
}

func TestPlanTraceWithFitMovesTheTraceWhole(t *testing.T) {
	earliest := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	now := earliest.Add(30 * day)
	f := newTimeFit(earliest, earliest.Add(4*day), now, DefaultFitWindow)
	g := traceOf(
		run(rootID, "", `"2025-06-03T00:00:00"`, `"2025-06-03T00:00:05"`),
		run(childID, rootID, `"2025-06-03T00:00:01.5"`, `"2025-06-03T00:00:02"`),
	)
	tp, err := planTrace(g, planOptions{fit: f, ids: NewIDMapper("x")})
	require.NoError(t, err)
	root, child := tp.runs[0], tp.runs[1]
	assert.Equal(t, now.Add(-DefaultFitWindow/2), root.start)
	assert.Equal(t, 1500*time.Millisecond, child.start.Sub(root.start), "the trace keeps its timing")
	assert.Equal(t, 5*time.Second, root.end.Sub(root.start))
	assert.Equal(t, root.shift, child.shift)
}
