// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The encoders here write JSON straight into byte slices. A span becomes a run on the exporter's
// hot path, and building map[string]any trees only to hand them to json.Marshal would cost an
// allocation per value; these append to one buffer instead.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. It escapes what encoding/json escapes except the
// HTML characters (<, >, &), which are legal JSON and would only bloat prompts; invalid UTF-8
// becomes U+FFFD, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i = plainRun(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript consumers; encoding/json escapes
		// them too.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonStringLen is len(appendJSONString(nil, s)), computed without encoding, so the uploader can
// size requests without building them.
func jsonStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		j := plainRun(s, i)
		n += j - i
		if i = j; i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != '"' && c != '\\':
				n++
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
			i++
		case r == '\u2028' || r == '\u2029':
			n += 6
			i += size
		default:
			n += size
			i += size
		}
	}
	return n
}

// plainRun returns the index of the first byte at or after i that a JSON string cannot hold as
// it is (a control character, '"', '\\' or the start of a multi-byte sequence), or len(s). It
// tests eight bytes at a time: on prompts and completions, almost every byte is plain ASCII.
func plainRun(s string, i int) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, b := x^(lsb*'"'), x^(lsb*'\\')
		// A byte's high bit in m is set when the byte is below 0x20, is '"' or '\\' (zero after
		// the xor), or is 0x80 or above. Borrows can only set bits above the lowest true one.
		m := (((x - lsb*0x20) &^ x) | ((q - lsb) &^ q) | ((b - lsb) &^ b) | x) & msb
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// appendUUID appends id in its canonical 36-character form, unquoted.
func appendUUID(dst []byte, id uuid.UUID) []byte {
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xf])
	}
	return dst
}

func appendQuotedUUID(dst []byte, id uuid.UUID) []byte {
	dst = append(dst, '"')
	dst = appendUUID(dst, id)
	return append(dst, '"')
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

func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	// Like encoding/json: plain notation for ordinary magnitudes, exponent for the extremes.
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(dst, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}

// appendValueJSON appends an attribute value as JSON: maps become objects and slices arrays,
// bytes base64 strings (as encoding/json encodes []byte), an empty value null.
func appendValueJSON(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	case pcommon.ValueTypeMap:
		return appendMapJSON(dst, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValueJSON(dst, s.At(i))
		}
		return append(dst, ']')
	default:
		return append(dst, "null"...)
	}
}

func appendMapJSON(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendValueJSON(dst, v)
	}
	return append(dst, '}')
}

// stringBytes views s as bytes without copying. Only for read-only use (validJSON, the
// scanners below) on strings that outlive the call.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s)) //nolint:gosec // G103: a read-only view, as documented above
}

// bytesString views b as a string without copying. Only for bytes that are themselves a view
// of a string (so never change) or that are not retained past the call.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) //nolint:gosec // G103: bytes that never change, as documented above
}

// objectWriter writes the members of one JSON object.
type objectWriter struct{ n int }

func (w *objectWriter) open(dst []byte) []byte { return append(dst, '{') }

// key writes the separator and the member name; the caller writes the value.
func (w *objectWriter) key(dst []byte, k string) []byte {
	if w.n > 0 {
		dst = append(dst, ',')
	}
	w.n++
	dst = appendJSONString(dst, k)
	return append(dst, ':')
}

func (w *objectWriter) close(dst []byte) []byte { return append(dst, '}') }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimJSONSpace(s string) string {
	for len(s) > 0 && isJSONSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isJSONSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// jsonKind says what an attribute string holds.
type jsonKind uint8

const (
	jsonNone   jsonKind = iota // plain text
	jsonObject                 // a JSON object
	jsonArray                  // a JSON array
	jsonScalar                 // another JSON value (string, number, true, false, null)
)

// classifyJSON reports whether s (already trimmed) is JSON text and of which kind. Attribute
// values often carry JSON-encoded payloads (Langfuse and LangSmith SDKs stringify objects), which
// should reach LangSmith as JSON, not as a string of JSON.
func classifyJSON(s string) jsonKind {
	if s == "" {
		return jsonNone
	}
	var k jsonKind
	switch c := s[0]; {
	case c == '{':
		k = jsonObject
	case c == '[':
		k = jsonArray
	case c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		k = jsonScalar
	default:
		return jsonNone
	}
	if !validJSON(stringBytes(s)) {
		return jsonNone
	}
	return k
}

// skipJSONValue returns the index just past the JSON value starting at b[i] (after any leading
// space). b must be valid JSON; the scanners below run only on text validJSON accepted.
func skipJSONValue(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipJSONString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipJSONString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isJSONSpace(b[i]) {
			i++
		}
		return i
	}
}

// skipJSONString returns the index just past the string whose opening quote is at b[i].
func skipJSONString(b []byte, i int) int {
	// Jump from quote to quote (IndexByte is vectorized); a quote is the end unless an odd run of
	// backslashes escapes it.
	for i++; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		bs := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return i + 1
		}
		i++
	}
	return i
}

// eachJSONMember calls fn for each member of the valid JSON object obj, in order, with the key
// still quoted (so it can be copied to output as is) and the raw value. It stops when fn
// returns false.
func eachJSONMember(obj []byte, fn func(rawKey, val []byte) bool) {
	i := 0
	for i < len(obj) && obj[i] != '{' {
		i++
	}
	i++
	for i < len(obj) {
		for i < len(obj) && (isJSONSpace(obj[i]) || obj[i] == ',') {
			i++
		}
		if i >= len(obj) || obj[i] != '"' {
			return
		}
		ks := i
		i = skipJSONString(obj, i)
		key := obj[ks:i]
		for i < len(obj) && (isJSONSpace(obj[i]) || obj[i] == ':') {
			i++
		}
		vs := i
		i = skipJSONValue(obj, i)
		if !fn(key, obj[vs:i]) {
			return
		}
	}
}

// eachJSONElement calls fn for each element of the valid JSON array arr, in order.
func eachJSONElement(arr []byte, fn func(val []byte) bool) {
	i := 0
	for i < len(arr) && arr[i] != '[' {
		i++
	}
	i++
	for i < len(arr) {
		for i < len(arr) && (isJSONSpace(arr[i]) || arr[i] == ',') {
			i++
		}
		if i >= len(arr) || arr[i] == ']' {
			return
		}
		vs := i
		i = skipJSONValue(arr, i)
		if !fn(arr[vs:i]) {
			return
		}
	}
}

// unquoteJSONKey returns a raw JSON key without its quotes. Keys with escapes (rare) are decoded
// properly, which allocates.
func unquoteJSONKey(raw []byte) string {
	if len(raw) < 2 {
		return ""
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return string(inner)
			}
			return s
		}
	}
	return string(inner)
}

// jsonHasMember reports whether the JSON object obj has a top-level member named key (a plain
// key without escapes).
func jsonHasMember(obj []byte, key string) bool {
	found := false
	eachJSONMember(obj, func(rawKey, _ []byte) bool {
		if len(rawKey) == len(key)+2 && string(rawKey[1:len(rawKey)-1]) == key {
			found = true
			return false
		}
		return true
	})
	return found
}

// jsonInt reads a non-negative integer token (an integral float such as 12.0 is accepted).
func jsonInt(val []byte) (int64, bool) {
	if n, ok := parseDigits(val); ok {
		return n, true
	}
	f, err := strconv.ParseFloat(string(val), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// parseDigits parses a plain run of decimal digits (at most 18, so it cannot overflow) without
// the allocation strconv's error path costs.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
