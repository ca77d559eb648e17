// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// One trace shape for the ordering tests: R ─ A ─ B, R ─ C.
func treeSpans(trace byte) (r, a, b, c sp) {
	return sp{trace: trace, id: 1, start: 0, end: 100},
		sp{trace: trace, id: 2, parent: 1, start: 10, end: 50},
		sp{trace: trace, id: 3, parent: 2, start: 20, end: 30},
		sp{trace: trace, id: 4, parent: 1, start: 60, end: 90}
}

func TestAssemblerReleaseOrders(t *testing.T) {
	r1, a1, b1, c1 := treeSpans(1)
	r2, a2, b2, c2 := treeSpans(2)
	tests := []struct {
		name    string
		batches [][]sp
		// releasedAfter is how many spans have been released after each batch.
		releasedAfter []int
		// resourceSpans, when set, is the ResourceSpans count of the single release.
		resourceSpans int
	}{
		{name: "root first, one batch", batches: [][]sp{{r1, a1, b1, c1}}, releasedAfter: []int{4}, resourceSpans: 1},
		{name: "children first, one batch", batches: [][]sp{{b1, a1, c1, r1}}, releasedAfter: []int{4}, resourceSpans: 1},
		{name: "children first, one per batch", batches: [][]sp{{b1}, {a1}, {c1}, {r1}}, releasedAfter: []int{0, 0, 0, 4}},
		{name: "root in the middle", batches: [][]sp{{a1}, {r1}, {b1}, {c1}}, releasedAfter: []int{0, 2, 3, 4}},
		{name: "grandchild before child", batches: [][]sp{{r1, b1}, {c1}, {a1}}, releasedAfter: []int{1, 2, 4}},
		{
			name:          "interleaved traces",
			batches:       [][]sp{{b2, r1}, {a1, a2}, {r2, c1, b1}, {c2}},
			releasedAfter: []int{1, 2, 7, 8},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.TracesSink)
			a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
			calls := 0
			for i, batch := range tt.batches {
				require.NoError(t, a.ConsumeTraces(context.Background(), spans(batch...)))
				assert.Equal(t, tt.releasedAfter[i], sink.SpanCount(), "after batch %d", i)
				if len(sink.AllTraces()) > calls {
					assert.Len(t, sink.AllTraces(), calls+1, "one release per call")
					calls = len(sink.AllTraces())
				}
			}
			if tt.resourceSpans > 0 {
				require.Len(t, sink.AllTraces(), 1)
				assert.Equal(t, tt.resourceSpans, sink.AllTraces()[0].ResourceSpans().Len())
			}
			posts := checkTree(t, released(t, sink.AllTraces()))
			parents := parentOf(posts)
			for _, batch := range tt.batches {
				for _, s := range batch {
					var want pcommon.SpanID
					if s.parent != 0 {
						want = sid(s.parent)
					}
					assert.Equal(t, want, parents[spanKey{tid(s.trace), sid(s.id)}], "parent of %d/%d", s.trace, s.id)
				}
			}
			assert.Zero(t, a.parkedSpans)
			require.NoError(t, a.Shutdown(context.Background()))
		})
	}
}

func TestAssemblerStampsIdentity(t *testing.T) {
	sink := new(consumertest.TracesSink)
	a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
	r, c, _, _ := treeSpans(1)
	require.NoError(t, a.ConsumeTraces(context.Background(), spans(c, r)))
	posts := checkTree(t, released(t, sink.AllTraces()))

	root := posts[spanKey{tid(1), sid(1)}]
	rootID := langsmith.RunID(langsmith.IDModeUUIDv7, tid(1), sid(1), ms(0).AsTime())
	assert.Equal(t, rootID, root.runID)
	assert.Equal(t, langsmith.DottedSegment(ms(0).AsTime(), rootID), root.dotted)
	assert.Empty(t, attrStr(root.span, conventions.LangSmithParentID), "a root has no parent_id")

	child := posts[spanKey{tid(1), sid(2)}]
	childID := langsmith.RunID(langsmith.IDModeUUIDv7, tid(1), sid(2), ms(10).AsTime())
	assert.Equal(t, childID, child.runID)
	assert.Equal(t, rootID, child.parentRun)
	assert.Equal(t, rootID, child.traceRun)
	assert.Equal(t, root.dotted+"."+langsmith.DottedSegment(ms(10).AsTime(), childID), child.dotted)
	// The resource and scope travel with the span.
	rs := sink.AllTraces()[0].ResourceSpans().At(0)
	assert.Equal(t, "test", attrStr2(rs.Resource().Attributes(), "service.name"))
	assert.Equal(t, "test-scope", rs.ScopeSpans().At(0).Scope().Name())
}

func attrStr2(m pcommon.Map, k string) string {
	v, _ := m.Get(k)
	return v.AsString()
}

func TestAssemblerClockSkew(t *testing.T) {
	for _, childFirst := range []bool{false, true} {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		root := sp{trace: 1, id: 1, start: 100, end: 200}
		child := sp{trace: 1, id: 2, parent: 1, start: 95, end: 150}      // 5 ms before its parent
		grandchild := sp{trace: 1, id: 3, parent: 2, start: 97, end: 120} // still before the root
		order := []sp{root, child, grandchild}
		if childFirst {
			order = []sp{grandchild, child, root}
		}
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(order...)))
		posts := checkTree(t, released(t, sink.AllTraces()))
		require.Len(t, posts, 3)
		seg := func(r rel) time.Time {
			ts, err := langsmith.ParseDottedSegmentTime(r.dotted[len(r.dotted)-langsmith.DottedSegmentLen:])
			require.NoError(t, err)
			return ts
		}
		rootSeg := seg(posts[spanKey{tid(1), sid(1)}])
		assert.Equal(t, rootSeg, seg(posts[spanKey{tid(1), sid(2)}]), "clamped to the parent")
		assert.Equal(t, rootSeg, seg(posts[spanKey{tid(1), sid(3)}]), "clamped to the clamped parent")
		assert.Equal(t, int64(2), a.stats.clamped)
		// A clamped child's UUIDv7 is derived from its clamped start, so the id's millisecond
		// field equals its start_time (LangSmith's by-id lookups key on it), whatever the order.
		for _, id := range []byte{2, 3} {
			r := posts[spanKey{tid(1), sid(id)}]
			assert.Equal(t, langsmith.RunID(langsmith.IDModeUUIDv7, tid(1), sid(id), ms(100).AsTime()), r.runID)
			assert.Equal(t, rootSeg.UnixMilli(), uuidMillis(r.runID))
		}
	}
}

// uuidMillis reads a UUIDv7's millisecond field.
func uuidMillis(id uuid.UUID) int64 {
	var b [8]byte
	copy(b[2:], id[:6])
	return int64(binary.BigEndian.Uint64(b[:])) //nolint:gosec // 48 bits
}

func TestAssemblerRepeats(t *testing.T) {
	status := func(code ptrace.StatusCode) func(ptrace.Span) {
		return func(s ptrace.Span) { s.Status().SetCode(code) }
	}
	event := func(names ...string) func(ptrace.Span) {
		return func(s ptrace.Span) {
			for i, n := range names {
				e := s.Events().AppendEmpty()
				e.SetName(n)
				e.SetTimestamp(ms(i))
			}
		}
	}
	tests := []struct {
		name       string
		batches    [][]sp
		posts      int
		patches    int
		duplicates int64
		check      func(t *testing.T, rels []rel)
	}{
		{
			name: "re-send while parked merges into one run",
			batches: [][]sp{
				{{trace: 1, id: 2, parent: 1, start: 10, end: 20, attrs: map[string]any{"a": "1", "k": "old"}, mod: event("e1")}},
				{{trace: 1, id: 2, parent: 1, start: 10, end: 40, attrs: map[string]any{"b": "2", "k": "new"}, mod: event("e1", "e2")}},
				{{trace: 1, id: 1, start: 0, end: 100}},
			},
			posts: 2,
			check: func(t *testing.T, rels []rel) {
				s := find(rels, 2, false).span
				assert.Equal(t, "1", attrStr(s, "a"))
				assert.Equal(t, "2", attrStr(s, "b"))
				assert.Equal(t, "new", attrStr(s, "k"), "later value wins")
				assert.Equal(t, ms(40), s.EndTimestamp())
				assert.Equal(t, 2, s.Events().Len(), "events appended without duplicates")
			},
		},
		{
			name: "empty fields do not erase",
			batches: [][]sp{
				{{trace: 1, id: 2, parent: 1, start: 10, end: 20, mod: status(ptrace.StatusCodeError)}},
				{{trace: 1, id: 2, parent: 1, start: 10, end: 20, name: "renamed", mod: func(s ptrace.Span) { s.SetEndTimestamp(0) }}},
				{{trace: 1, id: 1, start: 0, end: 100}},
			},
			posts: 2,
			check: func(t *testing.T, rels []rel) {
				s := find(rels, 2, false).span
				assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
				assert.Equal(t, ms(20), s.EndTimestamp())
				assert.Equal(t, "renamed", s.Name())
			},
		},
		{
			name:       "identical re-send after release is dropped",
			batches:    [][]sp{{{trace: 1, id: 1}}, {{trace: 1, id: 1}}, {{trace: 1, id: 1}}},
			posts:      1,
			duplicates: 2,
		},
		{
			name: "changed re-send after release is a patch",
			batches: [][]sp{
				{{trace: 1, id: 1, end: 5}},
				{{trace: 1, id: 1, end: 9, mod: status(ptrace.StatusCodeError)}},
				{{trace: 1, id: 1, end: 9, mod: status(ptrace.StatusCodeError)}}, // retry of the update
				{{trace: 1, id: 1, end: 5}},                                      // retry of the original
			},
			posts:      1,
			patches:    1,
			duplicates: 2,
			check: func(t *testing.T, rels []rel) {
				p := find(rels, 1, true)
				assert.Equal(t, ms(9), p.span.EndTimestamp())
				assert.Equal(t, ptrace.StatusCodeError, p.span.Status().Code())
			},
		},
		{
			name: "create and update in one batch are one post",
			batches: [][]sp{{
				{trace: 1, id: 1, end: 5, attrs: map[string]any{"v": "1"}},
				{trace: 1, id: 1, end: 8, attrs: map[string]any{"w": "2"}},
			}},
			posts: 1,
			check: func(t *testing.T, rels []rel) {
				s := find(rels, 1, false).span
				assert.Equal(t, ms(8), s.EndTimestamp())
				assert.Equal(t, "1", attrStr(s, "v"))
				assert.Equal(t, "2", attrStr(s, "w"))
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
			posts := checkTree(t, rels)
			assert.Len(t, posts, tt.posts)
			assert.Len(t, rels, tt.posts+tt.patches)
			assert.Equal(t, tt.duplicates, a.stats.duplicates)
			if tt.check != nil {
				tt.check(t, rels)
			}
		})
	}
}

func find(rels []rel, id byte, patch bool) rel {
	for _, r := range rels {
		if r.spanID == sid(id) && r.patch == patch {
			return r
		}
	}
	return rel{span: ptrace.NewSpan()}
}

func TestAssemblerOrphans(t *testing.T) {
	root := sp{trace: 1, id: 1, start: 0, end: 100}
	orphan := sp{trace: 1, id: 3, parent: 2, start: 20, end: 30} // parent 2 never comes
	below := sp{trace: 1, id: 4, parent: 3, start: 21, end: 29}
	tests := []struct {
		name      string
		policy    OrphanPolicy
		batch     []sp
		wantRoot  pcommon.SpanID // parent of the orphan; empty: its own root
		synthetic bool
		// lateParent is the parent of the missing span when it finally arrives.
		lateParent byte
	}{
		{name: "under the trace root", policy: OrphanUnderRoot, batch: []sp{below, root, orphan}, wantRoot: sid(1), lateParent: 1},
		{name: "under a synthesized root", policy: OrphanUnderRoot, batch: []sp{below, orphan}, wantRoot: conventions.TraceLevelSpanID(tid(1)), synthetic: true},
		{name: "as its own root", policy: OrphanAsRoot, batch: []sp{root, below, orphan}, lateParent: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := componenttestTelemetry(t)
			sink := new(consumertest.TracesSink)
			cfg := testAssemblyConfig()
			cfg.OrphanPolicy = tt.policy
			a, clk := newTestAssembler(t, cfg, sink, tel)
			require.NoError(t, a.ConsumeTraces(context.Background(), spans(tt.batch...)))
			before := sink.SpanCount()
			a.flushDue(clk.advance(cfg.OrphanWait - time.Millisecond))
			assert.Equal(t, before, sink.SpanCount(), "still waiting")
			assertParked(t, tel, 2)

			a.flushDue(clk.advance(time.Millisecond))
			rels := released(t, sink.AllTraces())
			posts := checkTree(t, rels)
			parents := parentOf(posts)
			o := posts[spanKey{tid(1), sid(3)}]
			assert.Equal(t, sid(2).String(), o.orphanOf, "marked with the missing parent")
			assert.Equal(t, tt.wantRoot, parents[spanKey{tid(1), sid(3)}])
			assert.Equal(t, sid(3), parents[spanKey{tid(1), sid(4)}], "its subtree follows it")
			assert.Empty(t, posts[spanKey{tid(1), sid(4)}].orphanOf)
			if tt.synthetic {
				s := posts[spanKey{tid(1), conventions.TraceLevelSpanID(tid(1))}]
				assert.Equal(t, "true", attrStr(s.span, conventions.SyntheticRoot))
				assert.Equal(t, ms(20), s.span.StartTimestamp(), "starts with the earliest span held")
				assert.Equal(t, ms(30), s.span.EndTimestamp())
			}
			assertOrphans(t, tel, 1)
			assertParked(t, tel, 0)

			// The missing parent arrives late: it is released on its own, nothing is re-sent.
			n := len(rels)
			require.NoError(t, a.ConsumeTraces(context.Background(), spans(sp{trace: 1, id: 2, parent: tt.lateParent, start: 15, end: 40})))
			rels = released(t, sink.AllTraces())
			assert.Len(t, rels, n+1)
			checkTree(t, rels)
		})
	}
}

func TestAssemblerRawRecords(t *testing.T) {
	lf := func(id byte, start, end int, extra map[string]any) sp {
		attrs := map[string]any{
			conventions.LangfuseTraceName:  "my-trace",
			conventions.UserID:             "u-1",
			conventions.SessionID:          "s-1",
			conventions.LangfuseTraceInput: "question",
			"langfuse.observation.input":   "obs-" + string(rune('0'+id)),
		}
		for k, v := range extra {
			attrs[k] = v
		}
		return sp{trace: 1, id: id, start: start, end: end, attrs: attrs, name: "record"}
	}
	level := conventions.TraceLevelSpanID(tid(1))
	traceLevel := func(extra map[string]any) sp {
		attrs := map[string]any{conventions.LangfuseTraceName: "my-trace", conventions.LangfuseTraceOutput: "final"}
		for k, v := range extra {
			attrs[k] = v
		}
		return sp{trace: 1, start: 0, end: 200, attrs: attrs, name: "my-trace", mod: func(s ptrace.Span) { s.SetSpanID(level) }}
	}

	t.Run("parentless records share one synthesized root", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, clk := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(lf(1, 30, 40, nil), lf(2, 10, 50, nil), lf(3, 20, 35, nil))))
		rels := released(t, sink.AllTraces())
		posts := checkTree(t, rels)
		require.Len(t, posts, 4)
		root := posts[spanKey{tid(1), level}]
		assert.Equal(t, "my-trace", root.name)
		assert.Equal(t, ms(10), root.span.StartTimestamp(), "earliest start")
		assert.Equal(t, ms(50), root.span.EndTimestamp(), "latest end")
		assert.Equal(t, "true", attrStr(root.span, conventions.SyntheticRoot))
		assert.Equal(t, "u-1", attrStr(root.span, conventions.UserID))
		assert.Equal(t, "s-1", attrStr(root.span, conventions.SessionID))
		assert.Equal(t, "question", attrStr(root.span, conventions.LangfuseTraceInput))
		assert.Empty(t, attrStr(root.span, "langfuse.observation.input"), "only trace-level attributes")
		for k, p := range parentOf(posts) {
			if k.span != level {
				assert.Equal(t, level, p)
			}
		}
		assert.Equal(t, 1, sink.AllTraces()[0].ResourceSpans().Len(), "root and records in one release")

		// A later record starting earlier is clamped; one ending later patches the root's end
		// and output once the trace is quiet.
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(lf(4, 5, 70, map[string]any{conventions.LangfuseTraceOutput: "done"}))))
		rels = released(t, sink.AllTraces())
		assert.Len(t, rels, 5, "no patch yet")
		assert.Equal(t, int64(1), a.stats.clamped)
		a.flushDue(clk.advance(a.cfg.OrphanWait))
		rels = released(t, sink.AllTraces())
		require.Len(t, rels, 6)
		p := rels[5]
		assert.True(t, p.patch)
		assert.Equal(t, level, p.spanID)
		assert.Equal(t, ms(70), p.span.EndTimestamp())
		assert.Equal(t, "done", attrStr(p.span, conventions.LangfuseTraceOutput))
		checkTree(t, rels)

		// The trace-level record arriving after its records patches the same run.
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(traceLevel(nil))))
		rels = released(t, sink.AllTraces())
		require.Len(t, rels, 7)
		assert.True(t, rels[6].patch)
		assert.Equal(t, root.runID, rels[6].runID)
		assert.Equal(t, "final", attrStr(rels[6].span, conventions.LangfuseTraceOutput))
		checkTree(t, rels)
		// Its retry is dropped.
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(traceLevel(nil))))
		assert.Len(t, released(t, sink.AllTraces()), 7)
	})

	t.Run("trace-level record first is the root", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(traceLevel(nil))))
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(lf(1, 30, 40, nil), lf(2, 10, 50, nil))))
		posts := checkTree(t, released(t, sink.AllTraces()))
		require.Len(t, posts, 3)
		assert.Empty(t, attrStr(posts[spanKey{tid(1), level}].span, conventions.SyntheticRoot))
		assert.Equal(t, level, parentOf(posts)[spanKey{tid(1), sid(2)}])
	})

	t.Run("trace-level record in the same batch after its records", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(lf(1, 30, 40, nil), lf(2, 10, 50, nil), traceLevel(nil))))
		rels := released(t, sink.AllTraces())
		posts := checkTree(t, rels)
		require.Len(t, rels, 3, "no synthesized root, no patch")
		assert.Empty(t, attrStr(posts[spanKey{tid(1), level}].span, conventions.SyntheticRoot))
	})

	t.Run("plain OTel parentless spans are their own roots", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(context.Background(), spans(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, start: 5})))
		posts := checkTree(t, released(t, sink.AllTraces()))
		require.Len(t, posts, 2)
		for _, p := range parentOf(posts) {
			assert.True(t, p.IsEmpty())
		}
	})
}

func TestAssemblerOpenObservations(t *testing.T) {
	open := map[string]any{conventions.ObservationOpen: true}
	ctx := context.Background()
	isOpen := func(r rel) bool { return attrStr(r.span, conventions.ObservationOpen) == "true" }

	t.Run("held until closed; children go at once", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, attrs: open})))
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1, start: 1})))
		require.Equal(t, 1, sink.SpanCount(), "the child of an open run is released")
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, end: 9})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 2)
		root := find(rels, 1, false)
		assert.False(t, isOpen(root))
		assert.Equal(t, ms(9), root.span.EndTimestamp())
		checkTree(t, rels)
		assert.Zero(t, a.parkedSpans)
	})

	t.Run("uploaded in progress after OpenRunWait, then patched", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, clk := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, attrs: open})))
		a.flushDue(clk.advance(a.cfg.OpenRunWait - time.Millisecond))
		require.Zero(t, sink.SpanCount())
		a.flushDue(clk.advance(time.Millisecond))
		require.Equal(t, 1, sink.SpanCount())
		assert.True(t, isOpen(released(t, sink.AllTraces())[0]))
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, end: 9})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 2)
		assert.True(t, rels[1].patch)
		assert.False(t, isOpen(rels[1]))
		checkTree(t, rels)
	})

	t.Run("live view: in progress at once, then patched", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		cfg := testAssemblyConfig()
		cfg.LiveView = true
		a, _ := newTestAssembler(t, cfg, sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, attrs: open})))
		require.Equal(t, 1, sink.SpanCount())
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, attrs: open}))) // unchanged
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, end: 9})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 2)
		assert.True(t, isOpen(rels[0]))
		assert.True(t, rels[1].patch)
		assert.False(t, isOpen(rels[1]))
		checkTree(t, rels)
	})

	t.Run("open child parked, then held, then closed", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1, start: 5, attrs: open})))
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1})))
		require.Equal(t, 1, sink.SpanCount(), "the parent goes, the open child waits for its end")
		assert.Equal(t, 1, a.parkedSpans)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1, start: 5, end: 8})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 2)
		assert.False(t, rels[1].patch)
		assert.False(t, isOpen(rels[1]))
		checkTree(t, rels)
	})

	t.Run("open and closed in one batch", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		cfg := testAssemblyConfig()
		cfg.LiveView = true
		a, _ := newTestAssembler(t, cfg, sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, attrs: open}, sp{trace: 1, id: 1, end: 9})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 1)
		assert.False(t, isOpen(rels[0]))
	})
}

func TestAssemblerIdentityOverrides(t *testing.T) {
	ctx := context.Background()
	t.Run("langsmith.span.id", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		id := uuid.MustParse("0194c1f2-0000-7000-8000-000000000001")
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1, attrs: map[string]any{conventions.LangSmithSpanID: id.String()}}, sp{trace: 1, id: 2, parent: 1, start: 1})))
		posts := checkTree(t, released(t, sink.AllTraces()))
		assert.Equal(t, id, posts[spanKey{tid(1), sid(1)}].runID)
		assert.Equal(t, id, posts[spanKey{tid(1), sid(2)}].parentRun)
	})

	t.Run("a span carrying its full identity needs no ancestor", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		rootID := uuid.MustParse("0194c1f2-0000-7000-8000-000000000001")
		selfID := uuid.MustParse("0194c1f2-0000-7000-8000-000000000002")
		dotted := langsmith.DottedSegment(ms(0).AsTime(), rootID) + "." + langsmith.DottedSegment(ms(3).AsTime(), selfID)
		carried := sp{trace: 1, id: 5, parent: 9, start: 3, attrs: map[string]any{
			conventions.LangSmithTraceID: rootID.String(), conventions.LangSmithDottedOrder: dotted,
		}}
		require.NoError(t, a.ConsumeTraces(ctx, spans(carried, sp{trace: 1, id: 6, parent: 5, start: 4})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 2)
		assert.Equal(t, selfID, rels[0].runID)
		assert.Equal(t, rootID, rels[0].parentRun)
		assert.Equal(t, dotted, rels[0].dotted)
		assert.Equal(t, selfID, rels[1].parentRun)
		assert.Equal(t, rootID, rels[1].traceRun)
		assert.Equal(t, dotted, rels[1].dotted[:len(dotted)])
	})

	t.Run("a dotted order alone does not take a span out of its OTel tree", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		foreign := langsmith.DottedSegment(ms(1).AsTime(), uuid.MustParse("0194c1f2-0000-7000-8000-00000000000a"))
		require.NoError(t, a.ConsumeTraces(ctx, spans(
			sp{trace: 1, id: 1},
			sp{trace: 1, id: 2, parent: 1, start: 1, attrs: map[string]any{conventions.LangSmithDottedOrder: foreign}},
		)))
		posts := checkTree(t, released(t, sink.AllTraces()))
		root, child := posts[spanKey{tid(1), sid(1)}], posts[spanKey{tid(1), sid(2)}]
		assert.Equal(t, root.runID, child.parentRun)
		assert.Equal(t, root.runID, child.traceRun)
	})

	t.Run("a carried identity LangSmith would refuse is rebuilt from the OTel parent", func(t *testing.T) {
		rootID := uuid.MustParse("0194c1f2-0000-7000-8000-000000000001")
		selfID := uuid.MustParse("0194c1f2-0000-7000-8000-000000000002")
		upper := strings.ToUpper(selfID.String())
		for name, dotted := range map[string]string{
			"segment earlier than its parent": langsmith.DottedSegment(ms(5).AsTime(), rootID) + "." + langsmith.DottedSegment(ms(3).AsTime(), selfID),
			"upper-case run id":               langsmith.DottedSegment(ms(0).AsTime(), rootID) + "." + langsmith.DottedSegment(ms(3).AsTime(), selfID)[:22] + upper,
			"malformed middle segment":        langsmith.DottedSegment(ms(0).AsTime(), rootID) + ".nonsense." + langsmith.DottedSegment(ms(3).AsTime(), selfID),
		} {
			t.Run(name, func(t *testing.T) {
				sink := new(consumertest.TracesSink)
				a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
				require.NoError(t, a.ConsumeTraces(ctx, spans(
					sp{trace: 1, id: 1},
					sp{trace: 1, id: 5, parent: 1, start: 3, attrs: map[string]any{
						conventions.LangSmithTraceID: rootID.String(), conventions.LangSmithDottedOrder: dotted,
					}},
					sp{trace: 1, id: 6, parent: 5, start: 4},
				)))
				// released() translates every span: none may fail, the grandchild included.
				posts := checkTree(t, released(t, sink.AllTraces()))
				require.Len(t, posts, 3)
				assert.Equal(t, posts[spanKey{tid(1), sid(1)}].runID, posts[spanKey{tid(1), sid(5)}].parentRun)
				assert.Equal(t, posts[spanKey{tid(1), sid(5)}].runID, posts[spanKey{tid(1), sid(6)}].parentRun)
			})
		}
	})

	t.Run("langsmith.is_root", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1, attrs: map[string]any{conventions.LangSmithIsRoot: true}})))
		rels := released(t, sink.AllTraces())
		require.Len(t, rels, 1)
		assert.Equal(t, uuid.Nil, rels[0].parentRun)
	})

	t.Run("langsmith.span.parent_id naming a known run", func(t *testing.T) {
		sink := new(consumertest.TracesSink)
		a, _ := newTestAssembler(t, testAssemblyConfig(), sink, nil)
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1}, sp{trace: 1, id: 2, parent: 1, start: 1})))
		other := released(t, sink.AllTraces())[1].runID
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 3, parent: 1, start: 2, attrs: map[string]any{conventions.LangSmithParentID: other.String()}})))
		rels := released(t, sink.AllTraces())
		checkTree(t, rels)
		assert.Equal(t, other, rels[2].parentRun)
	})
}

func TestAssemblerIdentityCache(t *testing.T) {
	ctx := context.Background()
	sink := new(consumertest.TracesSink)
	cfg := testAssemblyConfig()
	cfg.ResolvedMaxTraces = 2
	a, clk := newTestAssembler(t, cfg, sink, nil)
	require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 1})))

	// A late child within ResolvedTTL finds its released parent.
	a.flushDue(clk.advance(cfg.ResolvedTTL - time.Second))
	require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 2, parent: 1, start: 1})))
	assert.Equal(t, 2, sink.SpanCount())
	checkTree(t, released(t, sink.AllTraces()))

	// After ResolvedTTL of quiet the trace is forgotten: a late child waits, then is an orphan.
	a.flushDue(clk.advance(cfg.ResolvedTTL))
	assert.Empty(t, a.traces)
	require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: 1, id: 3, parent: 1, start: 2})))
	assert.Equal(t, 2, sink.SpanCount())
	a.flushDue(clk.advance(cfg.OrphanWait))
	assert.Equal(t, 4, sink.SpanCount(), "orphan under a synthesized root")

	// ResolvedMaxTraces bounds the cache by trace count.
	for i := byte(10); i < 15; i++ {
		require.NoError(t, a.ConsumeTraces(ctx, spans(sp{trace: i, id: 1})))
	}
	assert.LessOrEqual(t, len(a.traces), cfg.ResolvedMaxTraces)
}
