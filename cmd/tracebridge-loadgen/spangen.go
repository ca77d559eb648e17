// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/internal/synthetic"
)

// spanGen produces OTLP/HTTP protobuf requests of LLM-like spans. Each request shape (where its
// first span falls in its trace, and how many spans it has) is built with pdata and marshaled
// once; a request is a copy of its shape's bytes with the IDs, timestamps and token counts
// written over at the offsets found in them. Each of those fields has one size on the wire
// whatever its value (IDs, fixed64 timestamps, token counts drawn from ranges of one varint
// length), so a request is the very bytes pdata would marshal for its spans
// (TestSpanGenMatchesLegacy), at a fraction of a microsecond a span where filling a pdata
// template and marshaling it cost about seven.
type spanGen struct {
	rng      *rand.Rand
	perTrace int
	now      func() time.Time
	n        int64 // spans produced
	traces   int64
	traceID  pcommon.TraceID
	rootID   pcommon.SpanID
	start    int64 // the trace's start, Unix nanoseconds
	shapes   map[[2]int]*spanShape
	bufs     freeList
}

// The token counts a chat span carries: the ranges of one varint length each (2 and 1 bytes).
const (
	inputTokensMin, inputTokensSpan   = 700, 300
	outputTokensMin, outputTokensSpan = 20, 60
)

func newSpanGen(seed uint64, perTrace, concurrency int) *spanGen {
	return &spanGen{
		rng: rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), //nolint:gosec // load data
			byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)})),
		perTrace: perTrace,
		now:      time.Now,
		shapes:   map[[2]int]*spanShape{},
		bufs:     newFreeList(concurrency),
	}
}

func (g *spanGen) traceCount() int64 { return g.traces }

func (g *spanGen) unfinished() int { return unfinished(g.n, g.perTrace) }

func (g *spanGen) recycle(b []byte) { g.bufs.put(b) }

// body writes the next batch of the span stream: for each trace its children (chat calls,
// ending before the root) and then its root (the agent invocation). The random draws and
// the clock reads are the old generator's, in its order, so a seed gives the same spans.
func (g *spanGen) body(batch int) ([]byte, string) {
	phase := int(g.n % int64(g.perTrace))
	sh := g.shapes[[2]int{phase, batch}]
	if sh == nil {
		sh = newSpanShape(g.perTrace, phase, batch)
		g.shapes[[2]int{phase, batch}] = sh
	}
	b := append(g.bufs.get(len(sh.body)), sh.body...)
	traceLen := int64(g.perTrace) * int64(300*time.Millisecond)
	for i := range sh.spans {
		f := &sh.spans[i]
		idx := int(g.n % int64(g.perTrace))
		if idx == 0 {
			g.traceID = g.traceIDNext()
			g.rootID = g.spanIDNext()
			g.traces++
			g.start = g.now().Add(-time.Duration(traceLen)).UnixNano()
		}
		g.n++
		copy(b[f.traceID:f.traceID+16], g.traceID[:])
		if idx == g.perTrace-1 { // the root, last
			copy(b[f.spanID:f.spanID+8], g.rootID[:])
			binary.LittleEndian.PutUint64(b[f.start:], uint64(g.start))        //nolint:gosec // a positive time
			binary.LittleEndian.PutUint64(b[f.end:], uint64(g.start+traceLen)) //nolint:gosec // a positive time
			continue
		}
		id := g.spanIDNext()
		copy(b[f.spanID:f.spanID+8], id[:])
		copy(b[f.parentID:f.parentID+8], g.rootID[:])
		st := g.start + int64(idx)*int64(300*time.Millisecond) + int64(time.Millisecond)
		binary.LittleEndian.PutUint64(b[f.start:], uint64(st))                           //nolint:gosec // a positive time
		binary.LittleEndian.PutUint64(b[f.end:], uint64(st+int64(250*time.Millisecond))) //nolint:gosec // a positive time
		in := uint64(inputTokensMin + g.rng.IntN(inputTokensSpan))                       //nolint:gosec // positive
		b[f.inputTokens], b[f.inputTokens+1] = byte(in)|0x80, byte(in>>7)
		b[f.outputTokens] = byte(outputTokensMin + g.rng.IntN(outputTokensSpan))
	}
	return b, "application/x-protobuf"
}

func (g *spanGen) traceIDNext() pcommon.TraceID {
	var id pcommon.TraceID
	a, b := g.rng.Uint64()|1, g.rng.Uint64()
	for i := range 8 {
		id[i], id[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	return id
}

func (g *spanGen) spanIDNext() pcommon.SpanID {
	var id pcommon.SpanID
	a := g.rng.Uint64() | 1
	for i := range 8 {
		id[i] = byte(a >> (8 * i))
	}
	return id
}

// spanShape is a marshaled request of one shape and where each span's varying fields are in it.
type spanShape struct {
	body  []byte
	spans []spanFields
}

// spanFields are the offsets of a span's varying field values in its request; a root has no
// parent and no token counts (0).
type spanFields struct {
	traceID, spanID, parentID, start, end, inputTokens, outputTokens int
}

// newSpanShape builds the request of batch spans whose first is at phase in its trace, as the
// generator's spans are built (the same names, kinds and attributes in the same order), with
// placeholder IDs, times and token counts, and finds their offsets.
func newSpanShape(perTrace, phase, batch int) *spanShape {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	synthetic.PutAgentResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(synthetic.AgentScope)
	placeholder := pcommon.NewTimestampFromTime(time.Unix(1, 0))
	for i := range batch {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{1})
		s.SetSpanID(pcommon.SpanID{1})
		s.SetStartTimestamp(placeholder)
		s.SetEndTimestamp(placeholder)
		if (phase+i)%perTrace == perTrace-1 {
			s.SetName("invoke_agent wallet-agent")
			s.SetKind(ptrace.SpanKindServer)
			synthetic.PutAgentRootAttributes(s.Attributes())
			continue
		}
		s.SetParentSpanID(pcommon.SpanID{1})
		s.SetName("chat gpt-4o-mini")
		s.SetKind(ptrace.SpanKindClient)
		synthetic.PutChatAttributes(s.Attributes(), inputTokensMin, outputTokensMin)
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		panic(err) // a fixed, valid request
	}
	spans, err := findSpanFields(body)
	if err == nil && len(spans) != batch {
		err = fmt.Errorf("%d spans found, %d built", len(spans), batch)
	}
	for i := 0; err == nil && i < len(spans); i++ {
		if root := (phase+i)%perTrace == perTrace-1; root != (spans[i].parentID == 0) {
			err = fmt.Errorf("span %d: root %v, parent at %d", i, root, spans[i].parentID)
		}
	}
	if err != nil {
		panic(fmt.Sprintf("request template: %v", err)) // the pdata encoding changed
	}
	return &spanShape{body: body, spans: spans}
}
