// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadatatest"
	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

var testBase = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testAssemblyConfig() Config {
	return Config{
		OrphanWait:        10 * time.Second,
		OrphanPolicy:      OrphanUnderRoot,
		OpenRunWait:       time.Minute,
		MaxSpans:          100_000,
		MaxBytes:          1 << 30,
		ResolvedTTL:       10 * time.Minute,
		ResolvedMaxTraces: 10_000,
	}
}

// testClock is the assembler's injected clock.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time                    { return c.t }
func (c *testClock) advance(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

func newTestAssembler(t testing.TB, cfg Config, next consumer.Traces, tel *componenttest.Telemetry) (*Assembler, *testClock) {
	t.Helper()
	set := componenttest.NewNopTelemetrySettings()
	if tel != nil {
		set = tel.NewTelemetrySettings()
	}
	tb, err := metadata.NewTelemetryBuilder(set)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	a := New(cfg, langsmith.IDModeUUIDv7, component.MustNewID("langsmith"), zap.NewNop(), tb, next)
	clk := &testClock{t: testBase.Add(time.Hour)}
	a.now = clk.now
	return a, clk
}

// sp describes a test span: IDs are small numbers, times are milliseconds after testBase.
type sp struct {
	trace, id, parent byte
	start, end        int
	name              string
	attrs             map[string]any
	mod               func(ptrace.Span)
}

func tid(b byte) pcommon.TraceID { return pcommon.TraceID{0xaa, b, 15: b} }
func sid(b byte) pcommon.SpanID  { return pcommon.SpanID{0xbb, 7: b} }
func ms(n int) pcommon.Timestamp {
	return pcommon.NewTimestampFromTime(testBase.Add(time.Duration(n) * time.Millisecond))
}

func spans(list ...sp) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "test")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("test-scope")
	for _, s := range list {
		span := ss.Spans().AppendEmpty()
		span.SetTraceID(tid(s.trace))
		span.SetSpanID(sid(s.id))
		if s.parent != 0 {
			span.SetParentSpanID(sid(s.parent))
		}
		span.SetStartTimestamp(ms(s.start))
		end := s.end
		if end == 0 {
			end = s.start + 1
		}
		span.SetEndTimestamp(ms(end))
		name := s.name
		if name == "" {
			name = "span-" + string(rune('a'+s.id%26))
		}
		span.SetName(name)
		for _, k := range slices.Sorted(maps.Keys(s.attrs)) {
			if err := span.Attributes().PutEmpty(k).FromRaw(s.attrs[k]); err != nil {
				panic(err)
			}
		}
		if s.mod != nil {
			s.mod(span)
		}
	}
	return td
}

// rel is one released span as the uploader sees it.
type rel struct {
	traceID                    pcommon.TraceID
	spanID                     pcommon.SpanID
	name                       string
	runID, traceRun, parentRun uuid.UUID
	dotted                     string
	patch                      bool
	orphanOf                   string
	span                       ptrace.Span
}

func released(t testing.TB, tds []ptrace.Traces) []rel {
	t.Helper()
	var out []rel
	for _, td := range tds {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					attrs := span.Attributes()
					get := func(k string) string {
						v, ok := attrs.Get(k)
						if !ok {
							return ""
						}
						return v.AsString()
					}
					r := rel{
						traceID:  span.TraceID(),
						spanID:   span.SpanID(),
						name:     span.Name(),
						dotted:   get(conventions.LangSmithDottedOrder),
						orphanOf: get(conventions.Orphan),
						span:     span,
					}
					// The identity the uploader will read: the translator derives it from the
					// stamped dotted order.
					require.NotEmpty(t, r.dotted, "released span %s carries no dotted order", span.SpanID())
					run, err := langsmith.SpanToRun(rs.Resource(), ss.Scope(), span, langsmith.Options{})
					require.NoError(t, err, "released span %s", span.SpanID())
					r.runID, r.traceRun, r.parentRun = run.ID, run.TraceID, run.ParentRunID
					if v, ok := attrs.Get(conventions.Patch); ok && v.Bool() {
						r.patch = true
					}
					out = append(out, r)
				}
			}
		}
	}
	return out
}

type spanKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// checkTree asserts the LangSmith invariants over everything released: every run posted once,
// its dotted_order = its parent's + one segment of its own, trace ID first, segment times never
// before the parent's, and patches only for posted runs with the same identity. It returns the
// posts by span.
func checkTree(t testing.TB, rels []rel) map[spanKey]rel {
	t.Helper()
	posts := make(map[spanKey]rel)
	byRun := make(map[uuid.UUID]rel)
	for _, r := range rels {
		if r.patch {
			continue
		}
		k := spanKey{r.traceID, r.spanID}
		if _, dup := posts[k]; dup {
			t.Errorf("span %s/%s posted twice", r.traceID, r.spanID)
		}
		posts[k] = r
		byRun[r.runID] = r
	}
	for _, r := range rels {
		segs := strings.Split(r.dotted, ".")
		last := segs[len(segs)-1]
		if !assert.Len(t, last, langsmith.DottedSegmentLen, "segment of %s", r.dotted) {
			continue
		}
		assert.Equal(t, r.runID.String(), last[22:], "last segment is the run")
		assert.Equal(t, r.traceRun.String(), segs[0][22:], "first segment is the trace")
		if r.patch {
			post, ok := posts[spanKey{r.traceID, r.spanID}]
			if assert.True(t, ok, "patch of a run never posted: %s", r.spanID) {
				assert.Equal(t, post.runID, r.runID)
				assert.Equal(t, post.dotted, r.dotted)
			}
			continue
		}
		if r.parentRun == uuid.Nil {
			assert.Len(t, segs, 1, "root %s has one segment", r.spanID)
			assert.Equal(t, r.runID, r.traceRun, "root is its own trace")
			continue
		}
		p, ok := byRun[r.parentRun]
		if !assert.True(t, ok, "parent run of %s was never released", r.spanID) {
			continue
		}
		assert.Equal(t, p.dotted+"."+last, r.dotted, "dotted_order extends the parent's")
		assert.Equal(t, p.traceRun, r.traceRun)
		pt, err := langsmith.ParseDottedSegmentTime(p.dotted[len(p.dotted)-langsmith.DottedSegmentLen:])
		require.NoError(t, err)
		ct, err := langsmith.ParseDottedSegmentTime(last)
		require.NoError(t, err)
		assert.False(t, ct.Before(pt), "child segment %s before parent's %s", ct, pt)
	}
	return posts
}

// parentOf maps each posted span to its parent's OTel span ID (empty for a root).
func parentOf(posts map[spanKey]rel) map[spanKey]pcommon.SpanID {
	byRun := make(map[uuid.UUID]rel, len(posts))
	for _, r := range posts {
		byRun[r.runID] = r
	}
	out := make(map[spanKey]pcommon.SpanID, len(posts))
	for k, r := range posts {
		if r.parentRun != uuid.Nil {
			out[k] = byRun[r.parentRun].spanID
		} else {
			out[k] = pcommon.SpanID{}
		}
	}
	return out
}

func attrStr(span ptrace.Span, k string) string {
	v, ok := span.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

// gate is a next consumer that refuses (like a full queue) while closed.
type gate struct {
	closed atomic.Bool
	sink   consumertest.TracesSink
}

var errQueueFull = errors.New("sending queue is full")

func (g *gate) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if g.closed.Load() {
		return errQueueFull
	}
	return g.sink.ConsumeTraces(ctx, td)
}

func (*gate) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func componenttestTelemetry(t *testing.T) *componenttest.Telemetry {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	return tel
}

func assertParked(t *testing.T, tel *componenttest.Telemetry, v int64) {
	t.Helper()
	metadatatest.AssertEqualExporterLangsmithAssemblySpansParked(t, tel,
		[]metricdata.DataPoint[int64]{{Value: v}}, metricdatatest.IgnoreTimestamp())
}

func assertOrphans(t *testing.T, tel *componenttest.Telemetry, v int64) {
	t.Helper()
	metadatatest.AssertEqualExporterLangsmithAssemblyOrphans(t, tel,
		[]metricdata.DataPoint[int64]{{Value: v}}, metricdatatest.IgnoreTimestamp())
}

func assertEvictions(t *testing.T, tel *componenttest.Telemetry, v int64) {
	t.Helper()
	metadatatest.AssertEqualExporterLangsmithAssemblyEvictions(t, tel,
		[]metricdata.DataPoint[int64]{{Value: v}}, metricdatatest.IgnoreTimestamp())
}
