// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

const (
	// DefaultServiceName is the resource's service.name unless Options names another.
	DefaultServiceName = "langfuse-receiver"
	// DefaultScopeName is the instrumentation scope unless Options names another. It must not
	// be "langfuse-sdk", which switches Langfuse's OTLP ingestion to SDK-specific handling.
	DefaultScopeName = "github.com/tracebridge/tracebridge/translator/langfuse"
)

// Options are the parts of the mapping that come from outside the body.
type Options struct {
	// ServiceName is the resource's service.name; DefaultServiceName when empty.
	ServiceName string
	// ScopeName is the instrumentation scope's name; DefaultScopeName when empty.
	ScopeName string
	// TenantProject, when set, is stamped on the resource as tracebridge.tenant.project.
	TenantProject string
	// ReceivedAt stands in for a start time the body leaves out; time.Now() when zero.
	ReceivedAt time.Time
	// NewTraceID makes the ID of a trace the body does not name; random when nil.
	NewTraceID func() pcommon.TraceID
}

func (o *Options) receivedAt() pcommon.Timestamp {
	if o.ReceivedAt.IsZero() {
		o.ReceivedAt = time.Now()
	}
	return pcommon.NewTimestampFromTime(o.ReceivedAt)
}

func (o *Options) newTraceID() pcommon.TraceID {
	if o.NewTraceID != nil {
		return o.NewTraceID()
	}
	return RandomTraceID()
}

// RandomTraceID returns a random, non-zero trace ID.
func RandomTraceID() pcommon.TraceID {
	var id pcommon.TraceID
	for id.IsEmpty() {
		_, _ = rand.Read(id[:]) // never fails (crypto/rand, Go ≥ 1.24)
	}
	return id
}

// newTraces starts the single ResourceSpans a request maps to: one request carries one tenant,
// so all its spans share one resource and one scope.
func newTraces(opts *Options, spanCount int) (ptrace.Traces, ptrace.SpanSlice) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	service := opts.ServiceName
	if service == "" {
		service = DefaultServiceName
	}
	res.PutStr("service.name", service)
	if opts.TenantProject != "" {
		res.PutStr(conventions.TenantProject, opts.TenantProject)
	}
	ss := rs.ScopeSpans().AppendEmpty()
	scope := opts.ScopeName
	if scope == "" {
		scope = DefaultScopeName
	}
	ss.Scope().SetName(scope)
	spans := ss.Spans()
	spans.EnsureCapacity(spanCount)
	return td, spans
}

// RecordsToTraces maps validated records to spans, one span per record, all in one
// ResourceSpans. The record schema has no parent, so every span is a root.
func RecordsToTraces(records []Record, opts Options) ptrace.Traces {
	td, spans := newTraces(&opts, len(records))
	for i := range records {
		appendRecordSpan(spans, &records[i], &opts)
	}
	return td
}

func appendRecordSpan(spans ptrace.SpanSlice, r *Record, opts *Options) {
	traceID := r.TraceID
	if traceID.IsEmpty() {
		traceID = opts.newTraceID()
	}
	traceLevel := r.IsTraceLevel()
	spanID := r.SpanID
	if traceLevel {
		spanID = traceLevelSpanID(traceID)
	}

	span := spans.AppendEmpty()
	span.SetTraceID(traceID)
	span.SetSpanID(spanID)
	name := r.SpanName
	if traceLevel && name == defaultSpanName {
		// A trace-level record stands for the trace itself: it is named after the trace,
		// as the root the exporter synthesizes for the trace's records is.
		name = r.TraceName
	}
	span.SetName(name)
	span.SetKind(ptrace.SpanKindInternal)

	// A record without a start has none to keep; Langfuse itself copies the other edge when
	// one is missing, which also keeps start ≤ end when only the end is known.
	var start pcommon.Timestamp
	switch {
	case r.HasStart:
		start = r.StartTime
	case r.HasEnd:
		start = r.EndTime
	default:
		start = opts.receivedAt()
	}

	attrs := span.Attributes()
	attrs.EnsureCapacity(13 + len(r.Extra))
	attrs.PutStr(conventions.LangfuseTraceName, r.TraceName)
	putIdentity(attrs, r.UserID, r.SessionID)
	// Langfuse lets every parentless span overwrite the trace's input and output; only a
	// record that describes the trace itself writes them, so span records cannot clobber them.
	if traceLevel {
		putNonEmpty(attrs, conventions.LangfuseTraceInput, r.Input)
		putNonEmpty(attrs, conventions.LangfuseTraceOutput, r.Output)
	}
	putNonEmpty(attrs, conventions.LangfuseObservationInput, r.Input)
	putNonEmpty(attrs, conventions.LangfuseObservationOutput, r.Output)
	attrs.PutStr(conventions.LangfuseObservationLevel, observationLevel(r.Level, r.Error))
	putNonEmpty(attrs, conventions.LangfuseObservationStatusMessage, r.StatusMessage)
	keys := metadataKeys(r.Extra)
	for _, e := range r.Extra {
		if e.Key != "" {
			n := len(conventions.LangfuseObservationMetadataPrefix) + len(e.Key)
			attrs.PutStr(keys[:n], metadataString(e.Value))
			keys = keys[n:]
		}
	}
	setTimes(span, start, r.EndTime, r.HasEnd)

	if r.Error {
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage(r.StatusMessage)
	} else {
		span.Status().SetCode(ptrace.StatusCodeOk)
	}
}

// observationLevel maps the record's level onto Langfuse's vocabulary. Langfuse lets an
// explicit level beat the span status, so error=true must say ERROR here too.
func observationLevel(l Level, isError bool) string {
	if isError {
		return "ERROR"
	}
	switch l {
	case LevelDebug:
		return "DEBUG"
	case LevelWarn:
		return "WARNING"
	case LevelError:
		return "ERROR"
	default:
		return "DEFAULT"
	}
}

// setTimes sets a span's edges. Without an end the observation is still running: the span
// ends where it starts, and the ObservationOpen stamp tells the exporter the end is not real.
func setTimes(span ptrace.Span, start, end pcommon.Timestamp, hasEnd bool) {
	span.SetStartTimestamp(start)
	if hasEnd {
		span.SetEndTimestamp(end)
		return
	}
	span.SetEndTimestamp(start)
	span.Attributes().PutBool(conventions.ObservationOpen, true)
}

// putIdentity writes user and session under both names Langfuse reads: the OTel ones its SDK
// emits and its own compat ones.
func putIdentity(attrs pcommon.Map, userID, sessionID string) {
	if userID != "" {
		attrs.PutStr(conventions.UserID, userID)
		attrs.PutStr(conventions.LangfuseUserID, userID)
	}
	if sessionID != "" {
		attrs.PutStr(conventions.SessionID, sessionID)
		attrs.PutStr(conventions.LangfuseSessionID, sessionID)
	}
}

func putNonEmpty(attrs pcommon.Map, key, v string) {
	if v != "" {
		attrs.PutStr(key, v)
	}
}

// metadataKeys returns the attribute keys of extra's entries with a key, prefixed and in
// order, as one string the caller slices: one allocation a record instead of one a key. The
// keys live as long as the span's attributes, so sharing their memory keeps nothing longer.
func metadataKeys(extra []Attribute) string {
	n := 0
	for _, e := range extra {
		if e.Key != "" {
			n += len(conventions.LangfuseObservationMetadataPrefix) + len(e.Key)
		}
	}
	if n == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(n)
	for _, e := range extra {
		if e.Key != "" {
			b.WriteString(conventions.LangfuseObservationMetadataPrefix)
			b.WriteString(e.Key)
		}
	}
	return b.String()
}

// metadataString is how Langfuse's own SDKs flatten metadata: strings as they are, anything
// else as JSON text.
func metadataString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case RawJSON:
		return string(x)
	default:
		return ""
	}
}

// reservedPrefix is the namespace of tracebridge's own stamps (conventions.TenantProject,
// conventions.ObservationOpen, …).
const reservedPrefix = "tracebridge."

// putTypedAttributes copies a session's free-form attributes with their JSON types: integers
// as ints, other numbers as doubles, objects and arrays as JSON text (OTel attribute values
// cannot nest maps in every backend).
func putTypedAttributes(attrs pcommon.Map, in []Attribute) {
	for _, a := range in {
		// tracebridge.* is the stamps' namespace: a body must not forge a tenant or an open
		// observation.
		if a.Key == "" || strings.HasPrefix(a.Key, reservedPrefix) {
			continue
		}
		switch x := a.Value.(type) {
		case string:
			attrs.PutStr(a.Key, x)
		case bool:
			attrs.PutBool(a.Key, x)
		case Number:
			if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				attrs.PutInt(a.Key, i)
			} else if f, err := strconv.ParseFloat(string(x), 64); err == nil && !math.IsInf(f, 0) {
				attrs.PutDouble(a.Key, f)
			} else {
				attrs.PutStr(a.Key, string(x))
			}
		case RawJSON:
			attrs.PutStr(a.Key, string(x))
		}
	}
}

// traceLevelSpanID is the span of a record that names no span. It is a function of the trace
// ID alone, so every trace-level record of a trace updates the same span, and it is the ID the
// langsmith exporter gives the root it synthesizes for the trace's records, so a trace-level
// record that comes after them updates that root instead of becoming a second one.
func traceLevelSpanID(traceID pcommon.TraceID) pcommon.SpanID {
	return conventions.TraceLevelSpanID(traceID)
}

// sessionRootID is the derived ID of a session tree's root.
func sessionRootID(traceID pcommon.TraceID) pcommon.SpanID {
	return deriveSpanID("tracebridge/langfuse/session", traceID, nil)
}

// sessionChildID is the derived ID of the index-th child of the node whose derived ID is
// parent. Chaining through the parent's derived ID (never a given one) makes every ID a
// function of the trace ID and the node's path, at constant cost however deep the node is.
func sessionChildID(traceID pcommon.TraceID, parent pcommon.SpanID, index int) pcommon.SpanID {
	var key [8 + binary.MaxVarintLen64]byte
	copy(key[:8], parent[:])
	n := binary.PutUvarint(key[8:], uint64(index)) //nolint:gosec // an index is ≥ 0
	return deriveSpanID("tracebridge/langfuse/session", traceID, key[:8+n])
}

func deriveSpanID(domain string, traceID pcommon.TraceID, suffix []byte) pcommon.SpanID {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write(traceID[:])
	h.Write(suffix)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var id pcommon.SpanID
	copy(id[:], sum[:8])
	if id.IsEmpty() {
		id[7] = 1 // the zero ID means "no span"; a 2^-64 chance, but never emit it
	}
	return id
}
