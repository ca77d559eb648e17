// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// Detail is one problem in a rejected body, shaped like an entry of FastAPI's 422 "detail"
// list (pydantic v2 wording and types), which is what clients of the original API parse.
type Detail struct {
	// Loc locates the problem: "body", then field names and array indexes.
	Loc []any `json:"loc"`
	// Msg is the human-readable message.
	Msg string `json:"msg"`
	// Type is pydantic's machine-readable error type, e.g. "string_type".
	Type string `json:"type"`
	// Input is the offending value as sent (null when the value is missing).
	Input any `json:"input"`
	// Ctx carries the type's parameters, e.g. {"ge": 0}.
	Ctx map[string]any `json:"ctx,omitempty"`
}

// ValidationError rejects a whole body: nothing in it may be used. It lists the problems
// found, at most MaxProblems of them; when there were more, a last entry of type
// "too_many_errors" says how many were left out.
type ValidationError struct {
	// Status is the HTTP status the problem calls for: 422, or 413 for a body over a limit.
	Status  int
	Details []Detail
	// Omitted is how many problems were found but not listed.
	Omitted int
}

func (e *ValidationError) Error() string {
	if len(e.Details) == 0 {
		return "invalid body"
	}
	d := e.Details[0]
	msg := fmt.Sprintf("invalid body at %s: %s", formatLoc(d.Loc), d.Msg)
	listed := len(e.Details)
	if e.Omitted > 0 {
		listed-- // the last entry only counts the others
	}
	if n := listed - 1 + e.Omitted; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

func formatLoc(loc []any) string {
	parts := make([]string, len(loc))
	for i, p := range loc {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

// Error types and messages, as pydantic v2 spells them.
const (
	typeMissing       = "missing"
	typeJSONInvalid   = "json_invalid"
	typeModelAttrs    = "model_attributes_type"
	typeString        = "string_type"
	typeInt           = "int_type"
	typeFloat         = "float_type"
	typeFiniteNumber  = "finite_number"
	typeBool          = "bool_type"
	typeDict          = "dict_type"
	typeList          = "list_type"
	typeEnum          = "enum"
	typeValueError    = "value_error"
	typeGreaterEqual  = "greater_than_equal"
	typeLessEqual     = "less_than_equal"
	typeTooLong       = "too_long"
	typeTooManyErrors = "too_many_errors"
	msgMissing        = "Field required"
	msgModelAttrs     = "Input should be a valid dictionary or object to extract fields from"
	msgString         = "Input should be a valid string"
	msgInt            = "Input should be a valid integer"
	msgFloat          = "Input should be a valid number"
	msgFiniteNumber   = "Input should be a finite number"
	msgBool           = "Input should be a valid boolean"
	msgDict           = "Input should be a valid dictionary"
	msgList           = "Input should be a valid list"
	msgJSONInvalid    = "JSON decode error"
	valueErrorPrefix  = "Value error, "
	levelExpectedList = "'DEBUG', 'INFO', 'WARN' or 'ERROR'"
)

// problems collects the Details of one body, up to MaxProblems of them: past that, a problem
// is only counted, so that neither its loc nor its input is built.
type problems struct {
	details []Detail
	omitted int
}

// add records a problem at loc.
func (p *problems) add(loc *path, typ, msg string, input any, ctx map[string]any) {
	if p.full() {
		return
	}
	p.details = append(p.details, Detail{Loc: loc.loc(), Msg: msg, Type: typ, Input: input, Ctx: ctx})
}

// addValue records a problem whose input is v, turned into Go data only if the problem is
// listed.
func (p *problems) addValue(loc *path, typ, msg string, v *value, ctx map[string]any) {
	if p.full() {
		return
	}
	p.details = append(p.details, Detail{Loc: loc.loc(), Msg: msg, Type: typ, Input: v.input(), Ctx: ctx})
}

// full counts a problem past MaxProblems and reports whether it was one.
func (p *problems) full() bool {
	if len(p.details) < MaxProblems {
		return false
	}
	p.omitted++
	return true
}

func (p *problems) valueError(loc *path, input any, reason string) {
	p.add(loc, typeValueError, valueErrorPrefix+reason, input, map[string]any{"error": reason})
}

// err is the 422 for the problems found, or nil.
func (p *problems) err() error {
	if len(p.details) == 0 {
		return nil
	}
	details := p.details
	if p.omitted > 0 {
		details = append(details, Detail{
			Loc: []any{"body"},
			Msg: fmt.Sprintf("%d more problems were found and are not listed; only the first %d are",
				p.omitted, MaxProblems),
			Type:  typeTooManyErrors,
			Input: nil,
			Ctx:   map[string]any{"max_errors": MaxProblems, "omitted": p.omitted},
		})
	}
	return &ValidationError{Status: http.StatusUnprocessableEntity, Details: details, Omitted: p.omitted}
}

// path is where a value sits in the body, as a chain up to "body". Building the loc slice
// only when a problem is found keeps a valid body free of that work, and a deep session tree
// free of copying ever longer prefixes.
type path struct {
	parent *path
	name   string // a field, or
	index  int    // an array index or NDJSON line, when name is ""
}

func (p *path) loc() []any {
	n := 0
	for q := p; q != nil; q = q.parent {
		n++
	}
	out := make([]any, n)
	for q := p; q != nil; q = q.parent {
		n--
		if q.name != "" {
			out[n] = q.name
		} else {
			out[n] = q.index
		}
	}
	return out
}

// field and elem step down from p.
func (p *path) field(name string) *path { return &path{parent: p, name: name} }

func (p *path) elem(i int) *path { return &path{parent: p, index: i} }

// at returns the path of the field under p.
func at(p *path, field string) *path { return p.field(field) }

// The field checkers below report a wrong type and return ok=false; null means "not given"
// (pydantic's Optional[...] = None) and returns ok=false without a problem.

func checkString(p *problems, loc *path, field string, v *value) (string, bool) {
	switch v.kind {
	case kindString:
		return v.str(), true
	case kindNull:
		return "", false
	default:
		p.addValue(at(loc, field), typeString, msgString, v, nil)
		return "", false
	}
}

// checkTimestamp accepts a JSON integer in [0, MaxInt64]: OTLP timestamps are unsigned, and
// pydantic's StrictInt rejects 1.0 and "1".
func checkTimestamp(p *problems, loc *path, field string, v *value) (pcommon.Timestamp, bool) {
	switch v.kind {
	case kindNull:
		return 0, false
	case kindNumber:
	default:
		p.addValue(at(loc, field), typeInt, msgInt, v, nil)
		return 0, false
	}
	if n, ok := plainTimestamp(v.raw); ok {
		return n, true
	}
	if !isIntegerLiteral(v.raw) {
		p.addValue(at(loc, field), typeInt, msgInt, v, nil)
		return 0, false
	}
	n, err := strconv.ParseInt(string(v.raw), 10, 64)
	switch {
	case v.raw[0] == '-' && (err != nil || n < 0):
		p.addValue(at(loc, field), typeGreaterEqual, "Input should be greater than or equal to 0", v, map[string]any{"ge": 0})
		return 0, false
	case err != nil:
		p.addValue(at(loc, field), typeLessEqual, "Input should be less than or equal to "+strconv.FormatInt(math.MaxInt64, 10),
			v, map[string]any{"le": int64(math.MaxInt64)})
		return 0, false
	}
	return pcommon.Timestamp(n), true //nolint:gosec // n ≥ 0 checked above
}

// plainTimestamp reads the usual timestamp, up to 19 digits and at most MaxInt64, without
// strconv's string and general parsing (a nanosecond timestamp today has 19 digits); a sign,
// a fraction, an exponent or a larger value is (0, false) and left to checkTimestamp's
// strconv path and its problems.
func plainTimestamp(raw []byte) (pcommon.Timestamp, bool) {
	if len(raw) == 0 || len(raw) > 19 {
		return 0, false
	}
	var n uint64 // 19 digits stay below 2^64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return pcommon.Timestamp(n), true
}

func isIntegerLiteral(raw []byte) bool {
	for _, c := range raw {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// checkNonNegativeFloat accepts any finite JSON number ≥ 0 (pydantic's Union[StrictFloat,
// StrictInt] plus the bound a duration needs).
func checkNonNegativeFloat(p *problems, loc *path, field string, v *value) (float64, bool) {
	switch v.kind {
	case kindNull:
		return 0, false
	case kindNumber:
	default:
		p.addValue(at(loc, field), typeFloat, msgFloat, v, nil)
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v.raw), 64)
	if err != nil || math.IsInf(f, 0) {
		p.addValue(at(loc, field), typeFiniteNumber, msgFiniteNumber, v, nil)
		return 0, false
	}
	if f < 0 {
		p.addValue(at(loc, field), typeGreaterEqual, "Input should be greater than or equal to 0", v, map[string]any{"ge": 0})
		return 0, false
	}
	return f, true
}

func checkBool(p *problems, loc *path, field string, v *value) (b, ok bool) {
	switch v.kind {
	case kindBool:
		return v.raw[0] == 't', true
	case kindNull:
		return false, false
	default:
		p.addValue(at(loc, field), typeBool, msgBool, v, nil)
		return false, false
	}
}

func checkLevel(p *problems, loc *path, field string, v *value) (Level, bool) {
	s, ok := checkString(p, loc, field, v)
	if !ok {
		return "", false
	}
	switch l := Level(s); l {
	case LevelDebug, LevelInfo, LevelWarn, LevelError:
		return l, true
	default:
		p.add(at(loc, field), typeEnum, "Input should be "+levelExpectedList, s, map[string]any{"expected": levelExpectedList})
		return "", false
	}
}

// checkTraceID accepts 32 hex digits or a UUID in either case and keeps the 16 bytes, so
// "1C56…" and "1c56…" and the UUID spelling all name one trace.
func checkTraceID(p *problems, loc *path, field string, v *value) pcommon.TraceID {
	if id, ok := plainTraceID(v); ok {
		return id
	}
	s, ok := checkString(p, loc, field, v)
	if !ok {
		return pcommon.TraceID{}
	}
	var id pcommon.TraceID
	hexDigits := s
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		hexDigits = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(hexDigits) != 32 || !decodeHex(id[:], hexDigits) {
		p.valueError(at(loc, field), s, "trace_id must be 32 hexadecimal characters or a UUID")
		return pcommon.TraceID{}
	}
	if id.IsEmpty() {
		p.valueError(at(loc, field), s, "trace_id must not be all zeros")
		return pcommon.TraceID{}
	}
	return id
}

func checkSpanID(p *problems, loc *path, field string, v *value) (pcommon.SpanID, bool) {
	if id, ok := plainSpanID(v); ok {
		return id, true
	}
	s, ok := checkString(p, loc, field, v)
	if !ok {
		return pcommon.SpanID{}, false
	}
	var id pcommon.SpanID
	if len(s) != 16 || !decodeHex(id[:], s) {
		p.valueError(at(loc, field), s, "span_id must be 16 hexadecimal characters")
		return pcommon.SpanID{}, false
	}
	if id.IsEmpty() {
		p.valueError(at(loc, field), s, "span_id must not be all zeros")
		return pcommon.SpanID{}, false
	}
	return id, true
}

// plainTraceID decodes a well-formed trace_id straight from the body: 32 hexadecimal digits
// or a UUID, no escapes, not all zeros. Anything else is (zero, false), and checkTraceID's
// string path decides, so its problems read as before; the usual ID costs no string.
func plainTraceID(v *value) (pcommon.TraceID, bool) {
	var id pcommon.TraceID
	if v.kind != kindString {
		return id, false
	}
	in := v.raw[1 : len(v.raw)-1]
	switch {
	case len(in) == 32:
		if !decodeHexBytes(id[:], in) {
			return id, false
		}
	case len(in) == 36 && in[8] == '-' && in[13] == '-' && in[18] == '-' && in[23] == '-':
		if !decodeHexBytes(id[0:4], in[0:8]) || !decodeHexBytes(id[4:6], in[9:13]) ||
			!decodeHexBytes(id[6:8], in[14:18]) || !decodeHexBytes(id[8:10], in[19:23]) ||
			!decodeHexBytes(id[10:16], in[24:36]) {
			return id, false
		}
	default:
		return id, false
	}
	return id, !id.IsEmpty()
}

// plainSpanID is plainTraceID for a span_id: 16 hexadecimal digits, not all zeros.
func plainSpanID(v *value) (pcommon.SpanID, bool) {
	var id pcommon.SpanID
	if v.kind != kindString || len(v.raw) != len(id)*2+2 || !decodeHexBytes(id[:], v.raw[1:len(v.raw)-1]) {
		return id, false
	}
	return id, !id.IsEmpty()
}

// decodeHexBytes fills dst from exactly 2·len(dst) hexadecimal digits (a backslash, as any
// other byte that is not a digit, fails it).
func decodeHexBytes(dst, src []byte) bool {
	n, err := hex.Decode(dst, src)
	return err == nil && n == len(dst)
}

func decodeHex(dst []byte, s string) bool {
	n, err := hex.Decode(dst, []byte(s))
	return err == nil && n == len(dst)
}

// checkObject accepts a JSON object (pydantic's Dict[str, Any]) and returns its entries sorted
// by key, the last of duplicate keys winning as in any JSON decoder, nulls dropped.
func checkObject(p *problems, loc *path, field string, v *value) []Attribute {
	switch v.kind {
	case kindObject:
	case kindNull:
		return nil
	default:
		p.addValue(at(loc, field), typeDict, msgDict, v, nil)
		return nil
	}
	attrs := make([]Attribute, 0, len(v.members))
	for i := range v.members {
		m := &v.members[i]
		attrs = append(attrs, Attribute{Key: m.name(), Value: attributeValue(&m.val)})
	}
	slices.SortStableFunc(attrs, func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) })
	out := attrs[:0]
	for i, a := range attrs {
		if i+1 < len(attrs) && attrs[i+1].Key == a.Key {
			continue // a later duplicate wins
		}
		if a.Value == nil {
			continue
		}
		out = append(out, a)
	}
	return out
}

func attributeValue(v *value) any {
	switch v.kind {
	case kindString:
		return v.str()
	case kindNumber:
		return Number(v.raw)
	case kindBool:
		return v.raw[0] == 't'
	case kindObject, kindArray:
		return RawJSON(v.compactJSON())
	default:
		return nil
	}
}

// checkStringList accepts a JSON array of strings (pydantic's List[StrictStr]).
func checkStringList(p *problems, loc *path, field string, v *value) ([]string, bool) {
	switch v.kind {
	case kindArray:
	case kindNull:
		return nil, false
	default:
		p.addValue(at(loc, field), typeList, msgList, v, nil)
		return nil, false
	}
	out := make([]string, 0, len(v.elems))
	ok := true
	for i := range v.elems {
		e := &v.elems[i]
		if e.kind != kindString {
			p.addValue(loc.field(field).elem(i), typeString, msgString, e, nil)
			ok = false
			continue
		}
		out = append(out, e.str())
	}
	return out, ok
}

// checkEndAfterStart is the one cross-field rule: a span cannot end before it starts. It is
// reported on end_time_unix_nano, the field a client has to fix.
func checkEndAfterStart(p *problems, loc *path, start, end pcommon.Timestamp) {
	if end >= start {
		return
	}
	p.valueError(at(loc, "end_time_unix_nano"), int64(end), //nolint:gosec // both are ≤ MaxInt64
		"end_time_unix_nano must be greater than or equal to start_time_unix_nano")
}

// tooManyRecords is the 413 answer to a body holding more records than the receiver takes.
func tooManyRecords(limit, actual int) error {
	return &ValidationError{Status: http.StatusRequestEntityTooLarge, Details: []Detail{{
		Loc:   []any{"body"},
		Msg:   fmt.Sprintf("List should have at most %d items after validation, not %d", limit, actual),
		Type:  typeTooLong,
		Input: nil,
		Ctx:   map[string]any{"field_type": "List", "max_length": limit, "actual_length": actual},
	}}}
}

// schema is the field list of one model. pick finds each field's value in an object: unknown
// fields are ignored, as the original's pydantic models do, and of duplicate keys the last one
// counts, as in any JSON decoder.
type schema struct {
	names []string
	index map[string]int
	// slots finds a name by its length and its first and last bytes (schemaSlot): a key
	// costs one slot and one string comparison instead of the map's hash of it (~100
	// instructions less a member). nil when two names share a slot; index answers then.
	slots *[schemaSlots]int8 // the name's index + 1; 0: no name there
}

// schemaSlots is the size of a schema's slot table; TestSchemasHaveSlots checks that every
// schema's names land in slots of their own.
const schemaSlots = 64

// schemaSlot is where a non-empty key goes in a slot table.
func schemaSlot(key string) int {
	n := len(key)
	return (n*5 + int(key[0])*2 + int(key[n-1])) & (schemaSlots - 1)
}

func newSchema(names ...string) schema {
	s := schema{names: names, index: make(map[string]int, len(names))}
	slots := new([schemaSlots]int8)
	for i, n := range names {
		s.index[n] = i
		slot := schemaSlot(n)
		if slots == nil || slots[slot] != 0 || i >= 127 { // int8 holds 127 names
			slots = nil
			continue
		}
		slots[slot] = int8(i + 1)
	}
	s.slots = slots
	return s
}

// lookup returns the index of the field named key.
func (s *schema) lookup(key string) (int, bool) {
	if s.slots == nil {
		i, ok := s.index[key]
		return i, ok
	}
	if key == "" {
		return 0, false
	}
	if j := int(s.slots[schemaSlot(key)]) - 1; j >= 0 && s.names[j] == key {
		return j, true
	}
	return 0, false
}

// pick sets out[i] to the value of the field names[i], or leaves it nil.
func (s *schema) pick(v *value, out []*value) {
	for i := range v.members {
		m := &v.members[i]
		var idx int
		var ok bool
		if bytes.IndexByte(m.key, '\\') < 0 {
			idx, ok = s.lookup(jsontext.BytesString(m.key)) // no copy: the key is only looked up
		} else {
			idx, ok = s.lookup(m.name())
		}
		if ok {
			out[idx] = &m.val
		}
	}
}
