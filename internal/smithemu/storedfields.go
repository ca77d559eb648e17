package smithemu

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"
)

// storedFields is a run object (an op's fields, or a run's merged view) as the store keeps it:
// its JSON text, so that a stored run is a few objects with no pointers inside for the garbage
// collector to follow rather than a map of boxed values, which it marked again in every cycle
// of a long load. fields decodes the text (decodeRunJSON) into the values the map held. An
// object whose text would not decode into the same values (a string that is not valid UTF-8,
// a float that is not finite: no decoded JSON holds one) is kept as the map itself.
type storedFields struct {
	text []byte
	m    map[string]any
}

// storeFields keeps m. The map is not used afterwards (or kept as it is: the store never writes
// a map it holds). The text is written into *scratch, kept for the next call, and copied out in
// one allocation of its size.
func storeFields(scratch *[]byte, m map[string]any) storedFields {
	text, ok := appendJSONObject((*scratch)[:0], m)
	if !ok {
		return storedFields{m: cloneRaw(m).(map[string]any)}
	}
	*scratch = text
	return storedFields{text: bytes.Clone(text)}
}

// storeOp keeps an op's fields: as the texts it was read from when it has them and the ingest
// changed nothing since (opText), else as storeFields writes them.
func storeOp(scratch *[]byte, o *op) storedFields {
	if o.modified || len(o.mains)+len(o.parts) == 0 {
		return storeFields(scratch, o.fields)
	}
	*scratch = appendOpText((*scratch)[:0], o)
	return storedFields{text: bytes.Clone(*scratch)}
}

// appendOpText appends one JSON object that decodes into o.fields: the members of its main
// parts in arrival order, then its field parts as members. Decoding keeps the last of a repeated
// key, so a later main part wins over an earlier one and a field part over the same key inlined
// in a main part, as parseMultipart merges them.
func appendOpText(b []byte, o *op) []byte {
	b = append(b, '{')
	n := 0
	for _, m := range o.mains {
		m = trimJSONSpace(m)                    // an object: parseMultipart took no other
		inner := trimJSONSpace(m[1 : len(m)-1]) // its members
		if len(inner) == 0 {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, inner...)
		n++
	}
	for _, p := range o.parts {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, p.field...) // one of runFieldParts: nothing to escape
		b = append(b, '"', ':')
		b = append(b, trimJSONSpace(p.text)...)
		n++
	}
	return append(b, '}')
}

// trimJSONSpace trims the white space JSON allows around a value.
func trimJSONSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// present reports whether anything is stored (a run's post is absent until it arrives).
func (f storedFields) present() bool { return f.text != nil || f.m != nil }

// fields returns the stored object: decoded afresh from the text (the caller may keep or
// change it), or the kept map itself (which the caller must not change).
func (f storedFields) fields() map[string]any {
	if f.m != nil || f.text == nil {
		return f.m
	}
	v, err := decodeRunJSON(f.text)
	if err != nil {
		return nil // not reached: the text was written by appendJSONObject
	}
	m, _ := v.(map[string]any)
	return m
}

// cloneRaw copies the rawJSON values in v, which point into the request's body.
func cloneRaw(v any) any {
	switch t := v.(type) {
	case rawJSON:
		return rawJSON(bytes.Clone(t))
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = cloneRaw(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneRaw(e)
		}
		return out
	}
	return v
}

// appendJSONObject appends m as JSON text that decodeRunJSON reads back into the same values;
// ok is false for a value it cannot write so (see storedFields).
func appendJSONObject(b []byte, m map[string]any) ([]byte, bool) {
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		var ok bool
		if b, ok = appendJSONString(b, k); !ok {
			return nil, false
		}
		b = append(b, ':')
		if b, ok = appendJSONValue(b, v); !ok {
			return nil, false
		}
	}
	return append(b, '}'), true
}

func appendJSONValue(b []byte, v any) ([]byte, bool) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, t), true
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, false
		}
		// The shortest text that parses back to the same float64.
		return strconv.AppendFloat(b, t, 'g', -1, 64), true
	case string:
		return appendJSONString(b, t)
	case rawJSON:
		return append(b, t...), true
	case map[string]any:
		return appendJSONObject(b, t)
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSONValue(b, e); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	}
	return nil, false
}

// appendJSONString quotes s, escaping only what JSON requires ('"', '\\' and the control
// bytes); decoding gives s back as long as it is valid UTF-8.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return nil, false
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}
