// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext

import (
	"encoding/base64"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. It escapes what encoding/json escapes except the
// HTML characters (<, >, &), which are legal JSON and would only bloat prompts; invalid UTF-8
// becomes U+FFFD, as encoding/json does.
func AppendString(dst []byte, s string) []byte {
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

// StringLen is len(AppendString(nil, s)), computed without encoding, so the uploader can
// size requests without building them.
func StringLen(s string) int {
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
// A tail shorter than a word is tested as the string's last eight bytes, overlapping bytes
// already found plain, so keys and short values take no byte-by-byte loop.
func plainRun(s string, i int) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	mask := func(x uint64) uint64 {
		q, b := x^(lsb*'"'), x^(lsb*'\\')
		// A byte's high bit in the mask is set when the byte is below 0x20, is '"' or '\\'
		// (zero after the xor), or is 0x80 or above. Borrows can only set bits above the
		// lowest true one, and only the lowest is used.
		return (((x - lsb*0x20) &^ x) | ((q - lsb) &^ q) | ((b - lsb) &^ b) | x) & msb
	}
	for ; i+8 <= len(s); i += 8 {
		if m := mask(load8(s[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i >= len(s) {
		return i
	}
	if j := len(s) - 8; j >= 0 {
		// The last word, shifted so that it starts at i (the bytes before i may be special:
		// callers resume after one), its top filled with plain bytes.
		k := uint(i-j) * 8 // 8 to 56
		if m := mask(load8(s[j:])>>k | lsb*'a'<<(64-k)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return len(s)
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// load8 reads the first eight bytes of w, little-endian, in one load (w[7] first spares the
// bounds checks of the others).
func load8(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

func AppendFloat(dst []byte, f float64) []byte {
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

// AppendValue appends an attribute value as JSON: maps become objects and slices arrays,
// bytes base64 strings (as encoding/json encodes []byte), an empty value null.
func AppendValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return AppendString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return AppendFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	case pcommon.ValueTypeMap:
		return AppendMap(dst, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendValue(dst, s.At(i))
		}
		return append(dst, ']')
	default:
		return append(dst, "null"...)
	}
}

func AppendMap(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendString(dst, k)
		dst = append(dst, ':')
		dst = AppendValue(dst, v)
	}
	return append(dst, '}')
}

// ObjectWriter writes the members of one JSON object.
type ObjectWriter struct{ n int }

func (w *ObjectWriter) Open(dst []byte) []byte { return append(dst, '{') }

// Key writes the separator and the member name; the caller writes the value. A name that
// needs no escape (nearly all) is written with three appends; AppendString's five and its
// loop were ~180 instructions a key, a dozen keys a run.
func (w *ObjectWriter) Key(dst []byte, k string) []byte {
	sep := w.n > 0
	w.n++
	if plainRun(k, 0) == len(k) {
		if sep {
			dst = append(dst, ',', '"')
		} else {
			dst = append(dst, '"')
		}
		dst = append(dst, k...)
		return append(dst, '"', ':')
	}
	if sep {
		dst = append(dst, ',')
	}
	dst = AppendString(dst, k)
	return append(dst, ':')
}

// PlainKey is Key for a name the caller knows needs no escape (a constant of its own): it skips
// the test for one, most of what a short name costs.
func (w *ObjectWriter) PlainKey(dst []byte, k string) []byte {
	if w.n > 0 {
		dst = append(dst, ',', '"')
	} else {
		dst = append(dst, '"')
	}
	w.n++
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

func (w *ObjectWriter) Close(dst []byte) []byte { return append(dst, '}') }

// Int reads a non-negative JSON integer token (an integral float such as 12.0 is accepted).
func Int(val []byte) (int64, bool) {
	if n, ok := ParseDigits(val); ok {
		return n, true
	}
	f, err := strconv.ParseFloat(string(val), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// ParseDigits parses a plain run of decimal digits (at most 18, so it cannot overflow) without
// the allocation strconv's error path costs.
func ParseDigits(b []byte) (int64, bool) {
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
