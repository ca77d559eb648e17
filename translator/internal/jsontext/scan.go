// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext // import "github.com/tracebridge/tracebridge/translator/internal/jsontext"

import (
	"bytes"
	"encoding/json"
	"unsafe"
)

func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func TrimSpace(s string) string {
	for len(s) > 0 && IsSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && IsSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// Kind says what an attribute string holds.
type Kind uint8

const (
	None   Kind = iota // plain text
	Object             // a JSON object
	Array              // a JSON array
	Scalar             // another JSON value (string, number, true, false, null)
)

// Classify reports whether s (already trimmed) is JSON text and of which kind. Attribute
// values often carry JSON-encoded payloads (Langfuse and LangSmith SDKs stringify objects), which
// should reach LangSmith as JSON, not as a string of JSON.
func Classify(s string) Kind {
	if s == "" {
		return None
	}
	var k Kind
	switch c := s[0]; {
	case c == '{':
		k = Object
	case c == '[':
		k = Array
	case c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		k = Scalar
	default:
		return None
	}
	if !Valid(StringBytes(s)) {
		return None
	}
	return k
}

// skipValue returns the index just past the JSON value starting at b[i] (after any leading
// space). b must be valid JSON; the scanners below run only on text Valid accepted.
func skipValue(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
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
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !IsSpace(b[i]) {
			i++
		}
		return i
	}
}

// SkipString returns the index just past the string whose opening quote is at b[i], in text
// Valid accepted.
func SkipString(b []byte, i int) int { return skipString(b, i) }

// skipString returns the index just past the string whose opening quote is at b[i].
func skipString(b []byte, i int) int {
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

// EachMember calls fn for each member of the valid JSON object obj, in order, with the key
// still quoted (so it can be copied to output as is) and the raw value. It stops when fn
// returns false.
func EachMember(obj []byte, fn func(rawKey, val []byte) bool) { eachMember(obj, skipValue, fn) }

// EachElement calls fn for each element of the valid JSON array arr, in order.
func EachElement(arr []byte, fn func(val []byte) bool) { eachElement(arr, skipValue, fn) }

// eachMember walks obj's members with skip finding where each value ends. It stops where skip
// makes no progress (text that is not valid JSON), so a bad input ends the walk, never hangs it.
func eachMember(obj []byte, skip func(b []byte, i int) int, fn func(rawKey, val []byte) bool) {
	i := 0
	for i < len(obj) && obj[i] != '{' {
		i++
	}
	i++
	for i < len(obj) {
		for i < len(obj) && (IsSpace(obj[i]) || obj[i] == ',') {
			i++
		}
		if i >= len(obj) || obj[i] != '"' {
			return
		}
		ks := i
		i = skipString(obj, i)
		key := obj[ks:i]
		for i < len(obj) && (IsSpace(obj[i]) || obj[i] == ':') {
			i++
		}
		vs := i
		i = skip(obj, i)
		if i <= vs || !fn(key, obj[vs:i]) {
			return
		}
	}
}

// eachElement walks arr's elements as eachMember walks members.
func eachElement(arr []byte, skip func(b []byte, i int) int, fn func(val []byte) bool) {
	i := 0
	for i < len(arr) && arr[i] != '[' {
		i++
	}
	i++
	for i < len(arr) {
		for i < len(arr) && (IsSpace(arr[i]) || arr[i] == ',') {
			i++
		}
		if i >= len(arr) || arr[i] == ']' {
			return
		}
		vs := i
		i = skip(arr, i)
		if i <= vs || !fn(arr[vs:i]) {
			return
		}
	}
}

// UnquoteKey returns a raw JSON key without its quotes. Keys with escapes (rare) are decoded
// properly, which allocates.
func UnquoteKey(raw []byte) string {
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

// HasMember reports whether the JSON object obj has a top-level member named key (a plain
// key without escapes).
func HasMember(obj []byte, key string) bool {
	found := false
	EachMember(obj, func(rawKey, _ []byte) bool {
		if len(rawKey) == len(key)+2 && string(rawKey[1:len(rawKey)-1]) == key {
			found = true
			return false
		}
		return true
	})
	return found
}

// StringBytes views s as bytes without copying. Only for read-only use (Valid, the
// scanners below) on strings that outlive the call.
func StringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s)) //nolint:gosec // G103: a read-only view, as documented above
}

// BytesString views b as a string without copying. Only for bytes that are themselves a view
// of a string (so never change) or that are not retained past the call.
func BytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) //nolint:gosec // G103: bytes that never change, as documented above
}
