// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"

import (
	"bytes"
	"fmt"
	"math"
	"net/http"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Level is a record's level as the original API spells it.
type Level string

// The levels a record may carry.
const (
	LevelDebug Level = "DEBUG"
	LevelInfo  Level = "INFO"
	LevelWarn  Level = "WARN"
	LevelError Level = "ERROR"
)

// Number is a JSON number kept as sent, so that metadata shows "1.50" and not "1.5".
type Number string

// RawJSON is a JSON object or array as compact text.
type RawJSON string

// Attribute is one entry of a record's `extra` or of a session's `metadata` or `attributes`.
type Attribute struct {
	Key string
	// Value is a string, Number, bool or RawJSON; JSON nulls are dropped when decoding.
	Value any
}

const (
	defaultTraceName = "trace"
	defaultSpanName  = "span"
)

// Record is one validated LangfuseRecord. Strings the client left out (or sent as null or "")
// are empty; the zero TraceID and SpanID mean "not given".
type Record struct {
	UserID    string
	SessionID string
	TraceID   pcommon.TraceID
	TraceName string // "trace" unless given
	SpanID    pcommon.SpanID
	SpanName  string // "span" unless given

	StartTime pcommon.Timestamp
	HasStart  bool
	EndTime   pcommon.Timestamp
	HasEnd    bool

	Input         string
	Output        string
	Level         Level // LevelInfo unless given
	Error         bool
	StatusMessage string
	Extra         []Attribute // sorted by key
}

// IsTraceLevel reports whether the record describes the trace rather than one of its spans:
// it names no span.
func (r *Record) IsTraceLevel() bool { return r.SpanID.IsEmpty() }

// Format is how a records body is framed.
type Format int

const (
	// FormatJSON is one JSON value: a record object or an array of them.
	FormatJSON Format = iota
	// FormatNDJSON is one record object per line; blank lines are skipped.
	FormatNDJSON
)

// DecodeRecords validates a body of LangfuseRecords and returns them, or a *ValidationError
// listing the problems: a body is taken whole or not at all. maxRecords ≤ 0 means no limit.
// An empty array is valid and yields no records. The body's size in JSON nodes and nesting
// are bounded too (see limits.go and the options); the limits are checked before anything
// is decoded.
func DecodeRecords(body []byte, format Format, maxRecords int, opts ...DecodeOption) ([]Record, error) {
	cfg := newDecodeConfig(maxRecords, opts)
	p := getParser()
	defer putParser(p)
	var ps problems
	if format == FormatNDJSON {
		return decodeNDJSON(body, maxRecords, &cfg, p, &ps)
	}
	if isBlank(body) {
		return nil, missingBody()
	}
	m, deepAt, ok := p.measure(body, cfg.maxNesting, cfg.maxNodes)
	if !ok {
		return nil, jsonInvalid(whyInvalid(body))
	}
	if maxRecords > 0 && m.elems > maxRecords {
		return nil, tooManyRecords(maxRecords, m.elems)
	}
	if m.nodes > cfg.maxNodes {
		return nil, tooManyNodes(cfg.maxNodes, m.nodes)
	}
	if deepAt >= 0 {
		return nil, jsonInvalid(tooDeep(deepAt, cfg.maxNesting))
	}
	v := p.build()
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

// decodeNDJSON locates problems by line: ["body", <0-based line>, field]. The node budget
// covers the whole body, the nesting limit each line.
func decodeNDJSON(body []byte, maxRecords int, cfg *decodeConfig, p *parser, ps *problems) ([]Record, error) {
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
		if isBlank(line) {
			continue
		}
		var v value
		// The node budget is the whole body's, checked above.
		_, deepAt, ok := p.measure(line, cfg.maxNesting, math.MaxInt)
		var serr *syntaxError
		switch {
		case !ok:
			serr = whyInvalid(line)
		case deepAt >= 0:
			serr = tooDeep(deepAt, cfg.maxNesting)
		default:
			v = p.build()
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

// bodyPath is the root of every loc.
var bodyPath = path{name: "body"}

// The fields of a LangfuseRecord, in the model's order, which is the order problems are
// reported in.
const (
	rUserID = iota
	rSessionID
	rTraceID
	rTraceName
	rSpanID
	rSpanName
	rStart
	rEnd
	rInput
	rOutput
	rLevel
	rError
	rStatusMessage
	rExtra
	rFieldCount
)

var recordSchema = newSchema(
	"user_id", "session_id", "trace_id", "trace_name", "span_id", "span_name",
	"start_time_unix_nano", "end_time_unix_nano", "input", "output", "level", "error",
	"status_message", "extra",
)

// decodeRecord checks one record object.
func decodeRecord(ps *problems, loc *path, v *value) Record {
	r := Record{TraceName: defaultTraceName, SpanName: defaultSpanName, Level: LevelInfo}
	var f [rFieldCount]*value
	recordSchema.pick(v, f[:])
	name := recordSchema.names
	if x := f[rUserID]; x != nil {
		r.UserID, _ = checkString(ps, loc, name[rUserID], x)
	}
	if x := f[rSessionID]; x != nil {
		r.SessionID, _ = checkString(ps, loc, name[rSessionID], x)
	}
	if x := f[rTraceID]; x != nil {
		r.TraceID = checkTraceID(ps, loc, name[rTraceID], x)
	}
	if x := f[rTraceName]; x != nil {
		if s, ok := checkString(ps, loc, name[rTraceName], x); ok {
			r.TraceName = s
		}
	}
	if x := f[rSpanID]; x != nil {
		r.SpanID, _ = checkSpanID(ps, loc, name[rSpanID], x)
	}
	if x := f[rSpanName]; x != nil {
		if s, ok := checkString(ps, loc, name[rSpanName], x); ok {
			r.SpanName = s
		}
	}
	if x := f[rStart]; x != nil {
		r.StartTime, r.HasStart = checkTimestamp(ps, loc, name[rStart], x)
	}
	if x := f[rEnd]; x != nil {
		r.EndTime, r.HasEnd = checkTimestamp(ps, loc, name[rEnd], x)
	}
	if x := f[rInput]; x != nil {
		r.Input, _ = checkString(ps, loc, name[rInput], x)
	}
	if x := f[rOutput]; x != nil {
		r.Output, _ = checkString(ps, loc, name[rOutput], x)
	}
	if x := f[rLevel]; x != nil {
		if l, ok := checkLevel(ps, loc, name[rLevel], x); ok {
			r.Level = l
		}
	}
	if x := f[rError]; x != nil {
		r.Error, _ = checkBool(ps, loc, name[rError], x)
	}
	if x := f[rStatusMessage]; x != nil {
		r.StatusMessage, _ = checkString(ps, loc, name[rStatusMessage], x)
	}
	if x := f[rExtra]; x != nil {
		r.Extra = checkObject(ps, loc, name[rExtra], x)
	}
	if r.HasStart && r.HasEnd {
		checkEndAfterStart(ps, loc, r.StartTime, r.EndTime)
	}
	return r
}

func missingBody() error {
	return &ValidationError{Status: http.StatusUnprocessableEntity, Details: []Detail{{
		Loc: []any{"body"}, Msg: msgMissing, Type: typeMissing, Input: nil,
	}}}
}

// jsonInvalid answers a body that is not JSON the way FastAPI does: loc ends with the byte
// offset, input is {}, and ctx.error says what the parser expected.
func jsonInvalid(serr *syntaxError) error {
	return &ValidationError{Status: http.StatusUnprocessableEntity, Details: []Detail{{
		Loc: []any{"body", serr.offset}, Msg: msgJSONInvalid, Type: typeJSONInvalid, Input: map[string]any{},
		Ctx: map[string]any{"error": serr.msg},
	}}}
}
