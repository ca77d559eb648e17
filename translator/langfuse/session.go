// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// Session is a validated SessionRecord: the root of a tree of spans that becomes one trace.
// TraceID and SpanID are an extension of the original schema, for callers that want to choose
// the IDs; the zero values mean "not given".
type Session struct {
	Name       string // the root span's name; "session" unless given
	TraceName  string
	SessionID  string
	UserID     string
	TraceID    pcommon.TraceID
	SpanID     pcommon.SpanID
	Tags       []string
	Metadata   []Attribute // sorted by key
	Attributes []Attribute // sorted by key

	StartTime pcommon.Timestamp
	HasStart  bool
	EndTime   pcommon.Timestamp
	HasEnd    bool

	Children []SessionSpan
}

// SessionSpan is one node below the root of a session tree.
type SessionSpan struct {
	Name          string // "span" unless given
	RecordType    string
	SpanID        pcommon.SpanID // extension; zero means "not given"
	StartTime     pcommon.Timestamp
	HasStart      bool
	EndTime       pcommon.Timestamp
	HasEnd        bool
	DurationMs    float64
	HasDuration   bool
	StatusCode    string
	StatusMessage string
	Attributes    []Attribute // sorted by key
	Children      []SessionSpan
}

const defaultSessionName = "session"

const (
	sName = iota
	sTraceName
	sSessionID
	sUserID
	sTags
	sMetadata
	sAttributes
	sStart
	sEnd
	sChildren
	sTraceID
	sSpanID
	sFieldCount
)

var sessionSchema = newSchema(
	"name", "trace_name", "session_id", "user_id", "tags", "metadata", "attributes",
	"start_time_unix_nano", "end_time_unix_nano", "children", "trace_id", "span_id",
)

const (
	nName = iota
	nRecordType
	nStart
	nEnd
	nDuration
	nStatusCode
	nStatusMessage
	nAttributes
	nChildren
	nSpanID
	nFieldCount
)

var sessionSpanSchema = newSchema(
	"name", "record_type", "start_time_unix_nano", "end_time_unix_nano", "duration_ms",
	"status_code", "status_message", "attributes", "children", "span_id",
)

// DecodeSession validates a SessionRecord body, or returns a *ValidationError listing the
// problems. maxSpans ≤ 0 means no limit; otherwise a tree with more nodes (the root included)
// is refused with 413, before any node is checked. The body's size in JSON nodes, its
// nesting and the tree's depth are bounded too (see limits.go and the options).
func DecodeSession(body []byte, maxSpans int, opts ...DecodeOption) (*Session, error) {
	cfg := newDecodeConfig(maxSpans, opts)
	p := getParser()
	defer putParser(p)
	if isBlank(body) {
		return nil, missingBody()
	}
	m, deepAt, ok := p.measure(body, cfg.maxNesting, cfg.maxNodes)
	if !ok {
		return nil, jsonInvalid(whyInvalid(body))
	}
	if m.nodes > cfg.maxNodes {
		return nil, tooManyNodes(cfg.maxNodes, m.nodes)
	}
	if deepAt >= 0 {
		return nil, jsonInvalid(tooDeep(deepAt, cfg.maxNesting))
	}
	v := p.build()
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

// countNodes counts the objects of a tree, following the last "children" member of each.
func countNodes(v *value) int {
	n := 1
	var children *value
	for i := range v.members {
		if v.members[i].is("children") {
			children = &v.members[i].val
		}
	}
	if children != nil && children.kind == kindArray {
		for i := range children.elems {
			if children.elems[i].kind == kindObject {
				n += countNodes(&children.elems[i])
			}
		}
	}
	return n
}

type sessionDecoder struct {
	ps *problems
	// maxDepth is the deepest level a node may be at, the root being level 1.
	maxDepth int
	// spanIDs holds the span IDs the body gives, to refuse a tree that names one span twice.
	spanIDs map[pcommon.SpanID]struct{}
}

func (d *sessionDecoder) session(v *value) *Session {
	loc := &bodyPath
	s := &Session{Name: defaultSessionName}
	var f [sFieldCount]*value
	sessionSchema.pick(v, f[:])
	name := sessionSchema.names
	if x := f[sName]; x != nil {
		if str, ok := checkString(d.ps, loc, name[sName], x); ok {
			s.Name = str
		}
	}
	if x := f[sTraceName]; x != nil {
		s.TraceName, _ = checkString(d.ps, loc, name[sTraceName], x)
	}
	if x := f[sSessionID]; x != nil {
		s.SessionID, _ = checkString(d.ps, loc, name[sSessionID], x)
	}
	if x := f[sUserID]; x != nil {
		s.UserID, _ = checkString(d.ps, loc, name[sUserID], x)
	}
	if x := f[sTags]; x != nil {
		s.Tags, _ = checkStringList(d.ps, loc, name[sTags], x)
	}
	if x := f[sMetadata]; x != nil {
		s.Metadata = checkObject(d.ps, loc, name[sMetadata], x)
	}
	if x := f[sAttributes]; x != nil {
		s.Attributes = checkObject(d.ps, loc, name[sAttributes], x)
	}
	if x := f[sStart]; x != nil {
		s.StartTime, s.HasStart = checkTimestamp(d.ps, loc, name[sStart], x)
	}
	if x := f[sEnd]; x != nil {
		s.EndTime, s.HasEnd = checkTimestamp(d.ps, loc, name[sEnd], x)
	}
	if s.HasStart && s.HasEnd {
		checkEndAfterStart(d.ps, loc, s.StartTime, s.EndTime)
	}
	if x := f[sTraceID]; x != nil {
		s.TraceID = checkTraceID(d.ps, loc, name[sTraceID], x)
	}
	if x := f[sSpanID]; x != nil {
		s.SpanID = d.spanID(loc, name[sSpanID], x)
	}
	if x := f[sChildren]; x != nil {
		s.Children = d.children(loc, name[sChildren], x, 2)
	}
	return s
}

func (d *sessionDecoder) spanID(loc *path, field string, v *value) pcommon.SpanID {
	id, ok := checkSpanID(d.ps, loc, field, v)
	if !ok {
		return pcommon.SpanID{}
	}
	if _, dup := d.spanIDs[id]; dup {
		d.ps.valueError(at(loc, field), v.str(), "span_id is used by another span of this session")
		return pcommon.SpanID{}
	}
	if d.spanIDs == nil {
		d.spanIDs = make(map[pcommon.SpanID]struct{})
	}
	d.spanIDs[id] = struct{}{}
	return id
}

// children checks the list of the nodes at level, the root being level 1. A node deeper than
// maxDepth is a problem of its own, and what lies below it is not looked at.
func (d *sessionDecoder) children(loc *path, field string, v *value, level int) []SessionSpan {
	switch v.kind {
	case kindArray:
	case kindNull:
		return nil
	default:
		d.ps.addValue(at(loc, field), typeList, msgList, v, nil)
		return nil
	}
	listLoc := loc.field(field)
	out := make([]SessionSpan, len(v.elems))
	for i := range v.elems {
		e := &v.elems[i]
		if e.kind != kindObject {
			d.ps.addValue(listLoc.elem(i), typeModelAttrs, msgModelAttrs, e, nil)
			continue
		}
		if level > d.maxDepth {
			d.tooDeep(listLoc.elem(i))
			continue
		}
		d.span(listLoc.elem(i), e, &out[i], level)
	}
	return out
}

// tooDeep reports a node below the deepest level allowed. Its input is not echoed: the
// subtree can be most of the body.
func (d *sessionDecoder) tooDeep(loc *path) {
	reason := fmt.Sprintf("a session tree may be at most %d levels deep (the root is level 1); this span is at level %d",
		d.maxDepth, d.maxDepth+1)
	d.ps.add(loc, typeValueError, valueErrorPrefix+reason, nil,
		map[string]any{"error": reason, "max_depth": d.maxDepth})
}

func (d *sessionDecoder) span(loc *path, v *value, s *SessionSpan, level int) {
	s.Name = defaultSpanName
	var f [nFieldCount]*value
	sessionSpanSchema.pick(v, f[:])
	name := sessionSpanSchema.names
	if x := f[nName]; x != nil {
		if str, ok := checkString(d.ps, loc, name[nName], x); ok {
			s.Name = str
		}
	}
	if x := f[nRecordType]; x != nil {
		s.RecordType, _ = checkString(d.ps, loc, name[nRecordType], x)
	}
	if x := f[nStart]; x != nil {
		s.StartTime, s.HasStart = checkTimestamp(d.ps, loc, name[nStart], x)
	}
	if x := f[nEnd]; x != nil {
		s.EndTime, s.HasEnd = checkTimestamp(d.ps, loc, name[nEnd], x)
	}
	if s.HasStart && s.HasEnd {
		checkEndAfterStart(d.ps, loc, s.StartTime, s.EndTime)
	}
	if x := f[nDuration]; x != nil {
		s.DurationMs, s.HasDuration = checkNonNegativeFloat(d.ps, loc, name[nDuration], x)
		// A duration only matters when it fills in a missing edge; then the edge must still
		// be a valid timestamp.
		if s.HasDuration && s.HasStart != s.HasEnd {
			edge := s.StartTime
			if s.HasEnd {
				edge = s.EndTime
			}
			if _, ok := durationEdge(edge, s.DurationMs, s.HasStart); !ok {
				d.ps.valueError(at(loc, name[nDuration]), json64(s.DurationMs),
					"duration_ms puts the span's other end outside the timestamp range")
				s.HasDuration = false
			}
		}
	}
	if x := f[nStatusCode]; x != nil {
		s.StatusCode, _ = checkString(d.ps, loc, name[nStatusCode], x)
	}
	if x := f[nStatusMessage]; x != nil {
		s.StatusMessage, _ = checkString(d.ps, loc, name[nStatusMessage], x)
	}
	if x := f[nAttributes]; x != nil {
		s.Attributes = checkObject(d.ps, loc, name[nAttributes], x)
	}
	if x := f[nSpanID]; x != nil {
		s.SpanID = d.spanID(loc, name[nSpanID], x)
	}
	if x := f[nChildren]; x != nil {
		s.Children = d.children(loc, name[nChildren], x, level+1)
	}
}

// json64 gives a float the JSON form it was sent in, for an error's input.
func json64(f float64) any {
	return Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// durationEdge computes the missing edge of a span from the one it has: start+duration when
// fromStart, end−duration otherwise. ok is false when the result leaves [0, MaxInt64]. The sum
// is done in integers: a float64 cannot hold today's nanosecond timestamps exactly.
func durationEdge(edge pcommon.Timestamp, durationMs float64, fromStart bool) (pcommon.Timestamp, bool) {
	ns := math.Round(durationMs * 1e6)
	if ns >= math.MaxInt64 { // float64(MaxInt64) is 2^63
		return 0, false
	}
	d := pcommon.Timestamp(ns)
	if fromStart {
		if edge > math.MaxInt64-d {
			return 0, false
		}
		return edge + d, true
	}
	if d > edge {
		return 0, false
	}
	return edge - d, true
}

// SessionToTraces maps a session tree to one trace: the root is the session, every child a
// span under its parent. Span IDs that the body leaves out are derived from the trace ID and
// the node's position, so re-sending the same tree with the same trace ID gives the same spans.
func SessionToTraces(s *Session, opts Options) ptrace.Traces {
	td, spans := newTraces(&opts, 1+countSpans(s.Children))
	traceID := s.TraceID
	if traceID.IsEmpty() {
		traceID = opts.newTraceID()
	}
	rootPath := sessionRootID(traceID)
	rootID := s.SpanID
	if rootID.IsEmpty() {
		rootID = rootPath
	}

	root := spans.AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(rootID)
	root.SetName(s.Name)
	root.SetKind(ptrace.SpanKindInternal)
	start := opts.receivedAt()
	switch {
	case s.HasStart:
		start = s.StartTime
	case s.HasEnd:
		start = s.EndTime
	}
	attrs := root.Attributes()
	attrs.EnsureCapacity(len(s.Attributes) + len(s.Metadata) + 7)
	putTypedAttributes(attrs, s.Attributes)
	if s.TraceName != "" {
		attrs.PutStr(conventions.LangfuseTraceName, s.TraceName)
	}
	putIdentity(attrs, s.UserID, s.SessionID)
	if len(s.Tags) > 0 {
		tags := attrs.PutEmptySlice(conventions.LangfuseTraceTags)
		tags.EnsureCapacity(len(s.Tags))
		for _, t := range s.Tags {
			tags.AppendEmpty().SetStr(t)
		}
	}
	for _, m := range s.Metadata {
		if m.Key != "" {
			attrs.PutStr(conventions.LangfuseTraceMetadataPrefix+m.Key, metadataString(m.Value))
		}
	}
	setTimes(root, start, s.EndTime, s.HasEnd)

	w := sessionWriter{spans: spans, traceID: traceID, userID: s.UserID, sessionID: s.SessionID}
	w.children(s.Children, rootID, rootPath, start)
	return td
}

func countSpans(children []SessionSpan) int {
	n := len(children)
	for i := range children {
		n += countSpans(children[i].Children)
	}
	return n
}

type sessionWriter struct {
	spans     ptrace.SpanSlice
	traceID   pcommon.TraceID
	userID    string
	sessionID string
}

// children appends the spans below one node. parentID is the node's span ID, parentPath its
// derived ID, which its children's derived IDs chain from.
func (w *sessionWriter) children(children []SessionSpan, parentID, parentPath pcommon.SpanID, parentStart pcommon.Timestamp) {
	for i := range children {
		c := &children[i]
		path := sessionChildID(w.traceID, parentPath, i)
		id := c.SpanID
		if id.IsEmpty() {
			id = path
		}
		start, end, hasEnd := c.times(parentStart)

		span := w.spans.AppendEmpty()
		span.SetTraceID(w.traceID)
		span.SetSpanID(id)
		span.SetParentSpanID(parentID)
		span.SetName(c.Name)
		span.SetKind(ptrace.SpanKindInternal)
		attrs := span.Attributes()
		attrs.EnsureCapacity(len(c.Attributes) + 8)
		putTypedAttributes(attrs, c.Attributes)
		putIdentity(attrs, w.userID, w.sessionID)
		if c.RecordType != "" {
			attrs.PutStr(conventions.LangfuseObservationMetadataPrefix+"record_type", c.RecordType)
			if t := strings.ToLower(c.RecordType); isObservationType(t) {
				attrs.PutStr(conventions.LangfuseObservationType, t)
			}
		}
		if c.StatusMessage != "" {
			attrs.PutStr(conventions.LangfuseObservationStatusMessage, c.StatusMessage)
		}
		switch strings.ToUpper(c.StatusCode) {
		case "ERROR":
			span.Status().SetCode(ptrace.StatusCodeError)
			span.Status().SetMessage(c.StatusMessage)
			attrs.PutStr(conventions.LangfuseObservationLevel, "ERROR")
		case "OK":
			span.Status().SetCode(ptrace.StatusCodeOk)
		}
		setTimes(span, start, end, hasEnd)
		w.children(c.Children, id, path, start)
	}
}

// times resolves a node's edges: a missing start comes from the end (less the duration, if
// given), else from the parent's start, so a child never lands before a tree it belongs to; a
// missing end comes from start plus duration, else the span is still open.
func (c *SessionSpan) times(parentStart pcommon.Timestamp) (start, end pcommon.Timestamp, hasEnd bool) {
	start, end, hasEnd = c.StartTime, c.EndTime, c.HasEnd
	switch {
	case c.HasStart:
	case c.HasEnd && c.HasDuration:
		start, _ = durationEdge(c.EndTime, c.DurationMs, false)
	case c.HasEnd:
		start = c.EndTime
	default:
		start = parentStart
	}
	if !hasEnd && c.HasDuration {
		end, hasEnd = durationEdge(start, c.DurationMs, true)
	}
	return start, end, hasEnd
}

func isObservationType(t string) bool {
	switch t {
	case "span", "generation", "event", "embedding", "agent", "tool", "chain", "retriever", "guardrail", "evaluator":
		return true
	default:
		return false
	}
}
