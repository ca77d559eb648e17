// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"hash/maphash"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// The content hash decides between "identical re-send, drop it" and "changed, patch the run":
// a copy must hash the same and every kind of change must not.
func TestHashSpanTellsEveryChange(t *testing.T) {
	a := &Assembler{seed: maphash.MakeSeed()}
	base := func() ptrace.Span {
		s := ptrace.NewSpan()
		s.SetName("llm")
		s.SetKind(ptrace.SpanKindClient)
		s.SetStartTimestamp(1_000)
		s.SetEndTimestamp(2_000)
		s.SetParentSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
		s.Status().SetCode(ptrace.StatusCodeOk)
		s.Attributes().PutStr("gen_ai.prompt", "hello")
		s.Attributes().PutInt("gen_ai.usage.input_tokens", 10)
		s.Attributes().PutDouble("temperature", 0.5)
		s.Attributes().PutBool("stream", true)
		s.Attributes().PutEmptyBytes("raw").FromRaw([]byte{1, 2})
		m := s.Attributes().PutEmptyMap("meta")
		m.PutStr("k", "v")
		s.Attributes().PutEmptySlice("tags").AppendEmpty().SetStr("a")
		e := s.Events().AppendEmpty()
		e.SetName("token")
		e.SetTimestamp(1_500)
		s.Links().AppendEmpty().SetSpanID(pcommon.SpanID{9})
		return s
	}
	want := a.hashSpan(base())
	copied := ptrace.NewSpan()
	base().CopyTo(copied)
	assert.Equal(t, want, a.hashSpan(copied), "a copy hashes the same")

	changes := map[string]func(ptrace.Span){
		"name":            func(s ptrace.Span) { s.SetName("llm2") },
		"kind":            func(s ptrace.Span) { s.SetKind(ptrace.SpanKindServer) },
		"start":           func(s ptrace.Span) { s.SetStartTimestamp(1_001) },
		"end":             func(s ptrace.Span) { s.SetEndTimestamp(2_001) },
		"parent":          func(s ptrace.Span) { s.SetParentSpanID(pcommon.SpanID{8}) },
		"status code":     func(s ptrace.Span) { s.Status().SetCode(ptrace.StatusCodeError) },
		"status message":  func(s ptrace.Span) { s.Status().SetMessage("boom") },
		"string value":    func(s ptrace.Span) { s.Attributes().PutStr("gen_ai.prompt", "hellO") },
		"int value":       func(s ptrace.Span) { s.Attributes().PutInt("gen_ai.usage.input_tokens", 11) },
		"int to string":   func(s ptrace.Span) { s.Attributes().PutStr("gen_ai.usage.input_tokens", "10") },
		"double value":    func(s ptrace.Span) { s.Attributes().PutDouble("temperature", 0.25) },
		"bool value":      func(s ptrace.Span) { s.Attributes().PutBool("stream", false) },
		"bytes value":     func(s ptrace.Span) { s.Attributes().PutEmptyBytes("raw").FromRaw([]byte{1, 3}) },
		"map member":      func(s ptrace.Span) { s.Attributes().PutEmptyMap("meta").PutStr("k", "w") },
		"slice member":    func(s ptrace.Span) { s.Attributes().PutEmptySlice("tags").AppendEmpty().SetStr("b") },
		"attribute added": func(s ptrace.Span) { s.Attributes().PutStr("x", "") },
		"attribute gone":  func(s ptrace.Span) { s.Attributes().Remove("stream") },
		"key renamed": func(s ptrace.Span) {
			v, _ := s.Attributes().Get("stream")
			s.Attributes().PutBool("streaming", v.Bool())
			s.Attributes().Remove("stream")
		},
		"event added":     func(s ptrace.Span) { s.Events().AppendEmpty().SetName("done") },
		"event timestamp": func(s ptrace.Span) { s.Events().At(0).SetTimestamp(1_600) },
		"event attribute": func(s ptrace.Span) { s.Events().At(0).Attributes().PutStr("t", "x") },
		"link span":       func(s ptrace.Span) { s.Links().At(0).SetSpanID(pcommon.SpanID{10}) },
		"link added":      func(s ptrace.Span) { s.Links().AppendEmpty() },
		"strings regroup": func(s ptrace.Span) {
			s.SetName("ll")
			s.Status().SetMessage("m")
		},
	}
	assert.Equal(t, spanBytes(base()), a.scanSpan(base()).bytes, "the scan's size is spanBytes")
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			s := base()
			change(s)
			assert.NotEqual(t, want, a.hashSpan(s))
			// The parked-bytes accounting subtracts the scan's size when a kept span changes
			// and adds spanBytes of the new one: the two must agree on every shape.
			assert.Equal(t, spanBytes(s), a.scanSpan(s).bytes)
		})
	}
}

// The one pass reads the identity attributes the assembler needs along with the hash and size.
func TestScanSpanReadsIdentity(t *testing.T) {
	a := &Assembler{seed: maphash.MakeSeed()}
	s := ptrace.NewSpan()
	attrs := s.Attributes()
	attrs.PutStr("gen_ai.input.messages", `[{"role":"user","content":"hi"}]`)
	attrs.PutStr(conventions.LangSmithSpanID, "0192e5a0-3c1e-7c3a-9f6b-1d2e3f405060")
	attrs.PutStr(conventions.LangSmithTraceID, "0192e5a0-3c1e-7c3a-9f6b-1d2e3f405061")
	attrs.PutStr(conventions.LangSmithParentID, "not a uuid")
	attrs.PutStr(conventions.LangSmithDottedOrder, "20260101T000000000000Z0192e5a0-3c1e-7c3a-9f6b-1d2e3f405060")
	attrs.PutBool(conventions.LangSmithIsRoot, true)
	attrs.PutStr(conventions.ObservationOpen, "TRUE")
	attrs.PutStr(conventions.LangfuseTraceName, "t")
	sc := a.scanSpan(s)
	assert.True(t, sc.info.hasRunID)
	assert.Equal(t, "0192e5a0-3c1e-7c3a-9f6b-1d2e3f405060", sc.info.runID.String())
	assert.True(t, sc.info.hasTraceRun)
	assert.Equal(t, "0192e5a0-3c1e-7c3a-9f6b-1d2e3f405061", sc.info.traceRun.String())
	assert.False(t, sc.info.hasParentRun, "a parent id that is no UUID is not taken")
	assert.Equal(t, "20260101T000000000000Z0192e5a0-3c1e-7c3a-9f6b-1d2e3f405060", sc.info.dotted)
	assert.True(t, sc.info.isRoot)
	assert.True(t, sc.info.open)
	assert.True(t, sc.info.langfuse)
	assert.Equal(t, allIDAttrs, sc.info.ids, "present, valid or not")
	assert.Equal(t, a.hashSpan(s), sc.hash)
	assert.Equal(t, spanBytes(s), sc.bytes)

	// scanBatch scans every span in order and sums their sizes for admission.
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	s.CopyTo(spans.AppendEmpty())
	spans.AppendEmpty().SetName("second")
	bs := a.scanBatch(td)
	defer putScan(bs)
	require.Len(t, bs.spans, 2)
	got := bs.spans[0]
	assert.Equal(t, spans.At(0), got.span)
	got.span, got.order = ptrace.Span{}, orderLinks{}
	assert.Equal(t, sc, got)
	assert.Equal(t, batchBytes(td), bs.bytes)
	assert.Zero(t, bs.spans[1].info.ids)
}

// Identity attributes a span brings are overwritten from its dotted order when it is released,
// whichever way it goes out: straight from the input (stamp looks up only those its scan saw)
// or kept and merged with a later version that brought them.
func TestStampOverwritesIdentityAttributes(t *testing.T) {
	bogus := func(keys ...string) map[string]any {
		m := make(map[string]any, len(keys))
		for _, k := range keys {
			m[k] = "bogus"
		}
		return m
	}
	tests := []struct {
		name    string
		batches [][]sp
	}{
		{name: "span id", batches: [][]sp{{{trace: 1, id: 1, attrs: bogus(conventions.LangSmithSpanID)}}}},
		{name: "trace id", batches: [][]sp{{{trace: 1, id: 1}, {trace: 1, id: 2, parent: 1, start: 1, attrs: bogus(conventions.LangSmithTraceID)}}}},
		{name: "parent id of a child", batches: [][]sp{{{trace: 1, id: 1}, {trace: 1, id: 2, parent: 1, start: 1, attrs: bogus(conventions.LangSmithParentID)}}}},
		{name: "parent id of a root", batches: [][]sp{{{trace: 1, id: 1, attrs: bogus(conventions.LangSmithParentID)}}}},
		{name: "all three", batches: [][]sp{{{trace: 1, id: 1}, {trace: 1, id: 2, parent: 1, start: 1, attrs: bogus(conventions.LangSmithSpanID, conventions.LangSmithTraceID, conventions.LangSmithParentID)}}}},
		{
			name: "brought by a later version of a parked span",
			batches: [][]sp{
				{{trace: 1, id: 2, parent: 1, start: 1}, {trace: 1, id: 2, parent: 1, start: 1, end: 5, attrs: bogus(conventions.LangSmithSpanID, conventions.LangSmithTraceID, conventions.LangSmithParentID)}},
				{{trace: 1, id: 1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.TracesSink)
			a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
			for _, b := range tt.batches {
				require.NoError(t, a.ConsumeTraces(context.Background(), spans(b...)))
			}
			rels := released(t, sink.AllTraces())
			checkTree(t, rels)
			require.NotEmpty(t, rels)
			for _, r := range rels {
				if _, ok := r.span.Attributes().Get(conventions.LangSmithSpanID); ok {
					assert.Equal(t, r.runID.String(), attrStr(r.span, conventions.LangSmithSpanID), "span %s", r.spanID)
				}
				if _, ok := r.span.Attributes().Get(conventions.LangSmithTraceID); ok {
					assert.Equal(t, r.traceRun.String(), attrStr(r.span, conventions.LangSmithTraceID), "span %s", r.spanID)
				}
				if r.parentRun == uuid.Nil {
					assert.Empty(t, attrStr(r.span, conventions.LangSmithParentID), "root %s", r.spanID)
				} else if _, ok := r.span.Attributes().Get(conventions.LangSmithParentID); ok {
					assert.Equal(t, r.parentRun.String(), attrStr(r.span, conventions.LangSmithParentID), "span %s", r.spanID)
				}
				for _, k := range []string{conventions.LangSmithSpanID, conventions.LangSmithTraceID, conventions.LangSmithParentID} {
					assert.NotEqual(t, "bogus", attrStr(r.span, k), "%s of span %s", k, r.spanID)
				}
			}
		})
	}
}
