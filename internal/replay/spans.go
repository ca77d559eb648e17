// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// ScopeName is the instrumentation scope of replayed spans. It is left out of the spans
// themselves: the translator would copy it into every run's metadata.
const ScopeName = "github.com/tracebridge/tracebridge/internal/replay"

// newTraces starts the one ResourceSpans a batch maps to. The project, when given, sits on the
// resource, where the translator reads it for every span.
func newTraces(project string) (ptrace.Traces, ptrace.SpanSlice) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	if project != "" {
		rs.Resource().Attributes().PutStr(conventions.LangSmithSessionName, project)
	}
	ss := rs.ScopeSpans().AppendEmpty()
	return td, ss.Spans()
}

// batchTraces builds the spans of a batch of planned traces.
func batchTraces(traces []*tracePlan, project string) ptrace.Traces {
	td, spans := newTraces(project)
	n := 0
	for _, tp := range traces {
		n += len(tp.runs)
	}
	spans.EnsureCapacity(n)
	for _, tp := range traces {
		appendTraceSpans(spans, tp, project == "")
	}
	return td
}

// appendTraceSpans writes one span per run of tp. Each span carries the run's complete LangSmith
// identity, so the exporter's assembler adopts it as is and the tree comes out exactly as
// planned, whatever order or batches the spans travel in.
func appendTraceSpans(spans ptrace.SpanSlice, tp *tracePlan, perRunProject bool) {
	traceID := traceIDOf(tp.traceID)
	for _, p := range tp.runs {
		s := spans.AppendEmpty()
		s.SetTraceID(traceID)
		s.SetSpanID(spanIDOf(p.id))
		if p.parent != nil {
			s.SetParentSpanID(spanIDOf(p.parent.id))
		}
		name := p.in.Name
		s.SetName(name)
		s.SetKind(ptrace.SpanKindInternal)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(p.start))
		if !p.end.IsZero() {
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(p.end))
		}
		if msg := p.in.errorText(); msg != "" {
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage(msg)
		}

		attrs := s.Attributes()
		attrs.EnsureCapacity(12)
		attrs.PutStr(conventions.LangSmithSpanID, p.id.String())
		attrs.PutStr(conventions.LangSmithTraceID, tp.traceID.String())
		if p.parent != nil {
			attrs.PutStr(conventions.LangSmithParentID, p.parent.id.String())
		} else {
			attrs.PutBool(conventions.LangSmithIsRoot, true)
		}
		attrs.PutStr(conventions.LangSmithDottedOrder, p.dotted)
		if rt := strings.TrimSpace(p.in.RunType); rt != "" {
			attrs.PutStr(conventions.LangSmithSpanKind, rt)
		}
		if name != "" {
			attrs.PutStr(conventions.LangSmithTraceName, name)
		}
		if sn := p.in.SessionName; perRunProject && sn != "" {
			attrs.PutStr(conventions.LangSmithSessionName, sn)
		}
		if tags := p.in.tags(); len(tags) > 0 {
			sl := attrs.PutEmptySlice(conventions.LangSmithSpanTags)
			sl.EnsureCapacity(len(tags))
			for _, t := range tags {
				sl.AppendEmpty().SetStr(t)
			}
		}
		putPayload(attrs, conventions.OpenInferenceInputValue, p.in.Inputs)
		putPayload(attrs, conventions.OpenInferenceOutputValue, p.in.Outputs)
		x := p.in.extra()
		if isObject(x.InvocationParams) {
			putPayload(attrs, conventions.OpenInferenceInvocationParams, x.InvocationParams)
		}
		// A metadata value keeps its JSON type (numbers stay numbers, objects stay objects), so
		// the run's metadata comes out as it went in.
		for _, k := range sortedKeys(x.Metadata) {
			setJSON(attrs.PutEmpty(conventions.LangSmithMetadataPrefix+k), x.Metadata[k])
		}
		appendEvents(s, p)
	}
}

// putPayload stores a JSON value as text. The first pass compacted every item, so the text is a
// function of the value alone, whatever whitespace the file had: a re-sent trace is
// byte-identical and the collector recognizes it as a repeat.
func putPayload(attrs pcommon.Map, key string, raw json.RawMessage) {
	if isNull(raw) {
		return
	}
	attrs.PutStr(key, string(raw))
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// appendEvents carries the run's events (new_token and the like), shifted with the run.
func appendEvents(s ptrace.Span, p *runPlan) {
	evs := p.in.events()
	if len(evs) == 0 {
		return
	}
	events := s.Events()
	for _, e := range evs {
		t, ok, err := parseTime(e.Time)
		if err != nil || !ok {
			continue
		}
		ev := events.AppendEmpty()
		ev.SetName(e.Name)
		ev.SetTimestamp(pcommon.NewTimestampFromTime(t.Add(p.shift)))
		var kwargs map[string]json.RawMessage
		if isObject(e.Kwargs) && json.Unmarshal(e.Kwargs, &kwargs) == nil {
			attrs := ev.Attributes()
			for _, k := range sortedKeys(kwargs) {
				setJSON(attrs.PutEmpty(k), kwargs[k])
			}
		}
	}
}

// setJSON stores a JSON value as a typed pdata value: objects become maps (members in key
// order, so the same value always gives the same span), arrays slices, numbers ints or doubles.
func setJSON(dst pcommon.Value, raw json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case 'n': // null: an empty value, which the translator writes back as null
	case 't', 'f':
		dst.SetBool(raw[0] == 't')
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			dst.SetStr(s)
		}
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		pm := dst.SetEmptyMap()
		pm.EnsureCapacity(len(m))
		for _, k := range sortedKeys(m) {
			setJSON(pm.PutEmpty(k), m[k])
		}
	case '[':
		var a []json.RawMessage
		if json.Unmarshal(raw, &a) != nil {
			return
		}
		sl := dst.SetEmptySlice()
		sl.EnsureCapacity(len(a))
		for _, e := range a {
			setJSON(sl.AppendEmpty(), e)
		}
	default:
		if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			dst.SetInt(i)
		} else if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
			dst.SetDouble(f)
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
