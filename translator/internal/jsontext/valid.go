// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package jsontext reads and writes JSON text for both translators (write.go: strings, numbers,
// pdata values and objects straight into a byte slice). Valid checks text the way
// encoding/json.Valid does, several times faster, and the scanners (scan.go) walk text already
// known to be valid without decoding it. json.Valid steps a state machine through a function
// call per byte, which made it the largest cost of both translators (every attribute that may
// hold JSON in the LangSmith mapping, every record body in the Langfuse decoder). A fuzz test
// holds Valid and json.Valid to the same answers.
package jsontext // import "github.com/tracebridge/tracebridge/translator/internal/jsontext"

import (
	"encoding/binary"
	"math/bits"
)

// Valid reports whether b is exactly one JSON value (RFC 8259), with surrounding space,
// accepting and refusing what json.Valid does.
func Valid(b []byte) bool {
	i, ok := scanJSONValue(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

// ScanValue returns the index just past the JSON value starting at b[i] and whether it is
// valid, counting nesting from depth as Valid counts it from the top: a caller that reads the
// containers of a document itself and scans their values here keeps Valid's answers.
func ScanValue(b []byte, i, depth int) (int, bool) { return scanJSONValue(b, i, depth) }

// ScanString returns the index just past the string opening at b[i] and whether it is valid.
func ScanString(b []byte, i int) (int, bool) { return scanJSONString(b, i) }

// SkipSpace returns the index of the first byte at or after b[i] that is not JSON space.
func SkipSpace(b []byte, i int) int { return skipSpace(b, i) }

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// MaxDepth is the nesting limit Valid and ScanValue keep, encoding/json's: a caller reading
// containers itself refuses one that opens at this depth, as they do.
const MaxDepth = maxDepth

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanJSONValue returns the index just past the value starting at b[i].
func scanJSONValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return scanJSONString(b, i)
	case c == '{':
		return scanJSONContainer(b, i, depth, '}')
	case c == '[':
		return scanJSONContainer(b, i, depth, ']')
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return scanJSONNumber(b, i)
	}
	return i, false
}

// scanJSONContainer scans an object (end '}') or an array (end ']') opening at b[i].
func scanJSONContainer(b []byte, i, depth int, end byte) (int, bool) {
	if depth >= maxDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == end {
		return i + 1, true
	}
	for {
		var ok bool
		if end == '}' {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			if i, ok = scanJSONString(b, i); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
		if i, ok = scanJSONValue(b, i, depth+1); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case end:
			return i + 1, true
		default:
			return i, false
		}
	}
}

// scanJSONString scans the string opening at b[i]. Like encoding/json it refuses control
// characters and bad escapes but lets invalid UTF-8 through.
func scanJSONString(b []byte, i int) (int, bool) {
	for i++; i < len(b); {
		i = stringRun(b, i)
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHexDigit(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++
		}
	}
	return i, false
}

// stringRun returns the index of the first byte at or after b[i] that a string scanner must
// look at (a quote, a backslash or a control character), or len(b). It tests eight bytes at a
// time: the byte-at-a-time loop was most of Valid's cost on the long texts records carry. It is
// plainRun without the bytes ≥ 0x80, which a string may hold as they are; a tail shorter than
// a word is tested as one word too, so short keys and values take no byte loop either.
func stringRun(b []byte, i int) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	mask := func(x uint64) uint64 {
		q, s := x^(lsb*'"'), x^(lsb*'\\')
		// A byte's high bit in the mask is set when the byte is below 0x20 or is '"' or '\\'
		// (zero after the xor); &^ clears it for bytes ≥ 0x80. Borrows can only set bits above
		// the lowest true one, and only the lowest is used.
		return (((x - lsb*0x20) &^ x) | ((q - lsb) &^ q) | ((s - lsb) &^ s)) & msb
	}
	for ; i+8 <= len(b); i += 8 {
		if m := mask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i >= len(b) {
		return i
	}
	if j := len(b) - 8; j >= 0 {
		// The last word, shifted so that it starts at i (the bytes before i may be special:
		// callers resume after one), its top filled with plain bytes.
		k := uint(i-j) * 8 // 8 to 56
		if m := mask(binary.LittleEndian.Uint64(b[j:])>>k | lsb*'a'<<(64-k)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// scanJSONNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanJSONNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
