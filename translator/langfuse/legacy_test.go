// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The decoder as it was before measure fused the limit and size passes and the parser and
// unquote skipped runs many bytes at a time: encoding/json's Valid, measureJSON, a separate
// container-sizing pass and a byte-at-a-time parse. The differential fuzz tests
// (decoder_diff_test.go) hold the decoders to the same answers as this reference, valid or
// not. Only the scanning is kept here; the field checks (decodeRecord, the session decoder)
// are shared, and unquote is compared with legacyUnquote and encoding/json on its own.

func legacyDecodeRecords(body []byte, format Format, maxRecords int, opts ...DecodeOption) ([]Record, error) {
	cfg := newDecodeConfig(maxRecords, opts)
	var ps problems
	if format == FormatNDJSON {
		return legacyDecodeNDJSON(body, maxRecords, &cfg, &ps)
	}
	ok, serr := legacyCheckJSON(body)
	if serr != nil {
		return nil, jsonInvalid(serr)
	}
	if !ok {
		return nil, missingBody()
	}
	m := measureJSON(body)
	if maxRecords > 0 && m.elems > maxRecords {
		return nil, tooManyRecords(maxRecords, m.elems)
	}
	if m.nodes > cfg.maxNodes {
		return nil, tooManyNodes(cfg.maxNodes, m.nodes)
	}
	v, serr := legacyParse(body, cfg.maxNesting)
	if serr != nil {
		return nil, jsonInvalid(serr)
	}
	switch v.kind {
	case kindObject:
		rec := decodeRecord(&ps, &bodyPath, &v)
		if err := ps.err(); err != nil {
			return nil, err
		}
		return []Record{rec}, nil
	case kindArray:
		recs := make([]Record, len(v.elems))
		for i := range v.elems {
			e := &v.elems[i]
			if e.kind != kindObject {
				ps.addValue(bodyPath.elem(i), typeModelAttrs, msgModelAttrs, e, nil)
				continue
			}
			recs[i] = decodeRecord(&ps, bodyPath.elem(i), e)
		}
		if err := ps.err(); err != nil {
			return nil, err
		}
		return recs, nil
	default:
		ps.addValue(&bodyPath, typeModelAttrs, msgModelAttrs, &v, nil)
		return nil, ps.err()
	}
}

func legacyDecodeNDJSON(body []byte, maxRecords int, cfg *decodeConfig, ps *problems) ([]Record, error) {
	n := 0
	for line := range bytes.Lines(body) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	if n == 0 {
		return nil, missingBody()
	}
	if maxRecords > 0 && n > maxRecords {
		return nil, tooManyRecords(maxRecords, n)
	}
	if m := measureJSON(body); m.nodes > cfg.maxNodes {
		return nil, tooManyNodes(cfg.maxNodes, m.nodes)
	}
	recs := make([]Record, 0, n)
	lineNo := -1
	for line := range bytes.Lines(body) {
		lineNo++
		ok, serr := legacyCheckJSON(line)
		if !ok && serr == nil {
			continue // blank line
		}
		var v value
		if serr == nil {
			v, serr = legacyParse(line, cfg.maxNesting)
		}
		if serr != nil {
			ps.add(bodyPath.elem(lineNo), typeJSONInvalid, msgJSONInvalid, map[string]any{},
				map[string]any{"error": fmt.Sprintf("%s (offset %d in the line)", serr.msg, serr.offset)})
			continue
		}
		if v.kind != kindObject {
			ps.addValue(bodyPath.elem(lineNo), typeModelAttrs, msgModelAttrs, &v, nil)
			continue
		}
		recs = append(recs, decodeRecord(ps, bodyPath.elem(lineNo), &v))
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return recs, nil
}

func legacyDecodeSession(body []byte, maxSpans int, opts ...DecodeOption) (*Session, error) {
	cfg := newDecodeConfig(maxSpans, opts)
	ok, serr := legacyCheckJSON(body)
	if serr != nil {
		return nil, jsonInvalid(serr)
	}
	if !ok {
		return nil, missingBody()
	}
	if m := measureJSON(body); m.nodes > cfg.maxNodes {
		return nil, tooManyNodes(cfg.maxNodes, m.nodes)
	}
	v, serr := legacyParse(body, cfg.maxNesting)
	if serr != nil {
		return nil, jsonInvalid(serr)
	}
	var ps problems
	if v.kind != kindObject {
		ps.addValue(&bodyPath, typeModelAttrs, msgModelAttrs, &v, nil)
		return nil, ps.err()
	}
	if n := countNodes(&v); maxSpans > 0 && n > maxSpans {
		return nil, tooManyRecords(maxSpans, n)
	}
	d := sessionDecoder{ps: &ps, maxDepth: cfg.maxSessionDepth}
	s := d.session(&v)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// legacyCheckJSON is checkJSON with encoding/json's Valid.
func legacyCheckJSON(data []byte) (bool, *syntaxError) {
	if len(bytes.TrimSpace(data)) == 0 {
		return false, nil
	}
	if json.Valid(data) {
		return true, nil
	}
	return checkJSON(data) // the error path is unchanged
}

type legacyParser struct {
	data  []byte
	pos   int
	sizes []int32
	next  int
}

func legacyParse(data []byte, maxNesting int) (value, *syntaxError) {
	sizes, _, deepAt := legacySizeContainers(data, maxNesting, nil, nil)
	if deepAt >= 0 {
		return value{}, &syntaxError{offset: int64(deepAt), msg: "exceeded max depth of " + strconv.Itoa(maxNesting)}
	}
	p := legacyParser{data: data, sizes: sizes}
	return p.value(), nil
}

func legacySizeContainers(data []byte, maxNesting int, sizes, stack []int32) (_, _ []int32, deepAt int) {
	first := func() {
		if n := len(stack); n > 0 && sizes[stack[n-1]] == 0 {
			sizes[stack[n-1]] = 1
		}
	}
	for i := 0; i < len(data); {
		switch data[i] {
		case '{', '[':
			if len(stack) >= maxNesting {
				return sizes, stack, i
			}
			first()
			stack = append(stack, int32(len(sizes)))
			sizes = append(sizes, 0)
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			i++
		case ',':
			sizes[stack[len(stack)-1]]++
			i++
		case ' ', '\t', '\n', '\r', ':':
			i++
		case '"':
			first()
			i = skipStringAt(data, i)
		default:
			first()
			i++
			for i < len(data) && !isDelimiter(data[i]) {
				i++
			}
		}
	}
	return sizes, stack, -1
}

func (p *legacyParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *legacyParser) value() value {
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

func (p *legacyParser) skipString() {
	p.pos++
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case '\\':
			p.pos += 2
		case '"':
			p.pos++
			return
		default:
			p.pos++
		}
	}
}

func (p *legacyParser) object() value {
	start := p.pos
	p.pos++ // '{'
	var members []member
	if n := p.sizes[p.next]; n > 0 {
		members = make([]member, 0, n)
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
		members[len(members)-1].val = p.value()
	}
	return value{kind: kindObject, raw: p.data[start:p.pos], members: members}
}

func (p *legacyParser) array() value {
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

func legacyUnquote(inner []byte) string {
	var b strings.Builder
	b.Grow(len(inner))
	for i := 0; i < len(inner); {
		j := i
		for j < len(inner) && inner[j] != '\\' && inner[j] < utf8.RuneSelf {
			j++
		}
		if j > i {
			b.Write(inner[i:j])
			i = j
			continue
		}
		if inner[i] == '\\' {
			i = unescape(&b, inner, i)
			continue
		}
		r, size := utf8.DecodeRune(inner[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(inner[i : i+size])
		}
		i += size
	}
	return b.String()
}
