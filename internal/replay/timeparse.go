// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Epoch numbers carry no unit, so the unit is told from the magnitude. Each threshold is where
// the next smaller unit would name a date after the year 5000 and the larger one a date before
// 1973, so every plausible trace time reads the same way whichever unit its writer chose.
const (
	maxEpochSeconds = 1e11 // seconds below this: up to year 5138
	maxEpochMillis  = 1e14 // milliseconds: 1973 to 5138
	maxEpochMicros  = 1e17 // microseconds: 1973 to 5138; nanoseconds above
)

// isoLayouts are tried in order. Go accepts any number of fractional digits after the seconds
// when parsing, whatever the layout says, so one layout per zone form covers 0–9 digits.
var isoLayouts = [...]struct {
	layout string
	naive  bool
}{
	{time.RFC3339, false},               // Z or +00:00 (Python isoformat, JS toISOString)
	{"2006-01-02T15:04:05Z0700", false}, // +0000
	{"2006-01-02T15:04:05Z07", false},   // +00
	{"2006-01-02T15:04:05", true},       // naive: LangSmith exports, Python str(datetime)
	{"2006-01-02T15:04Z07:00", false},   // no seconds
	{"2006-01-02T15:04", true},          // no seconds, naive
	{"2006-01-02", true},                // a date alone
}

// ParseTime reads a run timestamp as the replay does; see parseTime.
func ParseTime(raw json.RawMessage) (t time.Time, ok bool, err error) { return parseTime(raw) }

// parseTime reads a run timestamp in every form LangSmith clients write
// (https://docs.langchain.com/langsmith/run-data-format): ISO 8601 with a zone, ISO without one
// (read as UTC, as LangSmith reads it), a space in place of the T, 0–9 fractional digits, and
// epoch numbers in seconds, milliseconds, microseconds or nanoseconds, as JSON numbers or
// numeric strings. Every result is in UTC, so times written in different forms compare and
// subtract safely: there is no naive/aware split to trip over. ok is false for an absent, null
// or empty value.
func parseTime(raw json.RawMessage) (t time.Time, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false, nil
	}
	if raw[0] != '"' {
		t, err = parseEpoch(string(raw))
		return t, err == nil, err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, false, fmt.Errorf("timestamp %s: %w", raw, err)
	}
	return parseTimeString(s)
}

// parseTimeString is parseTime for a value already known to be text.
func parseTimeString(s string) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, nil
	}
	if isNumeric(s) {
		t, err := parseEpoch(s)
		return t, err == nil, err
	}
	norm := s
	if len(norm) > 10 && (norm[10] == ' ' || norm[10] == 't') {
		norm = norm[:10] + "T" + norm[11:]
	}
	if strings.HasSuffix(norm, "z") {
		norm = norm[:len(norm)-1] + "Z"
	}
	for _, l := range isoLayouts {
		var t time.Time
		var err error
		if l.naive {
			t, err = time.ParseInLocation(l.layout, norm, time.UTC)
		} else {
			t, err = time.Parse(l.layout, norm)
		}
		if err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("timestamp %q is neither ISO 8601 nor an epoch number", s)
}

func isNumeric(s string) bool {
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == 'e' || c == 'E' || c == '+':
		case c == '-' && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		default:
			return false
		}
	}
	return digits > 0
}

// parseEpoch reads an epoch number, choosing its unit by magnitude. Integers are read exactly;
// fractions (seconds with a decimal part, say) keep microsecond precision.
func parseEpoch(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		abs := n
		if abs < 0 {
			abs = -abs
		}
		switch {
		case abs < maxEpochSeconds:
			return time.Unix(n, 0).UTC(), nil
		case abs < maxEpochMillis:
			return time.UnixMilli(n).UTC(), nil
		case abs < maxEpochMicros:
			return time.UnixMicro(n).UTC(), nil
		default:
			return time.Unix(0, n).UTC(), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("timestamp %s is not a number", s)
	}
	var us float64
	switch abs := math.Abs(f); {
	case abs < maxEpochSeconds:
		us = f * 1e6
	case abs < maxEpochMillis:
		us = f * 1e3
	case abs < maxEpochMicros:
		us = f
	default:
		us = f / 1e3
	}
	return time.UnixMicro(int64(math.Round(us))).UTC(), nil
}

// formatTime writes a time the way LangSmith's SDKs send it: UTC, exactly six fractional digits.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}
