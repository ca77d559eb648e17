// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// The decoders need two things encoding/json does not give together: the JSON type of every
// field as sent (pydantic's strict types reject "1" for an integer and 1 for a string), and one
// pass over the body however deep the session tree is. Decoding level by level into
// json.RawMessage rescans each subtree once per level, which is quadratic on a deep tree; a
// decode into `any` loses nothing but boxes every value. So the body is checked once with
// json.Valid, measured against the limits (limits.go) without allocating, and only then split
// into this small tree of slices into the body, without copies.

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

// value is one JSON value of a body that json.Valid accepted. raw aliases the body.
type value struct {
	kind    kind
	raw     []byte   // the value as sent; a string keeps its quotes
	members []member // kindObject, in document order (duplicates kept)
	elems   []value  // kindArray
}

type member struct {
	key []byte // the key as sent, without its quotes; may hold escapes
	val value
}

// name returns the member's key with escapes resolved.
func (m *member) name() string {
	if bytes.IndexByte(m.key, '\\') < 0 && utf8.Valid(m.key) {
		return string(m.key)
	}
	return unquote(m.key)
}

// is reports whether the member's key is name, without allocating for the usual plain key.
func (m *member) is(name string) bool {
	if bytes.IndexByte(m.key, '\\') < 0 {
		return string(m.key) == name
	}
	return unquote(m.key) == name
}

// str returns a string value's contents with escapes resolved and invalid UTF-8 replaced, so
// that nothing downstream (pdata's protobuf encoding above all) sees an invalid string.
func (v *value) str() string {
	inner := v.raw[1 : len(v.raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	return unquote(inner)
}

// unquote resolves the escapes of a string's contents, which json.Valid has accepted, the
// way encoding/json does: invalid UTF-8 and lone surrogates become U+FFFD. It is the path of
// every input and output that holds JSON text, so it avoids encoding/json's reflection.
func unquote(inner []byte) string {
	var b strings.Builder
	b.Grow(len(inner))
	for i := 0; i < len(inner); {
		// The run up to the next escape is copied at once when it is valid UTF-8: JSON text
		// inside a string (the usual input and output) is mostly long runs between escaped
		// quotes. IndexByte and utf8.Valid both take many bytes a step.
		j := bytes.IndexByte(inner[i:], '\\')
		if j < 0 {
			j = len(inner) - i
		}
		run := inner[i : i+j]
		if utf8.Valid(run) {
			b.Write(run)
		} else {
			writeReplacingInvalid(&b, run)
		}
		i += j
		if i < len(inner) {
			i = unescape(&b, inner, i)
		}
	}
	return b.String()
}

// writeReplacingInvalid writes run, which holds no escape, with each byte of invalid UTF-8
// replaced by U+FFFD.
func writeReplacingInvalid(b *strings.Builder, run []byte) {
	for i := 0; i < len(run); {
		r, size := utf8.DecodeRune(run[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(run[i : i+size])
		}
		i += size
	}
}

// unescape writes the escape at inner[i] and returns the index after it.
func unescape(b *strings.Builder, inner []byte, i int) int {
	switch c := inner[i+1]; c {
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r := hex4(inner[i+2 : i+6])
		i += 6
		if utf16.IsSurrogate(r) {
			r2 := rune(-1)
			if i+6 <= len(inner) && inner[i] == '\\' && inner[i+1] == 'u' {
				r2 = hex4(inner[i+2 : i+6])
			}
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				r = pair
				i += 6
			} else {
				r = utf8.RuneError
			}
		}
		b.WriteRune(r)
		return i
	default: // '"', '\\', '/'
		b.WriteByte(c)
	}
	return i + 2
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default: // 'A'–'F': json.Valid allows nothing else
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// compactJSON returns an object or array as compact JSON text that is valid UTF-8.
func (v *value) compactJSON() string {
	var buf bytes.Buffer
	buf.Grow(len(v.raw))
	_ = json.Compact(&buf, v.raw) // valid by construction
	if utf8.Valid(buf.Bytes()) {
		return buf.String()
	}
	// Re-encoding through Go values replaces invalid UTF-8; it also sorts object keys, which
	// only this rare path does.
	buf.Reset()
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v.input())
	return string(bytes.TrimRight(buf.Bytes(), "\n"))
}

// input returns the value as Go data, for the "input" of an error entry.
func (v *value) input() any {
	switch v.kind {
	case kindBool:
		return v.raw[0] == 't'
	case kindNumber:
		return json.Number(v.raw)
	case kindString:
		return v.str()
	case kindObject:
		m := make(map[string]any, len(v.members))
		for i := range v.members {
			m[v.members[i].name()] = v.members[i].val.input()
		}
		return m
	case kindArray:
		a := make([]any, len(v.elems))
		for i := range v.elems {
			a[i] = v.elems[i].input()
		}
		return a
	default:
		return nil
	}
}

// syntaxError is a body that is not JSON, with the byte offset where that became clear.
type syntaxError struct {
	offset int64
	msg    string
}

func (e *syntaxError) Error() string { return e.msg }

// checkJSON checks data. A body of whitespace only is (false, nil): the caller decides what an
// absent body means.
func checkJSON(data []byte) (bool, *syntaxError) {
	if len(bytes.TrimSpace(data)) == 0 {
		return false, nil
	}
	if jsontext.Valid(data) {
		return true, nil
	}
	// Only the error path pays for a second scan, to learn where the body went wrong.
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		// encoding/json counts the offending byte as read; FastAPI's loc is the 0-based
		// index of that byte, or the length of the body when the body ends too soon.
		offset := se.Offset
		if offset > 0 && se.Error() != "unexpected end of JSON input" {
			offset--
		}
		return false, &syntaxError{offset: offset, msg: se.Error()}
	}
	return false, &syntaxError{offset: int64(len(data)), msg: "unexpected end of JSON input"}
}

// measure takes a body checkJSON accepted in one pass: it counts its nodes and the elements
// of a root array (what measureJSON counts, for the limits) and the members or elements of
// each object and array (for build), and finds the first object or array nested deeper than
// maxNesting (deepAt, or -1). The caller checks the limits, and deepAt, before build: the
// counts it keeps stop growing once the body is past maxNodes or too deep, since build will
// not run then.
func (p *parser) measure(data []byte, maxNesting, maxNodes int) (m measurement, deepAt int) {
	m, p.sizes, p.stack, deepAt = measureContainers(data, maxNesting, maxNodes, p.sizes[:0], p.stack[:0])
	p.data = data
	return m, deepAt
}

// build splits the body measure took into values: a tree of slices into it, each object's
// members and each array's elements one exactly sized allocation.
func (p *parser) build() value {
	p.pos, p.next = 0, 0
	clear(p.slab) // the previous tree is done with (see slab)
	p.slab = p.slab[:0]
	v := p.value()
	p.data = nil
	return v
}

// tooDeep is the syntax error of a body nested deeper than maxNesting, as encoding/json
// answers past its own limit.
func tooDeep(deepAt, maxNesting int) *syntaxError {
	return &syntaxError{offset: int64(deepAt), msg: "exceeded max depth of " + strconv.Itoa(maxNesting)}
}

// parser splits a body checkJSON accepted. A first pass counts the members or elements of
// every object and array, so that each gets one exactly sized allocation and nothing is
// copied: a large object costs its size once, not the several times a growing scratch stack
// would. The counts and the pass's stack are reused through parserPool.
type parser struct {
	data  []byte
	pos   int
	sizes []int32 // members or elements of each object and array, in document order
	next  int     // the index in sizes of the next object or array
	stack []int32
	// slab holds the members of the objects of the current parse, each object a slice of it
	// with its own exact capacity. Kept across parses of a pooled parser: a tree lives only
	// until its decoder has copied out what it keeps, before the next parse or putParser.
	slab []member
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

func getParser() *parser { return parserPool.Get().(*parser) }

func putParser(p *parser) {
	// A body with many objects would otherwise pin its counts for good.
	if cap(p.sizes) > 1<<14 || cap(p.stack) > 1<<10 || cap(p.slab) > maxPooledMembers {
		return
	}
	clear(p.slab) // the members point into a body the pool must not keep
	p.slab = p.slab[:0]
	parserPool.Put(p)
}

// maxPooledMembers bounds the member slab a pooled parser keeps (~100 bytes a member).
const maxPooledMembers = 1 << 10

// members returns room for an object's n members: a slice of the slab, capped at n so that
// appending to it can never run into the next object's members.
func (p *parser) members(n int) []member {
	if cap(p.slab)-len(p.slab) < n {
		if n > maxPooledMembers/4 {
			return make([]member, 0, n) // a large object gets its own, as before
		}
		// Doubling up to maxPooledMembers, then chunks of it: a body of many records wastes
		// less than a chunk, and every slab stays small enough to pool.
		p.slab = make([]member, 0, min(max(2*cap(p.slab), 64), maxPooledMembers))
	}
	lo := len(p.slab)
	p.slab = p.slab[:lo+n]
	return p.slab[lo : lo : lo+n]
}

// measureContainers is measure's pass over data, which json.Valid accepted; sizes and stack
// are its scratch space. Its node and element counts are measureJSON's; sizes gets the number
// of members or elements of each object and array in the order they open, as long as the
// body is within maxNodes and maxNesting.
func measureContainers(data []byte, maxNesting, maxNodes int, sizes, stack []int32) (m measurement, _, _ []int32, deepAt int) {
	m.elems, deepAt = -1, -1
	depth := 0
	recording := true // sizes and stack are kept up to date
	for i := 0; i < len(data); {
		c := data[i]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
			i++
			continue
		case ',':
			if recording {
				sizes[stack[len(stack)-1]]++
			}
			i++
			continue
		case '}', ']':
			depth--
			if recording {
				stack = stack[:len(stack)-1]
			}
			i++
			continue
		}
		// c starts a value or an object key.
		m.nodes++
		if depth == 1 && m.elems >= 0 {
			m.elems++
		}
		if recording {
			if m.nodes > maxNodes {
				recording = false
			} else if n := len(stack); n > 0 && sizes[stack[n-1]] == 0 {
				sizes[stack[n-1]] = 1 // its first child; each comma at its level adds one
			}
		}
		switch c {
		case '{', '[':
			if c == '[' && m.nodes == 1 {
				m.elems = 0
			}
			if depth >= maxNesting && deepAt < 0 {
				deepAt, recording = i, false
			}
			depth++
			if recording {
				stack = append(stack, int32(len(sizes))) // a body has far fewer than 2^31 values
				sizes = append(sizes, 0)
			}
			i++
		case '"':
			i = jsontext.SkipString(data, i)
		default: // a number or a literal: up to the next delimiter
			i++
			for i < len(data) && !isDelimiter(data[i]) {
				i++
			}
		}
	}
	return m, sizes, stack, deepAt
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() value {
	p.skipSpace()
	start := p.pos
	switch p.data[p.pos] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		p.skipString()
		return value{kind: kindString, raw: p.data[start:p.pos]}
	case 't':
		p.pos += len("true")
		return value{kind: kindBool, raw: p.data[start:p.pos]}
	case 'f':
		p.pos += len("false")
		return value{kind: kindBool, raw: p.data[start:p.pos]}
	case 'n':
		p.pos += len("null")
		return value{kind: kindNull, raw: p.data[start:p.pos]}
	default:
		for p.pos < len(p.data) && isNumberByte(p.data[p.pos]) {
			p.pos++
		}
		return value{kind: kindNumber, raw: p.data[start:p.pos]}
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// skipString moves past a string starting at the opening quote.
func (p *parser) skipString() { p.pos = jsontext.SkipString(p.data, p.pos) }

func (p *parser) object() value {
	start := p.pos
	p.pos++ // '{'
	var members []member
	if n := p.sizes[p.next]; n > 0 {
		members = p.members(int(n))
	}
	p.next++
	for {
		p.skipSpace()
		if p.data[p.pos] == '}' {
			p.pos++
			break
		}
		if p.data[p.pos] == ',' {
			p.pos++
			p.skipSpace()
		}
		keyStart := p.pos
		p.skipString()
		key := p.data[keyStart+1 : p.pos-1]
		p.skipSpace()
		p.pos++ // ':'
		members = append(members, member{key: key})
		members[len(members)-1].val = p.value() // in place: a member is not copied after
	}
	return value{kind: kindObject, raw: p.data[start:p.pos], members: members}
}

func (p *parser) array() value {
	start := p.pos
	p.pos++ // '['
	var elems []value
	if n := p.sizes[p.next]; n > 0 {
		elems = make([]value, 0, n)
	}
	p.next++
	for {
		p.skipSpace()
		if p.data[p.pos] == ']' {
			p.pos++
			break
		}
		if p.data[p.pos] == ',' {
			p.pos++
		}
		elems = append(elems, p.value())
	}
	return value{kind: kindArray, raw: p.data[start:p.pos], elems: elems}
}
