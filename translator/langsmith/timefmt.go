// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import "time"

// Every run carries three timestamps (start_time, end_time and its dotted_order segment), so
// they are written digit by digit into a fixed array, the calendar date straight from the Unix
// day number: time.AppendFormat re-reads its layout on every call, and Date, Clock and one
// append per field still cost ~500 instructions a timestamp (a few percent of an upload).

// appendMicroTime appends t in UTC with exactly six fractional digits and a Z:
// "2006-01-02T15:04:05.000000Z" with separators, "20060102T150405000000Z" without (a
// dotted_order segment). Years outside 0–9999 go through AppendFormat, which shows them as Go
// does.
func appendMicroTime(dst []byte, t time.Time, separators bool) []byte {
	sec := t.Unix()
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	year, month, day := civilDate(days)
	if year < 0 || year > 9999 {
		t = t.UTC()
		if separators {
			return t.AppendFormat(dst, runTimeLayout)
		}
		dst = t.AppendFormat(dst, dottedTimeLayout)
		dst = appendDigits(dst, t.Nanosecond()/1000, 6)
		return append(dst, 'Z')
	}
	micro := t.Nanosecond() / 1000
	var b [runTimeLen]byte
	put4(b[0:4], year)
	b[4] = '-'
	put2(b[5:7], month)
	b[7] = '-'
	put2(b[8:10], day)
	b[10] = 'T'
	put2(b[11:13], int(rem/3600))
	b[13] = ':'
	put2(b[14:16], int(rem/60%60))
	b[16] = ':'
	put2(b[17:19], int(rem%60))
	b[19] = '.'
	put2(b[20:22], micro/10000)
	put4(b[22:26], micro%10000)
	b[26] = 'Z'
	if separators {
		return append(dst, b[:]...)
	}
	// 20060102T150405000000Z: the same digits without the separators.
	dst = append(dst, b[0:4]...)
	dst = append(dst, b[5:7]...)
	dst = append(dst, b[8:13]...)
	dst = append(dst, b[14:16]...)
	dst = append(dst, b[17:19]...)
	return append(dst, b[20:27]...)
}

// civilDate is the proleptic Gregorian date of the day days after 1970-01-01 (Howard Hinnant's
// days_from_civil inverse, http://howardhinnant.github.io/date_algorithms.html#civil_from_days).
func civilDate(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// put2 and put4 write v (0 ≤ v < 100, < 10000) as exactly 2 or 4 decimal digits.
func put2(b []byte, v int) {
	_ = b[1]
	b[0], b[1] = byte('0'+v/10), byte('0'+v%10)
}

func put4(b []byte, v int) {
	_ = b[3]
	put2(b[0:2], v/100)
	put2(b[2:4], v%100)
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

// The Unix seconds of 0000-01-01T00:00:00Z and of 9999-12-31T23:59:59Z: a time between them
// has a four-digit year.
const (
	firstFourDigitYearUnix = -62167219200
	lastFourDigitYearUnix  = 253402300799
)

// runTimeQuotedLen is len(appendRunTime(nil, t)). The year is told from the Unix seconds:
// Year's calendar arithmetic, for each of a run's times every time a request is sized, cost
// more than the rest of the check.
func runTimeQuotedLen(t time.Time) int {
	if s := t.Unix(); s >= firstFourDigitYearUnix && s <= lastFourDigitYearUnix {
		return runTimeLen + 2
	}
	var buf [40]byte
	return len(appendRunTime(buf[:0], t))
}
