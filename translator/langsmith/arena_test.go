// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Runs translated through an Arena are the runs SpanToRun gives, each keeping its own fields
// while many more runs are written after it, across blocks, a huge field and Resets.
func TestArenaRunsEqualSpanToRun(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "spans", "*.json"))
	require.NoError(t, err)
	type pair struct {
		res   pcommon.Resource
		scope pcommon.InstrumentationScope
		span  ptrace.Span
	}
	var spans []pair
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
		require.NoError(t, err)
		forEachSpan(td, func(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span) {
			spans = append(spans, pair{res, scope, span})
		})
	}
	// A field bigger than a quarter block, and enough plain spans to fill several blocks.
	res, scope, huge := newSpan(map[string]any{"input.value": strings.Repeat("x", arenaChunk/2)})
	spans = append(spans, pair{res, scope, huge})
	for i := range 400 {
		res, scope, span := newSpan(map[string]any{"input.value": fmt.Sprintf("question %d %s", i, strings.Repeat("q", i*3))})
		spans = append(spans, pair{res, scope, span})
	}

	opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "p"}
	var a Arena
	for round := range 3 {
		got := make([]Run, len(spans))
		errs := make([]error, len(spans))
		for i, p := range spans {
			got[i], errs[i] = a.SpanToRun(p.res, p.scope, p.span, opts)
		}
		require.Greater(t, len(a.blocks), 1, "the runs should span several blocks")
		assert.Less(t, cap(a.scratch), arenaChunk/4, "the huge run's buffer is not kept as scratch")
		for i, p := range spans {
			want, wantErr := SpanToRun(p.res, p.scope, p.span, opts)
			if wantErr != nil {
				require.EqualError(t, errs[i], wantErr.Error())
				continue
			}
			require.NoError(t, errs[i])
			assert.Equal(t, want, got[i], "round %d, span %d (%s)", round, i, p.span.Name())
			assert.Equal(t, len(got[i].Inputs), cap(got[i].Inputs), "fields are capped so an append cannot overwrite the next")
		}
		a.Reset()
		assert.Empty(t, a.blocks)
	}
}

// The Arena writes a resource's metadata members once and copies them into each of its spans'
// runs: the runs must be those SpanToRun writes member by member, whatever the spans name
// themselves and however the spans of several resources interleave.
func TestArenaResourceMembersEqualSpanToRun(t *testing.T) {
	td := ptrace.NewTraces()
	resources := []map[string]any{
		{"service.name": "a", "service.version": "1", "team": "search"},
		{"service.name": "b", "tracebridge.tenant.project": "pinned", "deployment.environment.name": "prod"},
		{},
		{"service.name": "c", "gen_ai.request.model": "from-resource", "nested": map[string]any{"k": []any{int64(1), "x"}}},
	}
	spanAttrs := []map[string]any{
		{"gen_ai.operation.name": "chat"},
		{"service.name": "the span's own"},       // a key the resource has: the span's value wins
		{"langsmith.metadata.team": "span team"}, // a metadata key equal to a resource key
		{"gen_ai.request.model": "gpt-4o"},
	}
	for _, ra := range resources {
		rs := td.ResourceSpans().AppendEmpty()
		require.NoError(t, rs.Resource().Attributes().FromRaw(ra))
		ss := rs.ScopeSpans().AppendEmpty()
		for i, sa := range spanAttrs {
			span := ss.Spans().AppendEmpty()
			span.SetTraceID(pcommon.TraceID{1, byte(i)})
			span.SetSpanID(pcommon.SpanID{2, byte(i)})
			span.SetName(fmt.Sprintf("span %d", i))
			require.NoError(t, span.Attributes().FromRaw(sa))
		}
	}
	opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "p"}
	var a Arena
	check := func(rs ptrace.ResourceSpans, span ptrace.Span) {
		t.Helper()
		ss := rs.ScopeSpans().At(0)
		got, err := a.SpanToRun(rs.Resource(), ss.Scope(), span, opts)
		require.NoError(t, err)
		want, err := SpanToRun(rs.Resource(), ss.Scope(), span, opts)
		require.NoError(t, err)
		assert.JSONEq(t, string(want.Extra), string(got.Extra), "%v", rs.Resource().Attributes().AsRaw())
		assert.Equal(t, want, got)
	}
	for range 2 {
		// Resource by resource, as the exporter translates a push; then interleaved.
		for _, rs := range td.ResourceSpans().All() {
			for _, span := range rs.ScopeSpans().At(0).Spans().All() {
				check(rs, span)
			}
		}
		for i := range len(spanAttrs) {
			for _, rs := range td.ResourceSpans().All() {
				check(rs, rs.ScopeSpans().At(0).Spans().At(i))
			}
		}
		a.Reset()
	}
	// A resource changed after a Reset is read again.
	rs := td.ResourceSpans().At(0)
	rs.Resource().Attributes().PutStr("service.name", "renamed")
	check(rs, rs.ScopeSpans().At(0).Spans().At(0))
}

// The Arena's index remembers each attribute position's last keys: spans that put other keys,
// or the same keys in another order, at those positions must be indexed as SpanToRun indexes
// them.
func TestArenaKeyMemoFollowsEachSpansKeys(t *testing.T) {
	orders := [][]string{
		{"gen_ai.request.model", "user.id", "gen_ai.operation.name", "langsmith.span.tags"},
		{"user.id", "gen_ai.request.model", "langsmith.span.tags", "gen_ai.operation.name"},
		{"gen_ai.request.modeX", "user.ix", "gen_ai.operation.namf", "langsmith.span.tagz"}, // same lengths, no slot
		{"gen_ai.request.model", "user.id", "gen_ai.operation.name", "langsmith.span.tags"},
		{"langsmith.metadata.a", "gen_ai.request.top_k", "gen_ai.operation.name", "user.id"},
	}
	opts := Options{IDMode: IDModeUUIDv7, DefaultProject: "p"}
	var a Arena
	for round := range 3 {
		for i, keys := range orders {
			res, scope, span := newSpan(nil)
			for _, k := range keys {
				span.Attributes().PutStr(k, "chat")
			}
			got, err := a.SpanToRun(res, scope, span, opts)
			require.NoError(t, err)
			want, err := SpanToRun(res, scope, span, opts)
			require.NoError(t, err)
			assert.Equal(t, want, got, "round %d, span %d", round, i)
		}
	}
}
