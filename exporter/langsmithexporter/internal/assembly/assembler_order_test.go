// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestIngestOrder(t *testing.T) {
	tests := []struct {
		name  string
		spans []sp
		want  []int32 // nil: the input order is kept as it is
		// indexed: the dependencies are not all within runs of one trace, so the batch is indexed.
		indexed bool
	}{
		{name: "root first", spans: []sp{{trace: 1, id: 1}, {trace: 1, id: 2, parent: 1}, {trace: 1, id: 3, parent: 2}}},
		{
			name:  "sdk order: children, then their root",
			spans: []sp{{trace: 1, id: 2, parent: 1}, {trace: 1, id: 3, parent: 1}, {trace: 1, id: 4, parent: 1}, {trace: 1, id: 1}},
			want:  []int32{3, 0, 1, 2},
		},
		{
			name:  "deepest first",
			spans: []sp{{trace: 1, id: 3, parent: 2}, {trace: 1, id: 2, parent: 1}, {trace: 1, id: 1}},
			want:  []int32{2, 1, 0},
		},
		{
			name: "siblings keep their order when one's child comes first",
			// g(→c2), c1(→P), c2(→P), P
			spans: []sp{{trace: 1, id: 9, parent: 3}, {trace: 1, id: 2, parent: 1}, {trace: 1, id: 3, parent: 1}, {trace: 1, id: 1}},
			want:  []int32{3, 1, 2, 0},
		},
		{
			name: "two traces, each children first",
			spans: []sp{
				{trace: 1, id: 2, parent: 1}, {trace: 1, id: 1},
				{trace: 2, id: 2, parent: 1}, {trace: 2, id: 1},
			},
			want: []int32{1, 0, 3, 2},
		},
		{
			name:    "a parent ID found only in another trace is not the parent",
			spans:   []sp{{trace: 2, id: 2, parent: 1}, {trace: 1, id: 1}},
			indexed: true,
		},
		{
			name:    "a trace interleaved with another",
			spans:   []sp{{trace: 1, id: 2, parent: 1}, {trace: 2, id: 1}, {trace: 1, id: 1}},
			want:    []int32{1, 2, 0},
			indexed: true,
		},
		{
			name:    "a trace split around a repeat",
			spans:   []sp{{trace: 1, id: 2, parent: 1}, {trace: 2, id: 1}, {trace: 1, id: 2, name: "v2"}, {trace: 1, id: 1}},
			want:    []int32{1, 3, 0, 2},
			indexed: true,
		},
		{
			name:    "a run longer than maxRun",
			spans:   wideTrace(1, maxRun),
			want:    append([]int32{maxRun}, seq(maxRun)...),
			indexed: true,
		},
		{
			name:  "a run of maxRun",
			spans: wideTrace(1, maxRun-1),
			want:  append([]int32{maxRun - 1}, seq(maxRun-1)...),
		},
		{
			name: "span IDs repeating across traces",
			spans: []sp{
				{trace: 1, id: 2, parent: 1}, {trace: 2, id: 2, parent: 1}, {trace: 2, id: 1}, {trace: 1, id: 1},
				{trace: 1, id: 2, parent: 1, name: "v2"},
			},
			want:    []int32{2, 1, 3, 0, 4},
			indexed: true,
		},
		{
			name: "span IDs repeating across interleaved traces",
			spans: []sp{
				{trace: 1, id: 2, parent: 1}, {trace: 2, id: 2, parent: 1}, {trace: 1, id: 1}, {trace: 2, id: 1},
				{trace: 1, id: 2, parent: 1, name: "v2"},
			},
			want:    []int32{2, 0, 3, 1, 4},
			indexed: true,
		},
		{
			name: "versions of one span keep their order, the later one waiting for the earlier",
			// X1(→P), X2(no parent), P: X2 must not overtake X1.
			spans: []sp{{trace: 1, id: 5, parent: 1}, {trace: 1, id: 5}, {trace: 1, id: 1}},
			want:  []int32{2, 0, 1},
		},
		{
			name: "a later version of the parent stays after its child",
			// C(→P), P1, P2
			spans: []sp{{trace: 1, id: 2, parent: 1}, {trace: 1, id: 1}, {trace: 1, id: 1, name: "v2"}},
			want:  []int32{1, 0, 2},
		},
		{
			name: "a cycle keeps its input order at the end",
			// A(→B), B(→A), R
			spans: []sp{{trace: 1, id: 2, parent: 3}, {trace: 1, id: 3, parent: 2}, {trace: 1, id: 1}},
			want:  []int32{2, 0, 1},
		},
		{
			name: "a cycle's span keeps its place before its later version in another run of the trace",
			// A(→B), B(→A), X, A2 (no parent): A2 has no earlier version in its own run, but it
			// must not overtake A, which waits in the cycle.
			spans:   []sp{{trace: 1, id: 2, parent: 3}, {trace: 1, id: 3, parent: 2}, {trace: 2, id: 1}, {trace: 1, id: 2, name: "v2"}},
			want:    []int32{2, 0, 1, 3},
			indexed: true,
		},
		{
			name:  "a span naming itself as parent",
			spans: []sp{{trace: 1, id: 2, parent: 2}, {trace: 1, id: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestAssembler(t, testAssemblyConfig(), consumertest.NewNop(), nil)
			bs := a.scanBatch(spans(tt.spans...))
			defer putScan(bs)
			assert.Equal(t, tt.indexed, len(bs.first) > 0, "indexed")
			if tt.want == nil {
				assert.Empty(t, bs.order)
				return
			}
			assert.Equal(t, tt.want, bs.order)
		})
	}
}

func TestIngestOrderReusesScratch(t *testing.T) {
	a, _ := newTestAssembler(t, testAssemblyConfig(), consumertest.NewNop(), nil)
	td := sdkBatch(0, 50)
	bs := &batchScan{first: make(map[uint64]int32)}
	a.scanInto(bs, td)
	require.Len(t, bs.order, 250, "reordered")
	assert.Empty(t, bs.first, "each trace's spans are next to each other: no index")
	allocs := testing.AllocsPerRun(20, func() {
		bs.reset()
		a.scanInto(bs, td)
	})
	assert.Zero(t, allocs, "a batch scan reuses its slices and map")
}

func seq(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// wideTrace is a root and its children, children first.
func wideTrace(trace byte, children int) []sp {
	var out []sp
	for i := range children {
		out = append(out, sp{trace: trace, id: byte(2 + i), parent: 1, start: 1 + i})
	}
	return append(out, sp{trace: trace, id: 1})
}

// keptCounter is a journal that counts the bodies the assembler keeps.
type keptCounter struct {
	nopJournal
	keeps int
}

func (j *keptCounter) kept(*call, *node) { j.keeps++ }

// twoScopes puts the spans of b in a second resource and scope after those of a.
func twoScopes(a, b ptrace.Traces) ptrace.Traces {
	rs := b.ResourceSpans().At(0)
	rs.Resource().Attributes().PutStr("service.name", "other")
	rs.ScopeSpans().At(0).Scope().SetName("other-scope")
	b.ResourceSpans().MoveAndAppendTo(a.ResourceSpans())
	return a
}

func TestAssemblerChildrenFirstBatchDoesNotPark(t *testing.T) {
	r1, a1, b1, c1 := treeSpans(1)
	r2, a2, b2, c2 := treeSpans(2)
	tests := []struct {
		name  string
		batch func() ptrace.Traces
		spans int
	}{
		{name: "sdk order", batch: func() ptrace.Traces { return sdkBatch(0, 20) }, spans: 100},
		{name: "deepest first", batch: func() ptrace.Traces { return spans(b1, a1, c1, r1) }, spans: 4},
		{name: "a wide trace", batch: func() ptrace.Traces { return spans(wideTrace(3, 3*smallTrace)...) }, spans: 3*smallTrace + 1},
		{name: "interleaved traces", batch: func() ptrace.Traces { return spans(b2, b1, a2, c1, a1, r2, c2, r1) }, spans: 8},
		{name: "children in another scope", batch: func() ptrace.Traces { return twoScopes(spans(b1, a1, r1), spans(c1)) }, spans: 4},
		{name: "root in another scope", batch: func() ptrace.Traces { return twoScopes(spans(b1, a1, c1), spans(r1)) }, spans: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.TracesSink)
			a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
			j := &keptCounter{}
			a.journal = j
			td := tt.batch()
			in := ptrace.NewTraces()
			td.CopyTo(in)
			require.NoError(t, a.ConsumeTraces(context.Background(), td))

			assert.Zero(t, j.keeps, "no span body kept")
			assert.Empty(t, a.orphanQ.items, "no span parked")
			assert.Zero(t, a.parkedSpans)
			assert.Zero(t, a.parkedBytes)
			require.Len(t, sink.AllTraces(), 1, "one release")
			assert.Equal(t, tt.spans, sink.SpanCount())
			posts := checkTree(t, released(t, sink.AllTraces()))
			parents := parentOf(posts)
			for _, rs := range in.ResourceSpans().All() {
				scope := rs.ScopeSpans().At(0).Scope().Name()
				for _, s := range rs.ScopeSpans().At(0).Spans().All() {
					k := spanKey{s.TraceID(), s.SpanID()}
					assert.Equal(t, s.ParentSpanID(), parents[k], "parent of %v", k)
					assert.Equal(t, scope, scopeOf(t, sink.AllTraces()[0], k), "scope of %v", k)
				}
			}
			require.NoError(t, a.Shutdown(context.Background()))
		})
	}
}

// scopeOf is the scope name a released span came out under.
func scopeOf(t *testing.T, td ptrace.Traces, k spanKey) string {
	t.Helper()
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if s.TraceID() == k.trace && s.SpanID() == k.span {
					return ss.Scope().Name()
				}
			}
		}
	}
	return ""
}

func TestAssemblerInBatchCycles(t *testing.T) {
	tests := []struct {
		name   string
		batch  []sp
		parked int
	}{
		{name: "two spans naming each other", batch: []sp{{trace: 1, id: 2, parent: 3}, {trace: 1, id: 3, parent: 2}, {trace: 2, id: 1}}, parked: 2},
		{name: "a span naming itself", batch: []sp{{trace: 1, id: 2, parent: 2}, {trace: 2, id: 1}}, parked: 1},
		{
			name:   "a cycle with a child waiting on it",
			batch:  []sp{{trace: 1, id: 4, parent: 2}, {trace: 1, id: 2, parent: 3}, {trace: 1, id: 3, parent: 2}, {trace: 2, id: 1}},
			parked: 3,
		},
		{
			// The later version, in another run of its trace, merges into the parked span (its
			// parent kept) rather than overtaking it and being released as a root of its own.
			name:   "a cycle's span sent again without a parent after another trace",
			batch:  []sp{{trace: 1, id: 2, parent: 3}, {trace: 1, id: 3, parent: 2}, {trace: 2, id: 1}, {trace: 1, id: 2, name: "v2"}},
			parked: 2,
		},
	}
	for _, policy := range []OrphanPolicy{OrphanUnderRoot, OrphanAsRoot} {
		for _, tt := range tests {
			t.Run(string(policy)+"/"+tt.name, func(t *testing.T) {
				cfg := testAssemblyConfig()
				cfg.OrphanPolicy = policy
				sink := new(consumertest.TracesSink)
				a, clk := newTestAssembler(t, cfg, sink, nil)
				require.NoError(t, a.ConsumeTraces(context.Background(), spans(tt.batch...)))
				assert.Equal(t, 1, sink.SpanCount(), "the other trace's root")
				assert.Equal(t, tt.parked, a.parkedSpans)

				a.flushDue(clk.advance(cfg.OrphanWait))
				assert.Zero(t, a.parkedSpans)
				posts := checkTree(t, released(t, sink.AllTraces()))
				for _, s := range tt.batch {
					assert.Contains(t, posts, spanKey{tid(s.trace), sid(s.id)}, "span %d/%d released", s.trace, s.id)
				}
				require.NoError(t, a.Shutdown(context.Background()))
			})
		}
	}
}

func TestAssemblerInBatchRepeats(t *testing.T) {
	p := sp{trace: 1, id: 1}
	x1 := sp{trace: 1, id: 5, parent: 1, start: 2, attrs: map[string]any{"v": "first", "only.first": "yes"}}
	x2 := sp{trace: 1, id: 5, parent: 1, start: 2, end: 9, attrs: map[string]any{"v": "second"}}
	x2NoParent := x2
	x2NoParent.parent = 0
	tests := []struct {
		name  string
		batch []sp
	}{
		{name: "both versions before the parent", batch: []sp{x1, x2, p}},
		{name: "parent between the versions", batch: []sp{x1, p, x2}},
		{name: "parent first", batch: []sp{p, x1, x2}},
		// Ordered by its own (missing) parent, the second version would overtake the first and
		// lose to it.
		{name: "a later version without the parent", batch: []sp{x1, x2NoParent, p}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.TracesSink)
			a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
			require.NoError(t, a.ConsumeTraces(context.Background(), spans(tt.batch...)))
			rels := released(t, sink.AllTraces())
			require.Len(t, rels, 2, "one run each, no patch")
			posts := checkTree(t, rels)
			x := posts[spanKey{tid(1), sid(5)}]
			assert.Equal(t, "second", attrStr(x.span, "v"), "the later version wins")
			assert.Equal(t, "yes", attrStr(x.span, "only.first"), "fields only the first has stay")
			assert.Equal(t, ms(9), x.span.EndTimestamp())
			assert.Equal(t, sid(1), parentOf(posts)[spanKey{tid(1), sid(5)}], "the first version's parent")
			assert.Zero(t, a.stats.patches)
			require.NoError(t, a.Shutdown(context.Background()))
		})
	}

	t.Run("identical copies", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(x1, x1, p)))
		posts := checkTree(t, released(t, sink.AllTraces()))
		assert.Len(t, posts, 2)
		assert.Equal(t, 2, sink.SpanCount(), "the copy is dropped")
		require.NoError(t, a.Shutdown(context.Background()))
	})
}

// The ordering must not reach across traces even when span IDs repeat between them.
func TestAssemblerInBatchSameSpanIDsAcrossTraces(t *testing.T) {
	sink := new(consumertest.TracesSink)
	a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
	require.NoError(t, a.ConsumeTraces(context.Background(), spans(
		sp{trace: 1, id: 2, parent: 1}, sp{trace: 2, id: 2, parent: 1}, sp{trace: 2, id: 1},
	)))
	assert.Equal(t, 2, sink.SpanCount(), "trace 2 released")
	assert.Equal(t, 1, a.parkedSpans, "trace 1's child waits for its own parent")
	posts := checkTree(t, released(t, sink.AllTraces()))
	assert.Equal(t, sid(1), parentOf(posts)[spanKey{tid(2), sid(2)}])
	assert.Equal(t, pcommon.SpanID{}, parentOf(posts)[spanKey{tid(2), sid(1)}])
	require.NoError(t, a.Shutdown(context.Background()))
}
