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
// decode into `any` loses nothing but boxes every value. So one pass (measure) checks the body as
// json.Valid does and measures it against the limits (limits.go), allocating only the sizes of
// its objects and arrays, and only then is it split into this small tree of slices into the
// body, without copies.

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
// absent body means. The decoders check with measure; checkJSON is the reference it is tested
// against, and its error path tells why a body measure refused is not JSON.
func checkJSON(data []byte) (bool, *syntaxError) {
	if isBlank(data) {
		return false, nil
	}
	if jsontext.Valid(data) {
		return true, nil
	}
	return false, whyInvalid(data)
}

// isBlank reports whether data holds nothing but space: an absent body.
func isBlank(data []byte) bool { return len(bytes.TrimSpace(data)) == 0 }

// whyInvalid returns where and why data, which is not JSON, went wrong. Only the error path
// pays for this second scan.
func whyInvalid(data []byte) *syntaxError {
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		// encoding/json counts the offending byte as read; FastAPI's loc is the 0-based
		// index of that byte, or the length of the body when the body ends too soon.
		offset := se.Offset
		if offset > 0 && se.Error() != "unexpected end of JSON input" {
			offset--
		}
		return &syntaxError{offset: offset, msg: se.Error()}
	}
	return &syntaxError{offset: int64(len(data)), msg: "unexpected end of JSON input"}
}

// measure checks data in one pass: whether it is one JSON value (accepting and refusing
// what json.Valid does; the caller learns why not from checkJSON, on that path only), its
// nodes and the elements of a root array (what measureJSON counts, for the limits), the
// members or elements of each object and array (for build), and the first object or array
// nested deeper than maxNesting (deepAt, or -1). The caller checks the limits, and deepAt,
// before build: the sizes stop growing once the body is past maxNodes or too deep, since
// build will not run then.
func (p *parser) measure(data []byte, maxNesting, maxNodes int) (m measurement, deepAt int, ok bool) {
	s := measurer{data: data, maxNesting: maxNesting, maxNodes: maxNodes, sizes: p.sizes[:0], ends: p.ends[:0], recording: true, deepAt: -1}
	s.m.elems = -1
	i, ok := s.value(jsontext.SkipSpace(data, 0), 0)
	ok = ok && jsontext.SkipSpace(data, i) == len(data)
	p.sizes, p.ends, p.data = s.sizes, s.ends, data
	return s.m, s.deepAt, ok
}

// measurer is measure's pass: the validation of jsontext.Valid, with the counts taken as it
// goes, so that a body is read once before build instead of three times (validated, measured,
// sized).
type measurer struct {
	data       []byte
	maxNesting int
	maxNodes   int
	m          measurement
	sizes      []int32 // members or elements of each object and array, in the order they open
	ends       []int32 // the index just past each of the first strings (keys too), in document order
	recording  bool    // sizes and ends are kept up to date: the body is within maxNodes and maxNesting
	deepAt     int
}

// node counts a value or an object key.
func (s *measurer) node(depth int) {
	s.m.nodes++
	if depth == 1 && s.m.elems >= 0 {
		s.m.elems++
	}
	if s.m.nodes > s.maxNodes {
		s.recording = false
	}
}

// value scans the value starting at data[i], depth containers deep.
func (s *measurer) value(i, depth int) (int, bool) {
	if i >= len(s.data) {
		return i, false
	}
	s.node(depth)
	switch s.data[i] {
	case '{':
		return s.container(i, depth, '}')
	case '[':
		if depth == 0 {
			s.m.elems = 0
		}
		return s.container(i, depth, ']')
	case '"':
		return s.str(i)
	default: // a number or a literal: nothing in it to count
		return jsontext.ScanValue(s.data, i, depth)
	}
}

// str scans the string opening at data[i] and notes where it ends, so that build does not
// look for the closing quote again: the first maxStringEnds strings of a body, which are all
// of a request's usual few records, so that a body of millions of strings costs no more room.
func (s *measurer) str(i int) (int, bool) {
	i, ok := jsontext.ScanString(s.data, i)
	if ok && s.recording && len(s.ends) < maxStringEnds {
		s.ends = append(s.ends, int32(i)) //nolint:gosec // bodies are bounded far below 2 GiB by max_request_body_size
	}
	return i, ok
}

// container scans an object (end '}') or an array (end ']') opening at data[i].
func (s *measurer) container(i, depth int, end byte) (int, bool) {
	if depth >= jsontext.MaxDepth {
		return i, false
	}
	if depth >= s.maxNesting && s.deepAt < 0 {
		s.deepAt, s.recording = i, false
	}
	idx := -1
	if s.recording {
		idx = len(s.sizes)
		s.sizes = append(s.sizes, 0)
	}
	data := s.data
	i = jsontext.SkipSpace(data, i+1)
	if i < len(data) && data[i] == end {
		return i + 1, true
	}
	for {
		var ok bool
		if end == '}' {
			if i >= len(data) || data[i] != '"' {
				return i, false
			}
			s.node(depth + 1)
			if i, ok = s.str(i); !ok {
				return i, false
			}
			i = jsontext.SkipSpace(data, i)
			if i >= len(data) || data[i] != ':' {
				return i, false
			}
			i = jsontext.SkipSpace(data, i+1)
		}
		if i, ok = s.value(i, depth+1); !ok {
			return i, false
		}
		if s.recording {
			s.sizes[idx]++
		}
		i = jsontext.SkipSpace(data, i)
		if i >= len(data) {
			return i, false
		}
		switch data[i] {
		case ',':
			i = jsontext.SkipSpace(data, i+1)
		case end:
			return i + 1, true
		default:
			return i, false
		}
	}
}

// build splits the body measure took into values: a tree of slices into it, each object's
// members and each array's elements one exactly sized allocation.
func (p *parser) build() value {
	p.pos, p.next, p.nextEnd = 0, 0, 0
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

// parser splits a body measure accepted. measure counts the members or elements of every
// object and array, so that each gets one exactly sized allocation and nothing is copied: a
// large object costs its size once, not the several times a growing scratch stack would. The
// counts are reused through parserPool.
type parser struct {
	data  []byte
	pos   int
	sizes []int32 // members or elements of each object and array, in document order
	next  int     // the index in sizes of the next object or array
	// ends is where the body's first strings end (measure saw them), nextEnd the next
	// string's index in it; strings past them are looked through again.
	ends    []int32
	nextEnd int
	// slab holds the members of the objects of the current parse, each object a slice of it
	// with its own exact capacity. Kept across parses of a pooled parser: a tree lives only
	// until its decoder has copied out what it keeps, before the next parse or putParser.
	slab []member
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

func getParser() *parser { return parserPool.Get().(*parser) }

func putParser(p *parser) {
	// A body with many objects would otherwise pin its counts for good.
	if cap(p.sizes) > 1<<14 || cap(p.slab) > maxPooledMembers {
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

// maxStringEnds is how many string ends measure keeps for build (4 KiB).
const maxStringEnds = 1 << 10

// skipString moves past a string starting at the opening quote: to where measure saw it end
// when it kept that (strings come in the same order to both), else by looking for the quote.
func (p *parser) skipString() {
	if p.nextEnd < len(p.ends) {
		p.pos = int(p.ends[p.nextEnd])
		p.nextEnd++
		return
	}
	p.pos = jsontext.SkipString(p.data, p.pos)
}

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
