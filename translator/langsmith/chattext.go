// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"encoding/binary"
	"math/bits"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// Semconv message arrays ([{"role":…,"parts":[{"type":"text","content":…},…]},…], with perhaps
// a finish_reason or a name beside the parts) are most of the chat text the translator sees.
// The general rewrite validates and indexes an array, then walks each message, its parts and
// each part's members again. appendSemconvMessages reads such an array once, validating as it
// goes and reading each part's members as scanPart does, and hands the parts to the same
// writer (appendParts), so it writes the same bytes. Messages already in the {role, content}
// shape are copied, as the general rewrite copies them. Anything else (contents or tool_calls
// members, content beside parts, repeated or escaped keys, parts that are not objects, an empty
// array) it leaves to the general rewrite; a fuzz target holds the two to the same output.

// Nesting depths of the values appendSemconvMessages scans, as Valid counts them from the array.
const (
	messageDepth       = 1 // the array's elements
	messageMemberDepth = 2 // a message's member values
	partMemberDepth    = 4 // a part's member values
)

// maxSemconvParts bounds the parts of one message the one pass takes (a stack array holds them).
const maxSemconvParts = 8

// appendSemconvMessages appends the messages of the JSON array arr (arr[0] is '[', and arr ends
// where the array ends, but for space) as appendIndexedChatMessages would, and reports false,
// with dst holding partial output past its length, when arr is not valid JSON or holds a
// message the one pass does not take.
func appendSemconvMessages(dst, arr []byte) ([]byte, bool) {
	var parts partRoom
	return appendSemconvMessagesIn(dst, arr, &parts)
}

// partRoom is room for one message's parts. Each part is overwritten whole as it is read,
// so the room need not start zeroed: an Arena keeps one and spares every run zeroing its 1.3 kB.
type partRoom [maxSemconvParts]partInfo

// appendSemconvMessagesIn is appendSemconvMessages with parts as the room for every message's
// parts.
func appendSemconvMessagesIn(dst, arr []byte, parts *partRoom) ([]byte, bool) {
	i := jsontext.SkipSpace(arr, 1)
	if i >= len(arr) || arr[i] == ']' {
		return dst, false
	}
	var w chatWriter
	for {
		var ok bool
		if arr[i] == '{' {
			if dst, i, ok = w.appendSemconvMessage(dst, arr, i, parts); !ok {
				return dst, false
			}
		} else {
			// Elements that are not objects are copied as they are.
			end, ok := jsontext.ScanValue(arr, i, messageDepth)
			if !ok {
				return dst, false
			}
			dst = append(w.sep(dst), arr[i:end]...)
			i = end
		}
		if i = jsontext.SkipSpace(arr, i); i >= len(arr) {
			return dst, false
		}
		switch arr[i] {
		case ',':
			if i = jsontext.SkipSpace(arr, i+1); i >= len(arr) {
				return dst, false
			}
		case ']':
			return dst, jsontext.SkipSpace(arr, i+1) == len(arr)
		default:
			return dst, false
		}
	}
}

// appendSemconvMessage writes the message object at b[i] and returns the index just past it.
// parts is room for its parts.
func (w *chatWriter) appendSemconvMessage(dst, b []byte, i int, parts *partRoom) ([]byte, int, bool) {
	if d, end, ok := w.appendTextMessage(dst, b, i); ok {
		return d, end, true
	}
	start := i
	var role []byte
	nParts, hasParts, hasContent := 0, false, false
	var rest restMembers
	i = jsontext.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return append(w.sep(dst), b[start:i+1]...), i + 1, true // {} is copied as it is
	}
	for {
		key, vs, ok := scanMemberKey(b, i)
		if !ok {
			return dst, i, false
		}
		var ve int
		switch string(key) {
		case `"role"`:
			if role != nil {
				return dst, i, false
			}
			if ve, ok = jsontext.ScanValue(b, vs, messageMemberDepth); !ok {
				return dst, i, false
			}
			role = b[vs:ve]
		case `"parts"`:
			if hasParts {
				return dst, i, false
			}
			hasParts = true
			if ve, nParts, ok = scanSemconvParts(b, vs, parts); !ok {
				return dst, i, false
			}
		case `"content"`:
			// With parts beside it the general rewrite keeps content; alone, the message is
			// already in the chat shape and is copied.
			if ve, ok = jsontext.ScanValue(b, vs, messageMemberDepth); !ok {
				return dst, i, false
			}
			hasContent = true
		case `"contents"`, `"tool_calls"`:
			return dst, i, false
		default:
			if ve, ok = jsontext.ScanValue(b, vs, messageMemberDepth); !ok {
				return dst, i, false
			}
			rest.add(key, b[vs:ve])
		}
		if i = jsontext.SkipSpace(b, ve); i >= len(b) {
			return dst, i, false
		}
		if b[i] == '}' {
			i++
			break
		}
		if b[i] != ',' {
			return dst, i, false
		}
		i = jsontext.SkipSpace(b, i+1)
	}
	msg := b[start:i]
	switch {
	case !hasParts:
		return append(w.sep(dst), msg...), i, true // already {role, content}, or no chat at all
	case hasContent:
		return dst, i, false
	}
	rest.known = true
	return w.appendParts(dst, msg, role, parts[:nParts], &semconvParts, &rest), i, true
}

// Most semconv messages are one text part with perhaps a finish reason, written compactly as
// the instrumentations serialize them.
const (
	textMessageRole   = `{"role":`
	textMessageParts  = `,"parts":[{"type":"text","content":`
	textMessageFinish = `,"finish_reason":`
)

// appendTextMessage writes the message at b[i] when it is exactly
// {"role":"…","parts":[{"type":"text","content":"…"}]} or that with ,"finish_reason":… after
// the parts, and reports false, writing nothing, for any other text (spaces included): the
// general pass then reads it. It writes what that pass writes for the message ({"role":…,
// "content":…} and the finish reason) at a fraction of the cost: no key is looked up and no part
// recorded, only the three values scanned, and the strings validated as the pass validates them.
func (w *chatWriter) appendTextMessage(dst, b []byte, i int) ([]byte, int, bool) {
	rs := i + len(textMessageRole)
	if !hasLiteral(b, i, textMessageRole) || rs >= len(b) || b[rs] != '"' {
		return dst, i, false
	}
	re, ok := jsontext.ScanString(b, rs)
	cs := re + len(textMessageParts)
	if !ok || !hasLiteral(b, re, textMessageParts) || cs >= len(b) || b[cs] != '"' {
		return dst, i, false
	}
	ce, ok := jsontext.ScanString(b, cs)
	if !ok || !hasLiteral(b, ce, "}]") {
		return dst, i, false
	}
	end, fs, fe := ce+2, 0, 0
	switch {
	case end < len(b) && b[end] == '}':
		end++
	case hasLiteral(b, end, textMessageFinish):
		fs = end + len(textMessageFinish)
		if fe, ok = jsontext.ScanValue(b, fs, messageMemberDepth); !ok || fe >= len(b) || b[fe] != '}' {
			return dst, i, false
		}
		end = fe + 1
	default:
		return dst, i, false
	}
	dst = append(w.sep(dst), `{"role":`...)
	dst = append(dst, b[rs:re]...)
	dst = append(dst, `,"content":`...)
	dst = append(dst, b[cs:ce]...)
	if fs > 0 {
		dst = append(dst, textMessageFinish...)
		dst = append(dst, b[fs:fe]...)
	}
	return append(dst, '}'), end, true
}

// hasLiteral reports whether b holds lit at i.
func hasLiteral(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanMemberKey reads the key (a string without escapes) and colon of the member at b[i] and
// returns the raw key and where its value starts. Keys are short: one eight-byte word finds
// the closing quote of most (the byte loop then confirms the byte it stopped at, and takes a
// key whose quote lies within the array's last eight bytes); a byte loop alone cost ~130
// instructions a key, a dozen keys a chat span.
func scanMemberKey(b []byte, i int) (key []byte, vs int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	j := i + 1
	for j+8 <= len(b) {
		if m := keyStops(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			break
		}
		j += 8
	}
	for ; j < len(b) && b[j] != '"'; j++ {
		if c := b[j]; c == '\\' || c < 0x20 { // an escape (left to the general rewrite), or invalid
			return nil, i, false
		}
	}
	if j >= len(b) {
		return nil, i, false
	}
	key = b[i : j+1]
	if j++; j < len(b) && b[j] == ':' { // no space before the colon, as serializers write it
		return key, jsontext.SkipSpace(b, j+1), true
	}
	if j = jsontext.SkipSpace(b, j); j >= len(b) || b[j] != ':' {
		return nil, i, false
	}
	return key, jsontext.SkipSpace(b, j+1), true
}

// keyStops has the high bit set in the lowest byte of the little-endian word x that is '"',
// '\\' or a control character, if any (bits above it may be set too: borrows only run upward).
func keyStops(x uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	q, e := x^(lsb*'"'), x^(lsb*'\\')
	return (((x - lsb*0x20) &^ x) | ((q - lsb) &^ q) | ((e - lsb) &^ e)) & msb
}

// scanSemconvParts reads the parts array at b[i] into parts, each part's members as scanPart
// reads them with semconvParts, and returns the index just past it and the number of parts.
func scanSemconvParts(b []byte, i int, parts *partRoom) (int, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return i, 0, false
	}
	i = jsontext.SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, 0, true
	}
	for n := 0; ; n++ {
		if n == len(parts) || i >= len(b) || b[i] != '{' {
			return i, 0, false
		}
		end, ok := scanSemconvPart(b, i, &parts[n])
		if !ok {
			return i, 0, false
		}
		if i = jsontext.SkipSpace(b, end); i >= len(b) {
			return i, 0, false
		}
		switch b[i] {
		case ',':
			i = jsontext.SkipSpace(b, i+1)
		case ']':
			return i + 1, n + 1, true
		default:
			return i, 0, false
		}
	}
}

// scanSemconvPart reads the part object at b[i] into pi and returns the index just past it. A
// member scanPart reads that comes twice (scanPart keeps the last), or a type that is not a
// string, is left to the general rewrite.
func scanSemconvPart(b []byte, i int, pi *partInfo) (int, bool) {
	start := i
	var text2, resp2 []byte
	var seen uint8
	once := func(bit uint8) bool {
		dup := seen&bit != 0
		seen |= bit
		return !dup
	}
	i = jsontext.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		*pi = partInfo{raw: b[start : i+1]}
		return i + 1, true
	}
	*pi = partInfo{}
	for {
		key, vs, ok := scanMemberKey(b, i)
		if !ok {
			return i, false
		}
		ve, ok := jsontext.ScanValue(b, vs, partMemberDepth)
		if !ok {
			return i, false
		}
		val := b[vs:ve]
		switch string(key) {
		case `"type"`:
			if !once(1) || val[0] != '"' {
				return i, false
			}
			pi.kind = jsontext.BytesString(val[1 : len(val)-1])
		case `"content"`:
			ok, pi.text = once(2), val
		case `"text"`:
			ok, text2 = once(4), val
		case `"id"`:
			ok, pi.id = once(8), val
		case `"name"`:
			ok, pi.name = once(16), val
		case `"arguments"`:
			ok, pi.args = once(32), val
		case `"response"`:
			ok, pi.resp = once(64), val
		case `"result"`:
			ok, resp2 = once(128), val
		}
		if !ok {
			return i, false
		}
		if i = jsontext.SkipSpace(b, ve); i >= len(b) {
			return i, false
		}
		if b[i] == '}' {
			i++
			break
		}
		if b[i] != ',' {
			return i, false
		}
		i = jsontext.SkipSpace(b, i+1)
	}
	pi.raw = b[start:i]
	if pi.text == nil {
		pi.text = text2
	}
	if pi.resp == nil {
		pi.resp = resp2
	}
	pi.hasText = len(pi.text) >= 2 && pi.text[0] == '"'
	return i, true
}
