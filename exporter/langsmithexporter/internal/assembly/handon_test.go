// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
	"github.com/tracebridge/tracebridge/translator/conventions"
)

// res is one ResourceSpans of a test batch: its service name and its scopes' spans.
type res struct {
	service string
	scopes  [][]sp
}

// batchOf builds a batch of several resources and scopes; each scope is named after its place.
func batchOf(list ...res) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, r := range list {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", r.service)
		rs.SetSchemaUrl("https://example.com/" + r.service)
		for k, scope := range r.scopes {
			ss := rs.ScopeSpans().AppendEmpty()
			spans(scope...).ResourceSpans().At(0).ScopeSpans().At(0).Spans().MoveAndAppendTo(ss.Spans())
			ss.Scope().SetName(r.service + "-scope-" + string(rune('a'+k)))
			ss.Scope().SetVersion("1.0")
			ss.SetSchemaUrl("https://example.com/scope")
		}
	}
	return td
}

func one(list ...sp) func() ptrace.Traces { return func() ptrace.Traces { return spans(list...) } }

// TestHandOnMatchesSpanBySpan runs the same batches through an assembler that hands whole
// batches on and one that moves every span, and requires the same release batches, byte for
// byte (spans, stamps, resources, scopes and their order), and the same storage records.
func TestHandOnMatchesSpanBySpan(t *testing.T) {
	langfuse := map[string]any{conventions.LangfuseTraceName: "agent"}
	open := map[string]any{conventions.ObservationOpen: true}
	tests := []struct {
		name    string
		before  []func() ptrace.Traces // batches consumed first (both paths alike)
		batch   func() ptrace.Traces
		handOn  bool // the batch is handed on whole
		outputs int  // release batches expected in all
	}{
		{
			name:   "sdk order: children, then their root",
			batch:  one(sp{trace: 1, id: 2, parent: 1, start: 1}, sp{trace: 1, id: 3, parent: 2, start: 2}, sp{trace: 1, id: 4, parent: 1, start: 3}, sp{trace: 1, id: 1}),
			handOn: true, outputs: 1,
		},
		{
			name:   "root first",
			batch:  one(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1, start: 1}, sp{trace: 1, id: 3, parent: 2, start: 2}),
			handOn: true, outputs: 1,
		},
		{
			name:   "single span",
			batch:  one(sp{trace: 1, id: 1, attrs: map[string]any{"k": "v"}}),
			handOn: true, outputs: 1,
		},
		{
			name: "several traces, children first, interleaved",
			batch: one(
				sp{trace: 1, id: 2, parent: 1, start: 1}, sp{trace: 2, id: 2, parent: 1, start: 1},
				sp{trace: 1, id: 1}, sp{trace: 3, id: 1}, sp{trace: 2, id: 1}, sp{trace: 3, id: 5, parent: 1, start: 4},
			),
			handOn: true, outputs: 1,
		},
		{
			name: "several resources and scopes, parents in later ones",
			batch: func() ptrace.Traces {
				return batchOf(
					res{service: "api", scopes: [][]sp{
						{{trace: 1, id: 2, parent: 1, start: 1}, {trace: 1, id: 3, parent: 1, start: 2}},
						{{trace: 2, id: 1}},
					}},
					res{service: "worker", scopes: [][]sp{
						{{trace: 2, id: 2, parent: 1, start: 1}, {trace: 1, id: 1}},
					}},
					res{service: "db", scopes: [][]sp{{{trace: 1, id: 4, parent: 3, start: 3}}}},
				)
			},
			handOn: true, outputs: 1,
		},
		{
			name: "an empty scope and an empty resource",
			batch: func() ptrace.Traces {
				td := batchOf(
					res{service: "api", scopes: [][]sp{{}, {{trace: 1, id: 2, parent: 1, start: 1}}}},
					res{service: "empty"},
					res{service: "worker", scopes: [][]sp{{{trace: 1, id: 1}}}},
				)
				return td
			},
			handOn: true, outputs: 1,
		},
		{
			name:   "patch of a run released earlier, with a new child",
			before: []func() ptrace.Traces{one(sp{trace: 1, id: 1, end: 5})},
			batch:  one(sp{trace: 1, id: 2, parent: 1, start: 1}, sp{trace: 1, id: 1, end: 9}),
			handOn: true, outputs: 2,
		},
		{
			name:    "one span parked: falls back",
			batch:   one(sp{trace: 1, id: 1}, sp{trace: 1, id: 3, parent: 2, start: 2}, sp{trace: 1, id: 4, parent: 1, start: 3}),
			outputs: 1,
		},
		{
			name:    "repeats in the batch merge: falls back",
			batch:   one(sp{trace: 1, id: 2, parent: 1, start: 1}, sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1, start: 1, end: 7, attrs: map[string]any{"late": "yes"}}),
			outputs: 1,
		},
		{
			name:    "identical re-send of a released span dropped: falls back",
			before:  []func() ptrace.Traces{one(sp{trace: 1, id: 1})},
			batch:   one(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1, start: 1}),
			outputs: 2,
		},
		{
			name:    "open observation held: falls back",
			batch:   one(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1, start: 1, attrs: open}),
			outputs: 1,
		},
		{
			name:    "releases a span parked earlier: falls back",
			before:  []func() ptrace.Traces{one(sp{trace: 1, id: 3, parent: 1, start: 2})},
			batch:   one(sp{trace: 1, id: 2, parent: 1, start: 1}, sp{trace: 1, id: 1}),
			outputs: 1,
		},
		{
			name:    "langfuse records under a synthesized root: falls back",
			batch:   one(sp{trace: 1, id: 2, start: 1, attrs: langfuse}, sp{trace: 1, id: 3, start: 2, attrs: langfuse}),
			outputs: 1,
		},
		{
			name:   "langfuse record under a trace-level record released earlier",
			before: []func() ptrace.Traces{one(sp{trace: 1, id: 9, attrs: langfuse, mod: asTraceLevel})},
			batch:  one(sp{trace: 1, id: 2, start: 1, attrs: langfuse}),
			handOn: true, outputs: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(spanBySpan bool) ([]ptrace.Traces, []string, int64) {
				sink := new(consumertest.TracesSink)
				a, _ := newTestAssembler(t, storageConfig(), sink, nil)
				a.spanBySpan = spanBySpan
				mem := storagetest.NewMem()
				require.NoError(t, a.Start(context.Background(), storageHost(mem)))
				defer func() { require.NoError(t, a.Shutdown(context.Background())) }()
				for _, b := range tt.before {
					require.NoError(t, a.ConsumeTraces(context.Background(), b()))
				}
				before := a.stats.handedOn
				require.NoError(t, a.ConsumeTraces(context.Background(), tt.batch()))
				a.mu.Lock()
				defer a.mu.Unlock()
				return sink.AllTraces(), mem.Keys(), a.stats.handedOn - before
			}
			wantOut, wantKeys, n := run(true)
			require.Zero(t, n)
			gotOut, gotKeys, n := run(false)
			assert.Equal(t, tt.handOn, n == 1, "handed on whole")
			assert.Equal(t, wantKeys, gotKeys, "storage records")
			require.Len(t, wantOut, tt.outputs)
			require.Len(t, gotOut, tt.outputs)
			checkTree(t, released(t, gotOut))
			for i := range wantOut {
				assert.Equal(t, tracesJSON(t, wantOut[i]), tracesJSON(t, gotOut[i]), "release batch %d", i)
			}
		})
	}
}

// asTraceLevel makes a span the trace-level record of its trace (the span ID the langfuse
// receiver gives it).
func asTraceLevel(s ptrace.Span) { s.SetSpanID(conventions.TraceLevelSpanID(s.TraceID())) }

func tracesJSON(t *testing.T, td ptrace.Traces) string {
	t.Helper()
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	return string(b)
}
