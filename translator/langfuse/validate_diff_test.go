// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// legacyCheckTimestamp, legacyCheckTraceID and legacyCheckSpanID are the checks before the
// direct reads (plainTimestamp, plainTraceID, plainSpanID): every value goes through strconv or
// the unescaped string.
func legacyCheckTimestamp(p *problems, loc *path, field string, v *value) (pcommon.Timestamp, bool) {
	switch v.kind {
	case kindNull:
		return 0, false
	case kindNumber:
	default:
		p.addValue(at(loc, field), typeInt, msgInt, v, nil)
		return 0, false
	}
	if !isIntegerLiteral(v.raw) {
		p.addValue(at(loc, field), typeInt, msgInt, v, nil)
		return 0, false
	}
	n, err := strconv.ParseInt(string(v.raw), 10, 64)
	switch {
	case v.raw[0] == '-' && (err != nil || n < 0):
		p.addValue(at(loc, field), typeGreaterEqual, "Input should be greater than or equal to 0", v, map[string]any{"ge": 0})
		return 0, false
	case err != nil:
		p.addValue(at(loc, field), typeLessEqual, "Input should be less than or equal to "+strconv.FormatInt(math.MaxInt64, 10),
			v, map[string]any{"le": int64(math.MaxInt64)})
		return 0, false
	}
	return pcommon.Timestamp(n), true //nolint:gosec // n ≥ 0 checked above
}

func legacyCheckTraceID(p *problems, loc *path, field string, v *value) pcommon.TraceID {
	s, ok := checkString(p, loc, field, v)
	if !ok {
		return pcommon.TraceID{}
	}
	var id pcommon.TraceID
	hexDigits := s
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		hexDigits = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(hexDigits) != 32 || !decodeHex(id[:], hexDigits) {
		p.valueError(at(loc, field), s, "trace_id must be 32 hexadecimal characters or a UUID")
		return pcommon.TraceID{}
	}
	if id.IsEmpty() {
		p.valueError(at(loc, field), s, "trace_id must not be all zeros")
		return pcommon.TraceID{}
	}
	return id
}

func legacyCheckSpanID(p *problems, loc *path, field string, v *value) (pcommon.SpanID, bool) {
	s, ok := checkString(p, loc, field, v)
	if !ok {
		return pcommon.SpanID{}, false
	}
	var id pcommon.SpanID
	if len(s) != 16 || !decodeHex(id[:], s) {
		p.valueError(at(loc, field), s, "span_id must be 16 hexadecimal characters")
		return pcommon.SpanID{}, false
	}
	if id.IsEmpty() {
		p.valueError(at(loc, field), s, "span_id must not be all zeros")
		return pcommon.SpanID{}, false
	}
	return id, true
}

// FuzzCheckTimestampMatchesLegacy: for every JSON number, checkTimestamp takes what the strconv
// path took and refuses what it refused, with the same problems.
func FuzzCheckTimestampMatchesLegacy(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "1700000000000000000", "9223372036854775807", "9223372036854775808",
		"9999999999999999999", "10000000000000000000", "18446744073709551616", "-1", "1.0", "1e3", "12E2", "0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) == 0 || !jsontext.Valid([]byte(raw)) || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
			return
		}
		v := value{kind: kindNumber, raw: []byte(raw)}
		var got, want problems
		gotTS, gotOK := checkTimestamp(&got, &bodyPath, "start_time_unix_nano", &v)
		wantTS, wantOK := legacyCheckTimestamp(&want, &bodyPath, "start_time_unix_nano", &v)
		require.Equal(t, wantOK, gotOK, raw)
		require.Equal(t, wantTS, gotTS, raw)
		require.Equal(t, want.err(), got.err(), raw)
	})
}

// FuzzCheckIDsMatchLegacy: for every JSON string, checkTraceID and checkSpanID read the ID the
// unescaped string gave and refuse what it refused, with the same problems.
func FuzzCheckIDsMatchLegacy(f *testing.F) {
	for _, s := range []string{`"1c563dcf980b449abb0dcbeaf1784e81"`, `"1C563DCF-980B-449A-BB0D-CBEAF1784E81"`,
		`"00000000000000000000000000000000"`, `"\u0031c563dcf980b449abb0dcbeaf1784e81"`, `"00f067aa0ba902b7"`,
		`"0000000000000000"`, `"00f067aa0ba902bz"`, `"1c563dcf-980b-449a-bb0d-cbeaf1784e8g"`, `"1c563dcf980b-449a-bb0d-cbeaf1784e81-"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) < 2 || raw[0] != '"' || !jsontext.Valid([]byte(raw)) {
			return
		}
		v := value{kind: kindString, raw: []byte(raw)}
		var got, want problems
		require.Equal(t, legacyCheckTraceID(&want, &bodyPath, "trace_id", &v), checkTraceID(&got, &bodyPath, "trace_id", &v), raw)
		require.Equal(t, want.err(), got.err(), raw)
		var gotS, wantS problems
		wantID, wantOK := legacyCheckSpanID(&wantS, &bodyPath, "span_id", &v)
		gotID, gotOK := checkSpanID(&gotS, &bodyPath, "span_id", &v)
		require.Equal(t, wantOK, gotOK, raw)
		require.Equal(t, wantID, gotID, raw)
		require.Equal(t, wantS.err(), gotS.err(), raw)
	})
}
