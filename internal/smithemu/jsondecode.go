package smithemu

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeJSON is json.Unmarshal into an any, in one pass: encoding/json scans
// a document twice (checkValid, then decode) and goes through reflection, and
// decoding the run parts was half of the emulator's cost per run. It yields
// exactly the values json.Unmarshal does (map[string]any, []any, float64,
// string, bool, nil); whatever it does not handle itself (a malformed
// document, a number out of range, very deep nesting) is handed to
// json.Unmarshal, so results and error texts stay encoding/json's.
func decodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	v, ok := d.value(0)
	if ok {
		d.skipSpace()
		if d.pos == len(d.data) {
			return v, nil
		}
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// maxFastDepth bounds the recursion of the fast path; deeper documents go to
// encoding/json, which has its own limit and message.
const maxFastDepth = 500

type jsonDecoder struct {
	data []byte
	pos  int
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes one value after optional white space; ok is false when the
// fast path gives up (the caller then defers to encoding/json).
func (d *jsonDecoder) value(depth int) (any, bool) {
	d.skipSpace()
	if d.pos >= len(d.data) || depth > maxFastDepth {
		return nil, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, ok := d.string()
		return s, ok
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *jsonDecoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

func (d *jsonDecoder) object(depth int) (any, bool) {
	d.pos++ // '{'
	m := make(map[string]any)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, true
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		if done, ok := d.afterElement('}'); !ok {
			return nil, false
		} else if done {
			return m, true
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, bool) {
	d.pos++             // '['
	a := make([]any, 0) // encoding/json's empty array is non-nil
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return a, true
	}
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if done, ok := d.afterElement(']'); !ok {
			return nil, false
		} else if done {
			return a, true
		}
	}
}

// afterElement reads what follows an object member or array element: a comma (more to come) or
// the closing byte (done). Anything else, or the end of input, is malformed.
func (d *jsonDecoder) afterElement(closing byte) (done, ok bool) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return false, false
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		return false, true
	case closing:
		d.pos++
		return true, true
	default:
		return false, false
	}
}

// jsonPlainByte marks the bytes a string literal holds as they are: printable
// ASCII other than '"' and '\\'.
var jsonPlainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// string decodes a string literal at d.pos. Plain ASCII strings are copied
// as they are; one with escapes or other bytes is unquoted by encoding/json
// itself, so escape, surrogate and invalid-UTF-8 handling stay its own.
func (d *jsonDecoder) string() (string, bool) {
	start := d.pos
	i := skipStringBytes(d.data, start+1, true)
	for i < len(d.data) && jsonPlainByte[d.data[i]] {
		i++
	}
	if i < len(d.data) && d.data[i] == '"' {
		d.pos = i + 1
		return string(d.data[start+1 : i]), true
	}
	plain := true
	for ; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			if plain {
				return string(d.data[start+1 : i]), true
			}
			var s string
			if err := json.Unmarshal(d.data[start:i+1], &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			i++ // the escaped byte cannot end the literal
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return "", false
}

// number decodes a number literal of the JSON grammar as encoding/json does:
// strconv.ParseFloat of the literal.
func (d *jsonDecoder) number() (any, bool) {
	start := d.pos
	i := d.pos
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case i < len(d.data) && '1' <= d.data[i] && d.data[i] <= '9':
		for i < len(d.data) && '0' <= d.data[i] && d.data[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if i >= len(d.data) || d.data[i] < '0' || d.data[i] > '9' {
			return nil, false
		}
		for i < len(d.data) && '0' <= d.data[i] && d.data[i] <= '9' {
			i++
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if i >= len(d.data) || d.data[i] < '0' || d.data[i] > '9' {
			return nil, false
		}
		for i < len(d.data) && '0' <= d.data[i] && d.data[i] <= '9' {
			i++
		}
	}
	f, err := strconv.ParseFloat(string(d.data[start:i]), 64)
	if err != nil {
		return nil, false
	}
	d.pos = i
	return f, true
}
