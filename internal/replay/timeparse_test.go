// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC)
	wantUs := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	tests := []struct {
		name    string
		raw     string
		want    time.Time
		absent  bool
		wantErr bool
	}{
		{name: "ISO with Z (JS SDK)", raw: `"2024-01-02T03:04:05.678Z"`, want: want},
		{name: "ISO with +00:00 (Python isoformat)", raw: `"2024-01-02T03:04:05.678000+00:00"`, want: want},
		{name: "ISO naive is UTC (LangSmith export)", raw: `"2024-01-02T03:04:05.678000"`, want: want},
		{name: "naive with a space (Python str)", raw: `"2024-01-02 03:04:05.678"`, want: want},
		{name: "another zone is converted", raw: `"2024-01-02T05:04:05.678+02:00"`, want: want},
		{name: "zone without colon", raw: `"2024-01-02T04:04:05.678+0100"`, want: want},
		{name: "zone hours only", raw: `"2024-01-01T22:04:05.678-05"`, want: want},
		{name: "microseconds kept", raw: `"2024-01-02T03:04:05.678901Z"`, want: wantUs},
		{name: "nanoseconds kept as given", raw: `"2024-01-02T03:04:05.678901000"`, want: wantUs},
		{name: "no fraction", raw: `"2024-01-02T03:04:05"`, want: want.Truncate(time.Second)},
		{name: "lower-case z", raw: `"2024-01-02t03:04:05.678z"`, want: want},
		{name: "date only", raw: `"2024-01-02"`, want: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{name: "epoch seconds", raw: `1704164645`, want: want.Truncate(time.Second)},
		{name: "epoch seconds with fraction", raw: `1704164645.678`, want: want},
		{name: "epoch milliseconds (JS end_time)", raw: `1704164645678`, want: want},
		{name: "epoch microseconds", raw: `1704164645678901`, want: wantUs},
		{name: "epoch nanoseconds", raw: `1704164645678901000`, want: wantUs},
		{name: "epoch milliseconds as a string", raw: `"1704164645678"`, want: want},
		{name: "epoch in exponent form", raw: `1.704164645678e12`, want: want},
		{name: "null", raw: `null`, absent: true},
		{name: "empty string", raw: `""`, absent: true},
		{name: "missing", raw: ``, absent: true},
		{name: "garbage", raw: `"yesterday"`, wantErr: true},
		{name: "impossible date", raw: `"2024-02-30T00:00:00"`, wantErr: true},
		{name: "not a time at all", raw: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseTime(json.RawMessage(tt.raw))
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tt.absent {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, time.UTC, got.Location(), "every time is UTC, so naive and aware times compare")
		})
	}
}

// Mixed forms in one trace subtract without a naive/aware error: the old script's crash.
func TestParseTimeMixedFormsCompare(t *testing.T) {
	naive, _, err := parseTime(json.RawMessage(`"2024-01-02T03:04:05.000000"`))
	require.NoError(t, err)
	aware, _, err := parseTime(json.RawMessage(`"2024-01-02T03:04:06.000+00:00"`))
	require.NoError(t, err)
	epoch, _, err := parseTime(json.RawMessage(`1704164647000`))
	require.NoError(t, err)
	assert.Equal(t, time.Second, aware.Sub(naive))
	assert.Equal(t, time.Second, epoch.Sub(aware))
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600))
	assert.Equal(t, "2024-01-02T02:04:05.678901Z", formatTime(ts))
	back, ok, err := parseTime(json.RawMessage(`"` + formatTime(ts) + `"`))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, ts.Truncate(time.Microsecond).UTC(), back)
}
