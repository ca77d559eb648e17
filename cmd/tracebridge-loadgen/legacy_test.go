// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/internal/synthetic"
)

// legacySpanGen is the otlp mode's generator before its requests were patched templates
// (spangen.go), with its clock passed in: the tests hold spanGen's bodies to its, byte for byte.
type legacySpanGen struct {
	rng      *rand.Rand
	perTrace int
	td       ptrace.Traces
	spans    ptrace.SpanSlice
	n        int64 // spans produced
	traces   int64
	traceID  pcommon.TraceID
	rootID   pcommon.SpanID
	start    time.Time
	now      func() time.Time
}

func newLegacySpanGen(now func() time.Time, seed uint64, perTrace, batch int) *legacySpanGen {
	g := &legacySpanGen{
		rng: rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), //nolint:gosec // load data
			byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)})),
		perTrace: perTrace,
		td:       ptrace.NewTraces(),
		now:      now,
	}
	rs := g.td.ResourceSpans().AppendEmpty()
	synthetic.PutAgentResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(synthetic.AgentScope)
	g.spans = ss.Spans()
	for range batch {
		s := g.spans.AppendEmpty()
		s.Attributes().EnsureCapacity(10)
	}
	return g
}

// body fills the template's spans with the next batch of the span stream: for each trace its
// children (chat calls, ending before the root) and then its root (the agent invocation).
func (g *legacySpanGen) body(batch int) ([]byte, string) {
	if batch < g.spans.Len() {
		// A short final request: the template shrinks for good, which is fine at the end.
		i := 0
		g.spans.RemoveIf(func(ptrace.Span) bool { i++; return i > batch })
	}
	for i := range batch {
		s := g.spans.At(i)
		idx := int(g.n % int64(g.perTrace))
		if idx == 0 {
			g.traceID = g.traceIDNext()
			g.rootID = g.spanIDNext()
			g.traces++
			g.start = g.now().Add(-time.Duration(g.perTrace) * 300 * time.Millisecond)
		}
		g.n++
		s.SetTraceID(g.traceID)
		a := s.Attributes()
		if idx == g.perTrace-1 { // the root, last
			s.SetSpanID(g.rootID)
			s.SetParentSpanID(pcommon.SpanID{})
			s.SetName("invoke_agent wallet-agent")
			s.SetKind(ptrace.SpanKindServer)
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(g.start))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(g.start.Add(time.Duration(g.perTrace) * 300 * time.Millisecond)))
			a.Clear()
			synthetic.PutAgentRootAttributes(a)
			continue
		}
		s.SetSpanID(g.spanIDNext())
		s.SetParentSpanID(g.rootID)
		s.SetName("chat gpt-4o-mini")
		s.SetKind(ptrace.SpanKindClient)
		st := g.start.Add(time.Duration(idx)*300*time.Millisecond + time.Millisecond)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(st))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(st.Add(250 * time.Millisecond)))
		a.Clear()
		synthetic.PutChatAttributes(a, int64(700+g.rng.IntN(300)), int64(20+g.rng.IntN(60)))
	}
	b, err := ptraceotlp.NewExportRequestFromTraces(g.td).MarshalProto()
	if err != nil {
		panic(err) // a fixed, valid template
	}
	return b, "application/x-protobuf"
}

func (g *legacySpanGen) traceIDNext() pcommon.TraceID {
	var id pcommon.TraceID
	a, b := g.rng.Uint64()|1, g.rng.Uint64()
	for i := range 8 {
		id[i], id[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	return id
}

func (g *legacySpanGen) spanIDNext() pcommon.SpanID {
	var id pcommon.SpanID
	a := g.rng.Uint64() | 1
	for i := range 8 {
		id[i] = byte(a >> (8 * i))
	}
	return id
}
