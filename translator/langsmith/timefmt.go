// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import "time"

// Every run carries three timestamps (start_time, end_time and its dotted_order segment), so
// they are written digit by digit: time.AppendFormat re-reads its layout on every call, which
// cost a few percent of the CPU at 20k spans/s.

// appendMicroTime appends t in UTC with exactly six fractional digits and a Z:
// "2006-01-02T15:04:05.000000Z" with separators, "20060102T150405000000Z" without (a
// dotted_order segment). Years outside 0–9999 go through AppendFormat, which shows them as Go
// does.
func appendMicroTime(dst []byte, t time.Time, separators bool) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		if separators {
			return t.AppendFormat(dst, runTimeLayout)
		}
		dst = t.AppendFormat(dst, dottedTimeLayout)
		dst = appendDigits(dst, t.Nanosecond()/1000, 6)
		return append(dst, 'Z')
	}
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = appendSep(dst, '-', separators)
	dst = appendDigits(dst, int(month), 2)
	dst = appendSep(dst, '-', separators)
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = appendSep(dst, ':', separators)
	dst = appendDigits(dst, minute, 2)
	dst = appendSep(dst, ':', separators)
	dst = appendDigits(dst, sec, 2)
	dst = appendSep(dst, '.', separators)
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, 'Z')
}

func appendSep(dst []byte, sep byte, ok bool) []byte {
	if ok {
		return append(dst, sep)
	}
	return dst
}

// appendDigits appends v (0 ≤ v < 10^width) as exactly width decimal digits.
func appendDigits(dst []byte, v, width int) []byte {
	var b [8]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:width]...)
}

// runTimeLayout is how run timestamps travel: RFC 3339, UTC, exactly six fractional digits, so
// start_time matches the microseconds of the run's dotted_order segment.
const runTimeLayout = "2006-01-02T15:04:05.000000Z"

// runTimeLen is the length of a time formatted with runTimeLayout (four-digit years).
const runTimeLen = len(runTimeLayout)

func appendRunTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = appendMicroTime(dst, t, true)
	return append(dst, '"')
}

// runTimeQuotedLen is len(appendRunTime(nil, t)).
func runTimeQuotedLen(t time.Time) int {
	if y := t.UTC().Year(); y >= 0 && y <= 9999 {
		return runTimeLen + 2
	}
	var buf [40]byte
	return len(appendRunTime(buf[:0], t))
}
