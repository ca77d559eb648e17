// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// OpenInference attribute names the LangSmith translator reads for a run's payloads. They hold
// the run's inputs, outputs and invocation parameters as JSON text, which the translator copies
// into the run unchanged.
const (
	attrInputValue       = "input.value"
	attrOutputValue      = "output.value"
	attrInvocationParams = "llm.invocation_parameters"
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
	var buf bytes.Buffer
	for _, p := range tp.runs {
		s := spans.AppendEmpty()
		s.SetTraceID(traceID)
		s.SetSpanID(spanIDOf(p.id))
		if p.parent != nil {
			s.SetParentSpanID(spanIDOf(p.parent.id))
		}
		name := string(p.in.Name)
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
		if rt := strings.TrimSpace(string(p.in.RunType)); rt != "" {
			attrs.PutStr(conventions.LangSmithSpanKind, rt)
		}
		if name != "" {
			attrs.PutStr(conventions.LangSmithTraceName, name)
		}
		if sn := string(p.in.SessionName); perRunProject && sn != "" {
			attrs.PutStr(conventions.LangSmithSessionName, sn)
		}
		if tags := p.in.tags(); len(tags) > 0 {
			sl := attrs.PutEmptySlice(conventions.LangSmithSpanTags)
			sl.EnsureCapacity(len(tags))
			for _, t := range tags {
				sl.AppendEmpty().SetStr(t)
			}
		}
		putPayload(attrs, attrInputValue, p.in.Inputs, &buf)
		putPayload(attrs, attrOutputValue, p.in.Outputs, &buf)
		x := p.in.extra()
		if isObject(x.InvocationParams) {
			putPayload(attrs, attrInvocationParams, x.InvocationParams, &buf)
		}
		if isObject(x.Metadata) {
			// A metadata value keeps its JSON type (numbers stay numbers, objects stay
			// objects), so the run's metadata comes out as it went in.
			_ = eachMember(x.Metadata, func(key string, dec *json.Decoder) error {
				return decodeValue(dec, attrs.PutEmpty(conventions.LangSmithMetadataPrefix+key))
			})
		}
		appendEvents(s, p)
	}
}

// putPayload stores a JSON value as compact text. Compacting makes the attribute a function of
// the value alone, whatever whitespace the file had, so a re-sent trace is byte-identical and
// the collector recognises it as a repeat.
func putPayload(attrs pcommon.Map, key string, raw json.RawMessage, buf *bytes.Buffer) {
	if isNull(raw) {
		return
	}
	buf.Reset()
	if json.Compact(buf, raw) != nil {
		return
	}
	attrs.PutStr(key, buf.String())
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
		if isObject(e.Kwargs) {
			attrs := ev.Attributes()
			_ = eachMember(e.Kwargs, func(key string, dec *json.Decoder) error {
				return decodeValue(dec, attrs.PutEmpty(key))
			})
		}
	}
}

// eachMember calls fn for each member of a JSON object, in order, with the decoder positioned
// at the member's value; fn must consume the value.
func eachMember(raw json.RawMessage, fn func(key string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if err := fn(key, dec); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue reads the next JSON value into dst, keeping member order (a Go map would not), so
// the same run always yields the same span.
func decodeValue(dec *json.Decoder, dst pcommon.Value) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return setToken(dec, tok, dst)
}

func setToken(dec *json.Decoder, tok json.Token, dst pcommon.Value) error {
	switch v := tok.(type) {
	case nil:
		// JSON null: an empty value, which the translator writes back as null.
	case bool:
		dst.SetBool(v)
	case string:
		dst.SetStr(v)
	case json.Number:
		if i, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			dst.SetInt(i)
		} else if f, err := v.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(v.String())
		}
	case json.Delim:
		switch v {
		case '{':
			m := dst.SetEmptyMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if err := decodeValue(dec, m.PutEmpty(key)); err != nil {
					return err
				}
			}
		case '[':
			sl := dst.SetEmptySlice()
			for dec.More() {
				if err := decodeValue(dec, sl.AppendEmpty()); err != nil {
					return err
				}
			}
		default:
			return errors.New("unexpected JSON delimiter")
		}
		if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) { // the closing delimiter
			return err
		}
	}
	return nil
}
