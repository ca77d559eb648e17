// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package jsontext // import "github.com/tracebridge/tracebridge/translator/internal/jsontext"

// A walk that goes down level by level (EachElement over messages, EachMember over each, then
// over their parts, …) finds where each nested object or array ends by scanning it: text four
// levels down is read four times. An Index is one pass over the whole text that records where
// every object and array ends, so its walks jump over a container instead of scanning it, and
// each byte is read about twice (the index pass and the walk over its own parent) at any depth.
// (langsmith's chat-message rewrite walks this way.)

// Span is one object or array of the indexed text: [start, end) in its bytes.
type Span struct{ start, end int32 }

// maxIndexDepth bounds the nesting the index pass follows; deeper text is walked unindexed.
const maxIndexDepth = 32

// Index holds the spans of a valid JSON text's containers, in order of their start. The
// zero Index indexes nothing and its walks scan as EachMember and EachElement do.
type Index struct {
	base  []byte
	spans []Span
}

// NewIndex appends the spans of the containers of the valid JSON text b to spans (a caller's
// stack array holds the usual few dozen) and returns the index, or the zero index when b nests
// deeper than maxIndexDepth or is too large for int32 offsets.
func NewIndex(b []byte, spans []Span) Index {
	if len(b) > 1<<31-1 {
		return Index{}
	}
	var open [maxIndexDepth]int32
	stack := open[:0] // the spans of the containers still open
	for i := 0; i < len(b); {
		switch b[i] {
		case '"':
			i = skipString(b, i)
			continue
		case '{', '[':
			if len(stack) == maxIndexDepth {
				return Index{}
			}
			stack = append(stack, int32(len(spans)))
			spans = append(spans, Span{start: int32(i), end: int32(len(b))})
		case '}', ']':
			if n := len(stack); n > 0 {
				spans[stack[n-1]].end = int32(i + 1)
				stack = stack[:n-1]
			}
		}
		i++
	}
	return Index{base: b, spans: spans}
}

// ValidIndex is Valid and NewIndex in one pass over b: it reports whether b is exactly one JSON
// value (accepting what Valid accepts) and, when it is, returns its index with the spans
// appended to spans. Text nesting deeper than maxIndexDepth, or too large for int32 offsets, is
// checked by Valid and gets the zero index. It walks iteratively with its own stack: Valid's
// recursion would move the caller's stack array of spans to the heap.
func ValidIndex(b []byte, spans []Span) (Index, bool) {
	if len(b) > 1<<31-1 {
		return Index{}, Valid(b)
	}
	var open [maxIndexDepth]int32 // the spans of the containers still open
	var closer [maxIndexDepth]byte
	depth := 0
	i := skipSpace(b, 0)
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return Index{}, false
		}
		if c := b[i]; c == '{' || c == '[' {
			if depth == maxIndexDepth {
				return Index{}, Valid(b)
			}
			end := byte(']')
			if c == '{' {
				end = '}'
			}
			open[depth], closer[depth] = int32(len(spans)), end
			depth++
			spans = append(spans, Span{start: int32(i), end: int32(len(b))})
			i = skipSpace(b, i+1)
			if i >= len(b) || b[i] != end {
				if end == '}' {
					var ok bool
					if i, ok = scanKey(b, i); !ok {
						return Index{}, false
					}
				}
				continue
			}
		} else {
			j, ok := scanJSONValue(b, i, 0)
			if !ok {
				return Index{}, false
			}
			i = skipSpace(b, j)
		}
		// After a value (b[i] closes the container just opened when it was empty): close what
		// ends here, then go on to the next member or element.
		for {
			if depth == 0 {
				if i != len(b) {
					return Index{}, false
				}
				return Index{base: b, spans: spans}, true
			}
			if i >= len(b) {
				return Index{}, false
			}
			if b[i] == closer[depth-1] {
				depth--
				spans[open[depth]].end = int32(i + 1)
				i = skipSpace(b, i+1)
				continue
			}
			if b[i] != ',' {
				return Index{}, false
			}
			i = skipSpace(b, i+1)
			if closer[depth-1] == '}' {
				var ok bool
				if i, ok = scanKey(b, i); !ok {
					return Index{}, false
				}
			}
			break
		}
	}
}

// scanKey scans an object member's key and colon at b[i], and the space after them.
func scanKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, ok := scanJSONString(b, i)
	if !ok {
		return i, false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return skipSpace(b, i+1), true
}

// offset returns where b starts in the indexed text, or -1 when b is not a part of it.
func (x *Index) offset(b []byte) int {
	if x == nil || len(x.spans) == 0 || len(b) == 0 {
		return -1
	}
	off := cap(x.base) - cap(b) // b = base[off:…] shares base's array and so its end of capacity
	if off < 0 || off >= len(x.base) || &x.base[off] != &b[0] {
		return -1
	}
	return off
}

// end returns the end of the container starting at position abs of the indexed text, or -1.
func (x *Index) end(abs int) int {
	lo, hi := 0, len(x.spans)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(x.spans[m].start) < abs {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(x.spans) && int(x.spans[lo].start) == abs {
		return int(x.spans[lo].end)
	}
	return -1
}

// skip is skipValue for b, a part of the indexed text starting off bytes into it (off < 0:
// not indexed), jumping over containers.
func (x *Index) skip(b []byte, off, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	if off >= 0 && i < len(b) && (b[i] == '{' || b[i] == '[') {
		if e := x.end(off + i); e >= 0 && e-off <= len(b) {
			return e - off
		}
	}
	return skipValue(b, i)
}

// EachMember is EachMember over the index (a nil or zero Index, or obj not a part of the
// indexed text: EachMember itself).
func (x *Index) EachMember(obj []byte, fn func(rawKey, val []byte) bool) {
	off := x.offset(obj)
	if off < 0 {
		EachMember(obj, fn)
		return
	}
	eachMember(obj, func(b []byte, i int) int { return x.skip(b, off, i) }, fn)
}

// EachElement is EachElement over the index, as EachMember is.
func (x *Index) EachElement(arr []byte, fn func(val []byte) bool) {
	off := x.offset(arr)
	if off < 0 {
		EachElement(arr, fn)
		return
	}
	eachElement(arr, func(b []byte, i int) int { return x.skip(b, off, i) }, fn)
}

// Member returns the raw value of obj's member key (a plain key without escapes), or nil.
func (x *Index) Member(obj []byte, key string) []byte {
	var out []byte
	x.EachMember(obj, func(rawKey, val []byte) bool {
		if len(rawKey) == len(key)+2 && string(rawKey[1:len(rawKey)-1]) == key {
			out = val
			return false
		}
		return true
	})
	return out
}
