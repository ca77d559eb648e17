// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/synthetic"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// origRun is a generated run read back generically, as the test's independent view of the input.
type origRun struct {
	ID          string          `json:"id"`
	TraceID     string          `json:"trace_id"`
	ParentRunID string          `json:"parent_run_id"`
	Name        string          `json:"name"`
	RunType     string          `json:"run_type"`
	Inputs      json.RawMessage `json:"inputs"`
	Outputs     json.RawMessage `json:"outputs"`
	Error       *string         `json:"error"`
	Tags        []string        `json:"tags"`
	StartTime   json.RawMessage `json:"start_time"`
	EndTime     json.RawMessage `json:"end_time"`
	Extra       struct {
		Metadata         map[string]any  `json:"metadata"`
		InvocationParams json.RawMessage `json:"invocation_params"`
	} `json:"extra"`
}

// readGenerated generates a file and groups it by trace the way the first pass does.
func readGenerated(t testing.TB, traces int, seed uint64) (map[string]*origRun, []*traceItems) {
	t.Helper()
	var buf bytes.Buffer
	_, err := synthetic.Generate(&buf, synthetic.Options{Traces: traces, Seed: seed})
	require.NoError(t, err)
	orig := map[string]*origRun{}
	groups := map[string]*traceItems{}
	var order []*traceItems
	require.NoError(t, scanInput(&buf, 0, func(it scanItem) error {
		require.NoError(t, it.err)
		var r origRun
		require.NoError(t, json.Unmarshal(it.raw, &r))
		orig[r.ID] = &r
		g := groups[r.TraceID]
		if g == nil {
			g = &traceItems{key: keyOf(r.TraceID)}
			groups[r.TraceID] = g
			order = append(order, g)
		}
		g.items = append(g.items, spilled{key: g.key, raw: bytes.Clone(it.raw), pos: it.pos})
		return nil
	}))
	return orig, order
}

// TestRoundTripThroughTranslator sends generated traces through planning, span building and
// the exporter's own span → run translation, and checks each run against the input, run by run.
func TestRoundTripThroughTranslator(t *testing.T) {
	orig, groups := readGenerated(t, 25, 7)
	ids := NewIDMapper("round-trip")
	const shift = 400*24*time.Hour + 90*time.Minute + 1234*time.Microsecond

	var plans []*tracePlan
	for _, g := range groups {
		tp, err := planTrace(g, planOptions{shift: shift, ids: ids})
		require.NoError(t, err)
		plans = append(plans, tp)
	}
	td := batchTraces(plans, "replayed-project")

	runs := map[uuid.UUID]langsmith.Run{}
	rs := td.ResourceSpans().At(0)
	ss := rs.ScopeSpans().At(0)
	for _, span := range ss.Spans().All() {
		r, err := langsmith.SpanToRun(rs.Resource(), ss.Scope(), span, langsmith.Options{IDMode: langsmith.IDModeUUIDv7, DefaultProject: "default"})
		require.NoError(t, err)
		runs[r.ID] = r
	}
	require.Len(t, runs, len(orig))

	// The test's own expectation of each run's replayed start: shifted, then clamped to the
	// parent's, and its id from that.
	expStart := map[string]time.Time{}
	var startOf func(id string) time.Time
	startOf = func(id string) time.Time {
		if s, ok := expStart[id]; ok {
			return s
		}
		o := orig[id]
		s, _, err := parseTime(o.StartTime)
		require.NoError(t, err)
		s = s.Add(shift).Truncate(time.Microsecond)
		if o.ParentRunID != "" {
			if ps := startOf(o.ParentRunID); s.Before(ps) {
				s = ps
			}
		}
		expStart[id] = s
		return s
	}
	newID := func(old string) uuid.UUID { return ids.RunID(old, startOf(old)) }

	clamped, errored := 0, 0
	for old, o := range orig {
		r, ok := runs[newID(old)]
		require.True(t, ok, "run %s (%s) has its expected new id", old, o.Name)
		assert.Equal(t, o.Name, r.Name)
		assert.Equal(t, o.RunType, r.RunType)
		assert.Equal(t, "replayed-project", r.SessionName)
		assert.Equal(t, newID(o.TraceID), r.TraceID, "trace id is the root's new id")
		if o.ParentRunID == "" {
			assert.Equal(t, uuid.Nil, r.ParentRunID)
		} else {
			assert.Equal(t, newID(o.ParentRunID), r.ParentRunID)
		}
		assert.Equal(t, startOf(old), r.StartTime)
		s, _, _ := parseTime(o.StartTime)
		if !s.Add(shift).Truncate(time.Microsecond).Equal(r.StartTime) {
			clamped++
		}
		end, _, err := parseTime(o.EndTime)
		require.NoError(t, err)
		assert.Equal(t, end.Add(shift).Truncate(time.Microsecond), r.EndTime)

		assertJSONEqual(t, o.Inputs, r.Inputs, "inputs of %s", o.Name)
		assertJSONEqual(t, o.Outputs, r.Outputs, "outputs of %s", o.Name)
		if o.Error != nil {
			errored++
			assert.Equal(t, *o.Error, r.Error)
		} else {
			assert.Empty(t, r.Error)
		}
		if len(o.Tags) == 0 {
			assert.Empty(t, r.Tags)
		} else {
			assert.Equal(t, o.Tags, r.Tags)
		}

		var extra struct {
			Metadata         map[string]any  `json:"metadata"`
			InvocationParams json.RawMessage `json:"invocation_params"`
		}
		require.NoError(t, json.Unmarshal(r.Extra, &extra))
		for k, v := range o.Extra.Metadata {
			assert.Equal(t, v, extra.Metadata[k], "metadata %s of %s keeps its value and type", k, o.Name)
		}
		for k := range extra.Metadata {
			if _, ok := o.Extra.Metadata[k]; !ok {
				assert.True(t, strings.HasPrefix(k, "otel_"), "metadata %q of %s was not in the input", k, o.Name)
			}
		}
		if len(o.Extra.InvocationParams) > 0 {
			assertJSONEqual(t, o.Extra.InvocationParams, extra.InvocationParams, "invocation_params of %s", o.Name)
		}

		// The dotted_order LangSmith checks: the run last, its trace first, its parent before it.
		segs := strings.Split(r.DottedOrder, ".")
		assert.True(t, strings.HasSuffix(segs[len(segs)-1], r.ID.String()))
		assert.True(t, strings.HasSuffix(segs[0], r.TraceID.String()))
		if len(segs) > 1 {
			assert.True(t, strings.HasSuffix(segs[len(segs)-2], r.ParentRunID.String()))
		}
	}
	assert.Positive(t, clamped, "the generated file has children that start before their parent")
	assert.Positive(t, errored, "and runs with errors")
}

func assertJSONEqual(t *testing.T, want, got json.RawMessage, msgAndArgs ...any) {
	t.Helper()
	if isNull(want) {
		assert.Empty(t, got, msgAndArgs...)
		return
	}
	var w, g any
	require.NoError(t, json.Unmarshal(want, &w))
	require.NoError(t, json.Unmarshal(got, &g), msgAndArgs...)
	assert.Equal(t, w, g, msgAndArgs...)
}

// A run's events travel with it, shifted, and metadata values keep their JSON types.
func TestRoundTripEventsAndTypedMetadata(t *testing.T) {
	in := `{"id":"` + rootID + `","trace_id":"` + rootID + `","name":"llm","run_type":"llm",` +
		`"start_time":"2024-01-02T03:04:05","end_time":"2024-01-02T03:04:06",` +
		`"events":[{"name":"new_token","time":"2024-01-02T03:04:05.250000","kwargs":{"token":"Hi"}}],` +
		`"extra":{"metadata":{"n":3,"f":0.5,"b":true,"o":{"k":[1,"x"]},"nil":null,"s":"text"},"runtime":{"sdk":"py"}},` +
		`"inputs":{"q":"<b>&</b>"},"outputs":null,"error":"boom","tags":"a, b"}`
	tp, err := planTrace(traceOf(in), planOptions{shift: time.Hour, ids: NewIDMapper("x")})
	require.NoError(t, err)
	td := batchTraces([]*tracePlan{tp}, "")
	rs := td.ResourceSpans().At(0)
	ss := rs.ScopeSpans().At(0)
	r, err := langsmith.SpanToRun(rs.Resource(), ss.Scope(), ss.Spans().At(0), langsmith.Options{IDMode: langsmith.IDModeUUIDv7, DefaultProject: "default"})
	require.NoError(t, err)

	assert.JSONEq(t, `[{"name":"new_token","time":"2024-01-02T04:04:05.25Z","kwargs":{"token":"Hi"}}]`, string(r.Events))
	var extra struct {
		Metadata map[string]any `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal(r.Extra, &extra))
	assert.InDelta(t, 3, extra.Metadata["n"], 0)
	assert.InDelta(t, 0.5, extra.Metadata["f"], 0)
	assert.Equal(t, true, extra.Metadata["b"])
	assert.Equal(t, map[string]any{"k": []any{float64(1), "x"}}, extra.Metadata["o"])
	assert.Contains(t, extra.Metadata, "nil")
	assert.Nil(t, extra.Metadata["nil"])
	assert.NotContains(t, extra.Metadata, "sdk", "the recording machine's runtime block is not carried")
	assert.Contains(t, string(r.Inputs), `"<b>&</b>"`, "payload text is kept byte for byte, no HTML escaping")
	assert.Empty(t, r.Outputs)
	assert.Equal(t, "boom", r.Error)
	assert.Equal(t, []string{"a", "b"}, r.Tags)
	assert.Equal(t, "default", r.SessionName)
}
