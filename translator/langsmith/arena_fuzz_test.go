// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fuzzKeys are attribute names the mapping reads (slots, families, prefixes, invocation
// parameters) and some it does not, including ones that need escaping.
var fuzzKeys = strings.Fields(`gen_ai.operation.name gen_ai.provider.name gen_ai.system gen_ai.request.model
gen_ai.response.model gen_ai.request.temperature gen_ai.request.top_k gen_ai.request.sampling.top_k
gen_ai.request.stop_sequences gen_ai.input.messages gen_ai.output.messages gen_ai.conversation.id
gen_ai.usage.input_tokens gen_ai.usage.output_tokens gen_ai.usage.total_tokens gen_ai.tool.name
openinference.span.kind llm.model_name llm.provider llm.input_messages llm.output_messages
llm.invocation_parameters llm.token_count.prompt input.value output.value metadata session.id user.id
langsmith.span.kind langsmith.metadata.a langsmith.metadata.user_id langsmith.trace.name
langsmith.usage_metadata langsmith.span.tags langfuse.observation.metadata langfuse.observation.metadata.a
langfuse.observation.model.parameters langfuse.trace.metadata langfuse.user.id langfuse.session.id
traceloop.association.properties.x traceloop.entity.input ai.telemetry.metadata.k tracebridge.patch
service.name service.namespace ls_provider ls_model_name otel_trace_id k é back\slash`)

var fuzzStrings = []string{"", "x", "ünï ☃", "q\"b\\s\n\x01", "\xff bad", `{"a":1,"b":"x"}`, `[1,2]`, `{"bad":`,
	`[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
	`[{"role":"assistant","parts":[{"type":"text","content":"ok"}],"finish_reason":"stop"}]`,
	`[{"role":"user","parts":[{"type":"text","content":"a"},{"type":"text","content":"b"}],"name":"n"}]`,
	`{"input_tokens":3,"output_tokens":4}`, `{"temperature":0.5}`, "chat", "llm", "true"}

// fuzzSpans reads data as a sequence of spans: per span a header byte (bit 0: a new resource,
// bit 1: Reset the Arena after it, bits 2-4: the attribute count / 9) and three bytes per
// attribute (key, type, value). Resources get attributes from the same pool, so their keys
// collide with the spans'.
type fuzzSpan struct {
	res   pcommon.Resource
	scope pcommon.InstrumentationScope
	span  ptrace.Span
	reset bool
}

func fuzzSpans(data []byte) []fuzzSpan {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	fill := func(m pcommon.Map, n int) {
		for range n {
			kb, typ, v := next(), next(), next()
			k := fuzzKeys[int(kb)%len(fuzzKeys)]
			if kb >= 128 {
				k = "x" + strconv.Itoa(int(kb)) // names of no convention, enough for 48 members
			}
			s := fuzzStrings[int(v)%len(fuzzStrings)]
			switch typ % 7 {
			case 0, 1, 2:
				m.PutStr(k, s)
			case 3:
				m.PutInt(k, int64(v)-8)
			case 4:
				m.PutDouble(k, float64(v)/4)
			case 5:
				m.PutBool(k, v%2 == 0)
			default:
				inner := m.PutEmptyMap(k)
				inner.PutStr(fuzzKeys[int(v)%len(fuzzKeys)], s)
			}
		}
	}
	var out []fuzzSpan
	var rs ptrace.ResourceSpans
	td := ptrace.NewTraces()
	start := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := 0; len(data) > 0 && i < 64; i++ {
		h := next()
		if i == 0 || h&1 != 0 {
			rs = td.ResourceSpans().AppendEmpty()
			fill(rs.Resource().Attributes(), int(next()%4))
		}
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName([]string{"", "openinference.instrumentation.openai", "ai", "é\n"}[h>>5&3])
		span := ss.Spans().AppendEmpty()
		span.SetTraceID(pcommon.TraceID{1, byte(i)})
		span.SetSpanID(pcommon.SpanID{1, byte(i)})
		span.SetName("op")
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
		fill(span.Attributes(), int(h>>2&7)*9)
		out = append(out, fuzzSpan{rs.Resource(), ss.Scope(), span, h&2 != 0})
	}
	return out
}

// FuzzArenaMatchesSpanToRun: whatever spans an Arena translated before (other keys at the same
// positions, other resources, other instrumentations, with or without a Reset in between), each
// run is the run a fresh translation gives, so nothing of an earlier span leaks into a later one.
func FuzzArenaMatchesSpanToRun(f *testing.F) {
	f.Add([]byte{0x1d, 1, 0, 3, 9, 0, 8, 10, 0, 9, 21, 1, 5, 13, 0, 2, 0x1c, 10, 0, 9, 9, 0, 8, 0x3e, 33, 3, 1, 34, 0, 0})
	f.Add([]byte{0xff, 3, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0xfe, 4, 4, 4, 5, 5, 5, 6, 6, 6, 0x01, 7, 7, 7})
	// Two spans of 63 attributes, most of them named by no convention: metadata past the 48
	// names a member set holds in its array.
	var big []byte
	for span := range 2 {
		big = append(big, 0x1c) // the first span's resource has no attributes
		if span == 0 {
			big = append(big, 0)
		}
		for i := range 63 {
			big = append(big, byte(128+i+span), 0, 1)
		}
	}
	f.Add(big)
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "p", ProjectResourceAttribute: "service.namespace"}
		var a Arena
		spans := fuzzSpans(data)
		got := make([]Run, len(spans))
		for i, s := range spans {
			run, err := a.SpanToRun(s.res, s.scope, s.span, opts)
			want, wantErr := SpanToRun(s.res, s.scope, s.span, opts)
			require.Equal(t, wantErr, err, "span %d", i)
			require.Equal(t, want, run, "span %d", i)
			got[i] = run
			if s.reset {
				// Runs translated before a Reset are invalid afterwards: check them first.
				for j := range i + 1 {
					if got[j].ID != (Run{}).ID {
						want, _ := SpanToRun(spans[j].res, spans[j].scope, spans[j].span, opts)
						require.Equal(t, want, got[j], "span %d, kept until the Reset after %d", j, i)
					}
				}
				clear(got[:i+1])
				a.Reset()
			}
		}
		for j := range got {
			if got[j].ID != (Run{}).ID {
				want, _ := SpanToRun(spans[j].res, spans[j].scope, spans[j].span, opts)
				require.Equal(t, want, got[j], "span %d, at the end", j)
			}
		}
	})
}
