// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseShift reads --shift: a Go duration ("51h24m15s"), a Go duration with whole days in
// front ("2d3h24m15s", "-1d"), or the timedelta text the old Python script printed
// ("2 days, 3:24:15", "-1 day, 23:00:00", "3:24:15.5"), so a shift can be copied from its log.
func ParseShift(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty shift")
	}
	if m := timedeltaRE.FindStringSubmatch(s); m != nil {
		return parseTimedelta(m)
	}
	neg := false
	rest := s
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var days time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseInt(rest[:i], 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("shift %q: days must be a whole number before 'd'", s)
		}
		days = time.Duration(n) * day
		rest = rest[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("shift %q: %w", s, err)
		}
		if d < 0 {
			return 0, fmt.Errorf("shift %q: put the sign in front of the days", s)
		}
	}
	d += days
	if neg {
		d = -d
	}
	return d, nil
}

// timedeltaRE matches Python's str(timedelta): "[-]D day[s], H:MM:SS[.ffffff]" or "H:MM:SS[.f]".
var timedeltaRE = regexp.MustCompile(`^(?:(-?\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$`)

func parseTimedelta(m []string) (time.Duration, error) {
	var d time.Duration
	if m[1] != "" {
		n, err := strconv.ParseInt(m[1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("shift days %q: %w", m[1], err)
		}
		d = time.Duration(n) * day
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	sec, _ := strconv.Atoi(m[4])
	if mi > 59 || sec > 59 {
		return 0, fmt.Errorf("shift %q: minutes and seconds must be below 60", m[0])
	}
	d += time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second
	if m[5] != "" {
		frac := m[5] + strings.Repeat("0", 6-len(m[5]))
		us, _ := strconv.Atoi(frac)
		d += time.Duration(us) * time.Microsecond
	}
	return d, nil
}

// FormatShift writes d as Python prints a timedelta, the form users of the old script know:
// "2 days, 3:24:15", "-1 day, 23:00:00", "0:00:01.500000". Days are floored, so the clock part
// is never negative.
func FormatShift(d time.Duration) string {
	days := d / day
	rem := d % day
	if rem < 0 {
		days--
		rem += day
	}
	h := rem / time.Hour
	m := rem % time.Hour / time.Minute
	s := rem % time.Minute / time.Second
	us := rem % time.Second / time.Microsecond
	clock := fmt.Sprintf("%d:%02d:%02d", h, m, s)
	if us != 0 {
		clock += fmt.Sprintf(".%06d", us)
	}
	switch days {
	case 0:
		return clock
	case 1, -1:
		return fmt.Sprintf("%d day, %s", days, clock)
	default:
		return fmt.Sprintf("%d days, %s", days, clock)
	}
}

// ShiftToNow is the shift that moves latest to now. It is truncated to whole microseconds, the
// precision of LangSmith times, so shifted times stay on the grid the inputs were on and every
// run moves by exactly the same amount.
func ShiftToNow(latest, now time.Time) time.Duration {
	if latest.IsZero() {
		return 0
	}
	return now.Sub(latest).Truncate(time.Microsecond)
}

// DefaultFitWindow is how far back replayed traces may start. LangSmith refuses runs whose
// start_time is more than 24 h from now (its 400 answers); an hour is left for the
// replay itself and for clock skew.
const DefaultFitWindow = 23 * time.Hour

// timeFit spreads traces over the window before now when shifting them all by one amount would
// push the earliest out of it: trace starts are mapped linearly from [earliest, latest] onto
// [now-window, now], and each trace moves whole, so its runs keep their exact timing and traces
// keep their order.
type timeFit struct {
	earliest, latest time.Time // unshifted
	now              time.Time
	window           time.Duration
}

// newTimeFit returns a fit when the input spans more than window, else nil.
func newTimeFit(earliest, latest, now time.Time, window time.Duration) *timeFit {
	if window <= 0 || earliest.IsZero() || latest.Sub(earliest) <= window {
		return nil
	}
	return &timeFit{earliest: earliest, latest: latest, now: now, window: window}
}

// shiftFor is the shift of a trace that starts at start.
func (f *timeFit) shiftFor(start time.Time) time.Duration {
	span := f.latest.Sub(f.earliest)
	pos := min(max(start.Sub(f.earliest), 0), span)
	target := f.now.Add(-f.window).Add(time.Duration(float64(f.window) * (float64(pos) / float64(span))))
	return target.Sub(start).Truncate(time.Microsecond)
}
