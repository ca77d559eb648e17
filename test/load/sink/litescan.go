// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"

	"github.com/google/uuid"
)

// The lite sink's fast path: a body laid out exactly as the exporter writes it
// (translator/langsmith multipart.go and runjson.go) is checked in one pass over its bytes,
// without copying a string or building a map. It only ever accepts: at the first byte it does
// not expect it gives up, and the request goes through walkParts, readMain and checkPost from
// the start, so every refusal (and every odd but valid body) gets the answer it always had.
// Each shortcut below is taken only where it provably agrees with that general path.

// scanLite checks an exporter-shaped body and appends its posts and patched ids; false when
// the body is not exporter-shaped or anything in it would be refused (posts and patches are
// then to be discarded).
func scanLite(body []byte, boundary string, posts []litePost, patches []uuid.UUID) ([]litePost, []uuid.UUID, bool) {
	// walkParts takes the first delimiter anywhere; here it must open the body.
	dl := 2 + len(boundary)
	if len(body) < dl || body[0] != '-' || body[1] != '-' || string(body[2:dl]) != boundary {
		return posts, patches, false
	}
	rest := body[dl:]
	for {
		if len(rest) >= 2 && rest[0] == '-' && rest[1] == '-' {
			return posts, patches, true // closing delimiter
		}
		if len(rest) < 2 || rest[0] != '\r' || rest[1] != '\n' {
			return posts, patches, false
		}
		name, data, next, ok := scanPart(rest[2:], boundary)
		if !ok {
			return posts, patches, false
		}
		rest = next
		if len(data) < 2 || data[0] != '{' && data[0] != '[' && data[0] != '"' {
			return posts, patches, false
		}
		dot := bytes.IndexByte(name, '.')
		if dot < 0 || bytes.IndexByte(name[dot+1:], '.') >= 0 {
			continue // a payload part (post.<id>.inputs …), or no run part at all: JSON is enough
		}
		id, ok := canonicalUUID(name[dot+1:])
		if !ok {
			return posts, patches, false
		}
		switch string(name[:dot]) {
		case "patch":
			patches = append(patches, id)
		case "post":
			p, ok := scanPost(id, name[dot+1:], data)
			if !ok {
				return posts, patches, false
			}
			posts = append(posts, p)
		}
	}
}

const (
	partNameHeader = "Content-Disposition: form-data; name=\""
	partTypeHeader = "\"\r\nContent-Type: application/json; length="
)

// scanPart reads one part after its delimiter line, framed as the exporter frames its JSON
// parts, and returns its form name, its data and what follows its closing delimiter. This
// agrees with walkParts and partHeader: the name holds no quote and no CR, so the first blank
// line is the one after the length, and the two header lines give that name and that length
// (at most 9 digits, all of the line); the data holds no CR, so the first "\r\n--boundary" is
// the one right behind it, and the part's length is its size.
func scanPart(b []byte, boundary string) (name, data, rest []byte, ok bool) {
	if !bytes.HasPrefix(b, []byte(partNameHeader)) {
		return nil, nil, nil, false
	}
	b = b[len(partNameHeader):]
	q := bytes.IndexByte(b, '"')
	if q <= 0 || bytes.IndexByte(b[:q], '\r') >= 0 {
		return nil, nil, nil, false
	}
	name = b[:q]
	b = b[q:]
	if !bytes.HasPrefix(b, []byte(partTypeHeader)) {
		return nil, nil, nil, false
	}
	b = b[len(partTypeHeader):]
	n, digits := 0, 0
	for digits < len(b) && digits < 9 && '0' <= b[digits] && b[digits] <= '9' {
		n = n*10 + int(b[digits]-'0')
		digits++
	}
	b = b[digits:]
	if digits == 0 || len(b) < 4+n || string(b[:4]) != "\r\n\r\n" {
		return nil, nil, nil, false
	}
	data, b = b[4:4+n], b[4+n:]
	if len(b) < 4+len(boundary) || string(b[:4]) != "\r\n--" || string(b[4:4+len(boundary)]) != boundary ||
		bytes.IndexByte(data, '\r') >= 0 {
		return nil, nil, nil, false
	}
	return name, data, b[4+len(boundary):], true
}

// scanPost reads a post's main part as runjson.go writes it, {"id":…,"trace_id":…
// [,"parent_run_id":…],"dotted_order":…,"name":…,"run_type":…, and applies checkPost's rules
// to it. readMain finds each key's first occurrence anywhere in the part; here they are the
// first: everything before each key is known keys and values without quotes. A part without a
// parent_run_id in its place is searched for one further on, where readMain would find it
// (such a part is left to the general path).
func scanPost(id uuid.UUID, idText, data []byte) (litePost, bool) {
	p := litePost{id: id}
	if data[len(data)-1] != '}' {
		return p, false
	}
	b, ok := cutPrefix(data, `{"id":"`)
	if !ok || len(b) < 36 || !bytes.Equal(b[:36], idText) {
		return p, false
	}
	if b, ok = cutPrefix(b[36:], `","trace_id":"`); !ok || len(b) < 36 {
		return p, false
	}
	if p.trace, ok = canonicalUUID(b[:36]); !ok {
		return p, false
	}
	traceText := b[:36]
	b = b[36:]
	var parentText []byte
	if c, found := cutPrefix(b, `","parent_run_id":"`); found {
		if len(c) < 36 {
			return p, false
		}
		if p.parent, ok = canonicalUUID(c[:36]); !ok {
			return p, false
		}
		parentText, p.hasParent, b = c[:36], true, c[36:]
	}
	var dotted, name, runType []byte
	if dotted, b, ok = stringAfter(b, `","dotted_order":"`); !ok {
		return p, false
	}
	if name, b, ok = stringAfter(b, `","name":"`); !ok || len(name) == 0 {
		return p, false
	}
	if runType, b, ok = stringAfter(b, `","run_type":"`); !ok || len(runType) == 0 {
		return p, false
	}
	// Any parent_run_id at all sends the part the general way, which looks only for the key
	// with its quotes (this one skips from one rare 'p' to the next, not from quote to quote).
	if !p.hasParent && bytes.Contains(b, []byte(`parent_run_id`)) {
		return p, false
	}
	return p, checkDotted(dotted, idText, traceText, parentText)
}

// checkDotted applies checkPost's dotted_order rules: segments (between dots, as strings.Split
// cuts them) of a 22-character stamp ending in Z and a 36-character id, from the trace to the run (through the parent, when there is
// one), none earlier than the one before; a root has one segment and is its own trace.
func checkDotted(dotted, id, trace, parent []byte) bool {
	const segLen = 22 + 36
	if (len(dotted)+1)%(segLen+1) != 0 {
		return false
	}
	segs := (len(dotted) + 1) / (segLen + 1)
	for i := range segs {
		seg := dotted[i*(segLen+1):][:segLen]
		if seg[21] != 'Z' || bytes.IndexByte(seg, '.') >= 0 || i+1 < segs && dotted[i*(segLen+1)+segLen] != '.' {
			return false
		}
		if i > 0 && string(seg[:22]) < string(dotted[(i-1)*(segLen+1):][:22]) {
			return false
		}
	}
	last := dotted[len(dotted)-36:]
	if !bytes.Equal(last, id) || !bytes.Equal(dotted[22:segLen], trace) {
		return false
	}
	if parent == nil {
		return segs == 1 && bytes.Equal(id, trace)
	}
	return segs >= 2 && bytes.Equal(dotted[len(dotted)-segLen-1-36:len(dotted)-segLen-1], parent)
}

func cutPrefix(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return b, false
	}
	return b[len(prefix):], true
}

// stringAfter reads the value of a string member that must come next (key holds the closing
// quote of the value before it): up to the next quote, as readMain's jsonStr does.
func stringAfter(b []byte, key string) (value, rest []byte, ok bool) {
	b, ok = cutPrefix(b, key)
	if !ok {
		return nil, nil, false
	}
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		return nil, nil, false
	}
	return b[:q], b[q:], true
}

// canonicalUUID parses the lower-case hyphenated form, the only one whose uuid.String is the
// same text; uuid.Parse takes other spellings, which are left to the general path. Unrolled:
// three of these a run were a tenth of the sink's instructions as a loop.
func canonicalUUID(b []byte) (u uuid.UUID, ok bool) {
	if len(b) != 36 {
		return u, false
	}
	a := (*[36]byte)(b)
	if a[8] != '-' || a[13] != '-' || a[18] != '-' || a[23] != '-' {
		return u, false
	}
	var hi, lo, bad byte
	hi, lo = hexValue[a[0]], hexValue[a[1]]
	bad |= hi | lo
	u[0] = hi<<4 | lo
	hi, lo = hexValue[a[2]], hexValue[a[3]]
	bad |= hi | lo
	u[1] = hi<<4 | lo
	hi, lo = hexValue[a[4]], hexValue[a[5]]
	bad |= hi | lo
	u[2] = hi<<4 | lo
	hi, lo = hexValue[a[6]], hexValue[a[7]]
	bad |= hi | lo
	u[3] = hi<<4 | lo
	hi, lo = hexValue[a[9]], hexValue[a[10]]
	bad |= hi | lo
	u[4] = hi<<4 | lo
	hi, lo = hexValue[a[11]], hexValue[a[12]]
	bad |= hi | lo
	u[5] = hi<<4 | lo
	hi, lo = hexValue[a[14]], hexValue[a[15]]
	bad |= hi | lo
	u[6] = hi<<4 | lo
	hi, lo = hexValue[a[16]], hexValue[a[17]]
	bad |= hi | lo
	u[7] = hi<<4 | lo
	hi, lo = hexValue[a[19]], hexValue[a[20]]
	bad |= hi | lo
	u[8] = hi<<4 | lo
	hi, lo = hexValue[a[21]], hexValue[a[22]]
	bad |= hi | lo
	u[9] = hi<<4 | lo
	hi, lo = hexValue[a[24]], hexValue[a[25]]
	bad |= hi | lo
	u[10] = hi<<4 | lo
	hi, lo = hexValue[a[26]], hexValue[a[27]]
	bad |= hi | lo
	u[11] = hi<<4 | lo
	hi, lo = hexValue[a[28]], hexValue[a[29]]
	bad |= hi | lo
	u[12] = hi<<4 | lo
	hi, lo = hexValue[a[30]], hexValue[a[31]]
	bad |= hi | lo
	u[13] = hi<<4 | lo
	hi, lo = hexValue[a[32]], hexValue[a[33]]
	bad |= hi | lo
	u[14] = hi<<4 | lo
	hi, lo = hexValue[a[34]], hexValue[a[35]]
	bad |= hi | lo
	u[15] = hi<<4 | lo
	return u, bad <= 0xf
}

// hexValue is each lower-case hex digit's value, and 0xff for every other byte.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
	}
	return t
}()
