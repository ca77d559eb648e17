// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// appendMicroTime must write exactly what the layouts it replaces write.
func TestAppendMicroTimeMatchesLayouts(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 25, 17, 4, 5, 123456789, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 1000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 500, time.FixedZone("UTC+5:30", 5*3600+1800)),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		times = append(times, time.Unix(0, r.Int64N(1<<62)).UTC())
	}
	// The whole range of four-digit years, and the days around each year's end and each
	// century's leap-year exceptions, for the date computed from the day number.
	lo, hi := time.Date(-2, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(10002, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for range 5000 {
		times = append(times, time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)))
	}
	for _, y := range []int{0, 1, 4, 100, 400, 1600, 1700, 1900, 2000, 2100, 2400, 9996, 9999} {
		for _, d := range []int{-1, 0, 58, 59, 60, 364, 365} {
			times = append(times, time.Date(y, 1, 1, 23, 59, 59, 999999999, time.UTC).AddDate(0, 0, d))
		}
	}
	for _, ts := range times {
		u := ts.UTC()
		assert.Equal(t, u.Format(runTimeLayout), string(appendMicroTime(nil, ts, true)), "%v", ts)
		wantDotted := fmt.Sprintf("%s%06dZ", u.Format(dottedTimeLayout), u.Nanosecond()/1000)
		assert.Equal(t, wantDotted, string(appendMicroTime(nil, ts, false)), "%v", ts)
	}
}

func TestAppendRunTime(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.FixedZone("X", 7200))
	got := appendRunTime(nil, ts)
	assert.Equal(t, `"2024-01-02T01:04:05.600000Z"`, string(got), "UTC, always six fractional digits")
	assert.Equal(t, len(got), runTimeQuotedLen(ts))
}

// runTimeQuotedLen tells four-digit years from the Unix seconds: exact at either end of year 0
// and year 9999, in any zone.
func TestRunTimeQuotedLenAtYearBounds(t *testing.T) {
	zone := time.FixedZone("Y", -5*3600)
	for _, edge := range []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		for _, d := range []time.Duration{-time.Second, -time.Nanosecond, 0, time.Nanosecond, time.Second} {
			ts := edge.Add(d)
			for _, tz := range []*time.Location{time.UTC, zone} {
				ts := ts.In(tz)
				assert.Equal(t, len(appendRunTime(nil, ts)), runTimeQuotedLen(ts), "%v", ts)
			}
		}
	}
	assert.Equal(t, len(appendRunTime(nil, time.Time{})), runTimeQuotedLen(time.Time{}))
}
