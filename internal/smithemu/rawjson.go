package smithemu

import (
	"encoding/binary"
	"strconv"
)

// rawJSON is a run's inputs, outputs, extra, serialized or events value (an object or an array)
// kept as its JSON text, checked valid at ingest, instead of decoded into maps: no check of the
// ingest looks inside them, and decoding them was most of the cost of a run. The text is decoded
// when a query or the page asks for the run (decodeJSON, so into exactly the value ingest would
// have decoded), and where a patch's extra merges into the post's. It is never written. It
// points into the text it was read from (a request body, whose buffer is reused once the
// request is answered, or a stored run's text): storeFields copies it into the store.
type rawJSON []byte

// decode returns the value the text holds.
func (r rawJSON) decode() any {
	v, err := decodeJSON(r)
	if err != nil {
		return nil // not reached: the text was checked valid when it was kept
	}
	return v
}

// isObject reports whether r holds an object (else it holds an array).
func (r rawJSON) isObject() bool { return r[0] == '{' }

// rawField reports whether a run field's object or array value is kept as rawJSON.
func rawField(key string) bool {
	switch key {
	case "inputs", "outputs", "extra", "serialized", "events":
		return true
	}
	return false
}

// asObject returns v as an object: a decoded one as it is, a kept one decoded.
func asObject(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case rawJSON:
		if t.isObject() {
			m, ok := t.decode().(map[string]any)
			return m, ok
		}
	}
	return nil, false
}

// isJSONObject and isJSONArray tell a field's JSON type, decoded or kept.
func isJSONObject(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return true
	case rawJSON:
		return t.isObject()
	}
	return false
}

func isJSONArray(v any) bool {
	switch t := v.(type) {
	case []any:
		return true
	case rawJSON:
		return !t.isObject()
	}
	return false
}

// decodeRunJSON decodes a run object (a multipart main part, a /runs/batch element, a REST
// body) as decodeJSON does, except that the rawField members of the top-level object that hold
// an object or an array are kept as rawJSON. Anything its one pass does not take as it is (a
// top level that is not an object, a malformed document, an escape in a key, …) is decoded by
// decodeJSON instead, so every verdict and error text stays decodeJSON's.
func decodeRunJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '{' {
		if v, ok := d.runObject(); ok {
			d.skipSpace()
			if d.pos == len(d.data) {
				return v, nil
			}
		}
	}
	return decodeJSON(data)
}

// decodeFieldJSON decodes the part of a run field sent on its own (post.<id>.inputs, …) as
// decodeJSON does, keeping an object or an array of a rawField as rawJSON.
func decodeFieldJSON(field string, data []byte) (any, error) {
	if rawField(field) {
		d := jsonDecoder{data: data}
		d.skipSpace()
		if start := d.pos; start < len(d.data) && (d.data[start] == '{' || d.data[start] == '[') && d.skipValue(0) {
			end := d.pos
			d.skipSpace()
			if d.pos == len(d.data) {
				return rawJSON(data[start:end:end]), nil
			}
		}
	}
	return decodeJSON(data)
}

// runObject is object for the top level of a run: keys the store knows are the same strings
// for every run, and rawField members holding an object or an array are kept as rawJSON.
func (d *jsonDecoder) runObject() (map[string]any, bool) {
	d.pos++ // '{'
	m := make(map[string]any, 16)
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
		k, ok := d.runKey()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		var v any
		if start := d.pos; rawField(k) && start < len(d.data) && (d.data[start] == '{' || d.data[start] == '[') {
			if !d.skipValue(1) {
				return nil, false
			}
			v = rawJSON(d.data[start:d.pos:d.pos])
		} else if v, ok = d.value(1); !ok {
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

// runKey reads a key of a run object: a known one as the package's own string (no copy per
// run), any other plain one as string does.
func (d *jsonDecoder) runKey() (string, bool) {
	i := d.pos + 1
	for i < len(d.data) && jsonPlainByte[d.data[i]] {
		i++
	}
	if i < len(d.data) && d.data[i] == '"' {
		if k, ok := knownRunKey(d.data[d.pos+1 : i]); ok {
			d.pos = i + 1
			return k, true
		}
	}
	return d.string()
}

// knownRunKey returns the constant for the keys runs carry.
func knownRunKey(b []byte) (string, bool) {
	switch string(b) {
	case "id":
		return "id", true
	case "trace_id":
		return "trace_id", true
	case "parent_run_id":
		return "parent_run_id", true
	case "dotted_order":
		return "dotted_order", true
	case "name":
		return "name", true
	case "run_type":
		return "run_type", true
	case "start_time":
		return "start_time", true
	case "end_time":
		return "end_time", true
	case "session_name":
		return "session_name", true
	case "session_id":
		return "session_id", true
	case "inputs":
		return "inputs", true
	case "outputs":
		return "outputs", true
	case "extra":
		return "extra", true
	case "serialized":
		return "serialized", true
	case "events":
		return "events", true
	case "error":
		return "error", true
	case "tags":
		return "tags", true
	case "status":
		return "status", true
	case "reference_example_id":
		return "reference_example_id", true
	}
	return "", false
}

// skipValue moves past one value after optional white space, checking it as decodeJSON's fast
// path would decode it; false when that path would give up (the caller then decodes the whole
// document with decodeJSON, which gives encoding/json's verdict).
func (d *jsonDecoder) skipValue(depth int) bool {
	d.skipSpace()
	if d.pos >= len(d.data) || depth > maxFastDepth {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.skipContainer(depth, '}', true)
	case c == '[':
		return d.skipContainer(depth, ']', false)
	case c == '"':
		return d.skipString()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.skipNumber()
	}
	return false
}

// skipContainer moves past an object (members: keys, then values) or an array.
func (d *jsonDecoder) skipContainer(depth int, closing byte, members bool) bool {
	d.pos++ // '{' or '['
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == closing {
		d.pos++
		return true
	}
	for {
		if members {
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != '"' || !d.skipString() {
				return false
			}
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return false
			}
			d.pos++
		}
		if !d.skipValue(depth + 1) {
			return false
		}
		if done, ok := d.afterElement(closing); !ok {
			return false
		} else if done {
			return true
		}
	}
}

// jsonStringByte marks the bytes a string literal may hold as they are: all but '"', '\\' and
// the control bytes (bytes of invalid UTF-8 are taken too: encoding/json replaces them).
var jsonStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString moves past a string literal at d.pos that encoding/json would unquote: escapes
// are those of the JSON grammar (a \u with four hex digits; any surrogate, paired or not, is
// taken, as encoding/json replaces the lone ones).
func (d *jsonDecoder) skipString() bool {
	i := d.pos + 1
	for i < len(d.data) {
		i = skipStringBytes(d.data, i, false)
		for i < len(d.data) && jsonStringByte[d.data[i]] {
			i++
		}
		if i >= len(d.data) {
			return false
		}
		switch d.data[i] {
		case '"':
			d.pos = i + 1
			return true
		case '\\':
			if i+1 >= len(d.data) {
				return false
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d.data) || !isHex4(d.data[i+2:i+6]) {
					return false
				}
				i += 6
			default:
				return false
			}
		default: // a control byte
			return false
		}
	}
	return false
}

// skipStringBytes returns the first index from i of an 8-byte word of b that holds a byte that
// may end a string literal's run of plain bytes ('"', '\\', a control byte, and with high also
// any byte from 0x80), or of the last whole word: the caller's byte-by-byte loop then finds the
// exact position. Long message texts are most of what runs hold, so they are scanned a word at a
// time.
func skipStringBytes(b []byte, i int, high bool) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	var stopHigh uint64
	if high {
		stopHigh = highs
	}
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		quote := w ^ ('"' * ones)
		backslash := w ^ ('\\' * ones)
		// The classic tests for a zero byte and for a byte below 0x20: the lowest lane holding
		// '"', '\\' or a control byte gets its high bit set (a lane above it may too: the
		// caller's loop sorts that out); lanes at 0x80 and above are masked out by ^w.
		if (((quote-ones)&^quote|(backslash-ones)&^backslash|(w-0x20*ones))&^w|w&stopHigh)&highs != 0 {
			return i
		}
	}
	return i
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if uuidHexClass[c] == 0 { // the hex digits, either case
			return false
		}
	}
	return true
}

// skipNumber moves past a number literal that number would decode: the JSON grammar, and in
// range of a float64 (a literal of at most 15 digits and no exponent always is; any other is
// handed to strconv.ParseFloat, as number does).
func (d *jsonDecoder) skipNumber() bool {
	start, i := d.pos, d.pos
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
		return false
	}
	short := true
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if i >= len(d.data) || d.data[i] < '0' || d.data[i] > '9' {
			return false
		}
		for i < len(d.data) && '0' <= d.data[i] && d.data[i] <= '9' {
			i++
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		short = false
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if i >= len(d.data) || d.data[i] < '0' || d.data[i] > '9' {
			return false
		}
		for i < len(d.data) && '0' <= d.data[i] && d.data[i] <= '9' {
			i++
		}
	}
	if !short || i-start > 16 {
		if _, err := strconv.ParseFloat(string(d.data[start:i]), 64); err != nil {
			return false
		}
	}
	d.pos = i
	return true
}
