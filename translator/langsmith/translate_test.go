// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

var update = flag.Bool("update", false, "rewrite testdata/runs from the current output")

// goldenRun is Run rendered for reading: the encoded JSON fields decoded, so goldens show
// structure rather than escaped strings.
type goldenRun struct {
	ID                 string   `json:"id"`
	TraceID            string   `json:"trace_id"`
	ParentRunID        string   `json:"parent_run_id,omitempty"`
	DottedOrder        string   `json:"dotted_order"`
	Name               string   `json:"name"`
	RunType            string   `json:"run_type"`
	SessionName        string   `json:"session_name,omitempty"`
	SessionID          string   `json:"session_id,omitempty"`
	StartTime          string   `json:"start_time"`
	EndTime            string   `json:"end_time,omitempty"`
	Tags               []string `json:"tags,omitempty"`
	ReferenceExampleID string   `json:"reference_example_id,omitempty"`
	Error              string   `json:"error,omitempty"`
	Inputs             any      `json:"inputs,omitempty"`
	Outputs            any      `json:"outputs,omitempty"`
	Extra              any      `json:"extra,omitempty"`
	Events             any      `json:"events,omitempty"`
}

type goldenEntry struct {
	Span  string     `json:"span"`
	Run   *goldenRun `json:"run,omitempty"`
	Error string     `json:"error,omitempty"`
}

func renderRun(t *testing.T, run Run) *goldenRun {
	t.Helper()
	g := &goldenRun{
		ID: run.ID.String(), TraceID: run.TraceID.String(), DottedOrder: run.DottedOrder,
		Name: run.Name, RunType: run.RunType, SessionName: run.SessionName,
		StartTime: run.StartTime.Format(time.RFC3339Nano), Tags: run.Tags, Error: run.Error,
	}
	if run.ParentRunID != uuid.Nil {
		g.ParentRunID = run.ParentRunID.String()
	}
	if run.SessionID != uuid.Nil {
		g.SessionID = run.SessionID.String()
	}
	if run.ReferenceExampleID != uuid.Nil {
		g.ReferenceExampleID = run.ReferenceExampleID.String()
	}
	if !run.EndTime.IsZero() {
		g.EndTime = run.EndTime.Format(time.RFC3339Nano)
	}
	g.Inputs = decodeField(t, "inputs", run.Inputs, '{')
	g.Outputs = decodeField(t, "outputs", run.Outputs, '{')
	g.Extra = decodeField(t, "extra", run.Extra, '{')
	g.Events = decodeField(t, "events", run.Events, '[')
	return g
}

// decodeField checks a raw field is valid JSON of the kind LangSmith requires, with no repeated
// object keys, and decodes it (numbers kept exact).
func decodeField(t *testing.T, name string, raw json.RawMessage, kind byte) any {
	t.Helper()
	if raw == nil {
		return nil
	}
	require.Truef(t, json.Valid(raw), "%s is not valid JSON: %s", name, raw)
	require.Equalf(t, kind, raw[0], "%s has the wrong JSON type: %s", name, raw)
	assertNoDuplicateKeys(t, name, raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// assertNoDuplicateKeys walks the JSON token stream and fails on an object key seen twice.
func assertNoDuplicateKeys(t *testing.T, name string, raw []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		object    bool
		keys      map[string]bool
		expectKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expectKey {
			if key, ok := tok.(string); ok {
				assert.Falsef(t, top.keys[key], "%s repeats key %q", name, key)
				top.keys[key] = true
				top.expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expectKey = true
		}
	}
}

func TestSpanToRunGolden(t *testing.T) {
	spanIDMode := Options{IDMode: IDModeSpanID, DefaultProject: "default-project", ProjectResourceAttribute: "service.namespace"}
	uuidv7Mode := Options{IDMode: IDModeUUIDv7, DefaultProject: "default-project"}
	tests := []struct {
		name string
		opts Options
	}{
		{name: "openinference_llm", opts: spanIDMode},
		{name: "openllmetry", opts: spanIDMode},
		{name: "genai_semconv", opts: uuidv7Mode},
		{name: "langfuse", opts: uuidv7Mode},
		{name: "langsmith_sdk", opts: spanIDMode},
		{name: "error_exception", opts: uuidv7Mode},
		{name: "child_stamped", opts: spanIDMode},
		{name: "vercel_ai", opts: spanIDMode},
		{name: "usage_rules", opts: uuidv7Mode},
		{name: "openinference_tool", opts: spanIDMode},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "spans", "*.json"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every fixture in testdata/spans needs a case here")

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "spans", tt.name+".json"))
			require.NoError(t, err)
			td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
			require.NoError(t, err)

			var entries []goldenEntry
			forEachSpan(td, func(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span) {
				run, err := SpanToRun(res, scope, span, tt.opts)
				if err != nil {
					entries = append(entries, goldenEntry{Span: span.Name(), Error: err.Error()})
					return
				}
				checkRunInvariants(t, run)
				entries = append(entries, goldenEntry{Span: span.Name(), Run: renderRun(t, run)})
			})
			got, err := json.MarshalIndent(entries, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')

			golden := filepath.Join("testdata", "runs", tt.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o600))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run the tests with -update to create the golden file")
			assert.Equal(t, string(want), string(got))
		})
	}
}

// checkRunInvariants asserts what LangSmith validates on every run (the 400 answers it gives, which the emulator reproduces).
func checkRunInvariants(t *testing.T, run Run) {
	t.Helper()
	d, err := parseDottedOrder(run.DottedOrder)
	require.NoError(t, err)
	assert.Equal(t, run.ID, d.last, "dotted_order must end in the run id")
	assert.Equal(t, run.TraceID, d.first, "dotted_order must start with the trace id")
	if d.segments == 1 {
		assert.Equal(t, uuid.Nil, run.ParentRunID)
		assert.Equal(t, run.ID, run.TraceID)
	} else {
		assert.Equal(t, d.penultimate, run.ParentRunID)
	}
	assert.True(t, run.StartTime.Equal(d.lastTime), "start_time must equal the dotted_order segment time")
	if !run.EndTime.IsZero() {
		assert.False(t, run.EndTime.Before(run.StartTime), "end before start")
	}
	assert.Contains(t, []string{RunTypeChain, RunTypeLLM, RunTypeTool, RunTypeRetriever, RunTypeEmbedding, RunTypePrompt, RunTypeParser}, run.RunType)
	assert.NotEmpty(t, run.Name)
	assert.NotNil(t, run.Extra)

	// The run must also survive the wire: every multipart part parses and is valid JSON.
	body, err := multipartBody(testBoundary, []Run{run})
	require.NoError(t, err)
	for _, p := range readParts(t, body, testBoundary) {
		assert.True(t, json.Valid(p.body), "%s: %s", p.name, p.body)
	}
	assert.True(t, json.Valid(AppendBatchJSON(nil, []Run{run})))
}

func forEachSpan(td ptrace.Traces, fn func(pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				fn(rs.Resource(), ss.Scope(), span)
			}
		}
	}
}

// newSpan builds a root span for the unit tests below.
func newSpan(attrs map[string]any) (pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	span := ss.Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	span.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	span.SetName("op")
	start := time.Date(2026, 1, 15, 10, 0, 0, 123456789, time.UTC)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
	if err := span.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return rs.Resource(), ss.Scope(), span
}

func TestSpanToRunInputsOutputs(t *testing.T) {
	tests := []struct {
		name        string
		attrs       map[string]any
		wantInputs  string
		wantOutputs string
	}{
		{name: "plain text is wrapped", attrs: map[string]any{"input.value": "hello", "output.value": "world"},
			wantInputs: `{"input":"hello"}`, wantOutputs: `{"output":"world"}`},
		{name: "JSON object text passes through", attrs: map[string]any{"input.value": ` {"a": [1, 2]} `},
			wantInputs: `{"a": [1, 2]}`},
		{name: "JSON scalar is wrapped as JSON", attrs: map[string]any{"traceloop.entity.input": `42`, "traceloop.entity.output": `"done"`},
			wantInputs: `{"input":42}`, wantOutputs: `{"output":"done"}`},
		{name: "JSON array of messages becomes messages", attrs: map[string]any{"langfuse.observation.input": `[{"role":"user","content":"hi"}]`},
			wantInputs: `{"messages":[{"role":"user","content":"hi"}]}`},
		{name: "JSON array of other values is wrapped", attrs: map[string]any{"langfuse.observation.input": `[1,"two"]`},
			wantInputs: `{"input":[1,"two"]}`},
		{name: "langfuse wins over input.value", attrs: map[string]any{"langfuse.observation.input": "lf", "input.value": "oi"},
			wantInputs: `{"input":"lf"}`},
		{name: "map value becomes an object", attrs: map[string]any{"input.value": map[string]any{"k": "v"}},
			wantInputs: `{"k":"v"}`},
		{name: "text that looks like JSON but is not", attrs: map[string]any{"input.value": `{not json`},
			wantInputs: `{"input":"{not json"}`},
		{name: "usage alone makes outputs", attrs: map[string]any{"langsmith.span.kind": "llm", "gen_ai.usage.input_tokens": int64(3), "gen_ai.usage.output_tokens": "4"},
			wantOutputs: `{"usage_metadata":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}`},
		{name: "usage joins an empty object", attrs: map[string]any{"langsmith.span.kind": "llm", "output.value": `{}`, "gen_ai.usage.total_tokens": 9.0},
			wantOutputs: `{"usage_metadata":{"total_tokens":9}}`},
		{name: "usage on a chain run stays out of outputs", attrs: map[string]any{"gen_ai.operation.name": "invoke_agent", "output.value": `{}`, "gen_ai.usage.total_tokens": 9.0},
			wantOutputs: `{}`},
		{name: "outputs with their own usage_metadata keep it", attrs: map[string]any{"langsmith.span.kind": "llm",
			"gen_ai.completion": `{"usage_metadata":{"input_tokens":1}}`, "gen_ai.usage.input_tokens": int64(5)},
			wantOutputs: `{"usage_metadata":{"input_tokens":1}}`},
		{name: "indexed prompt with a gap closes it", attrs: map[string]any{
			"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "a", "gen_ai.prompt.2.role": "user", "gen_ai.prompt.2.content": "b"},
			wantInputs: `{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}`},
		{name: "indexed prompt out of order is sorted", attrs: map[string]any{
			"gen_ai.prompt.10.content": "k", "gen_ai.prompt.2.content": "c", "gen_ai.prompt.0.tool_calls.1.name": "y", "gen_ai.prompt.0.tool_calls.0.name": "x"},
			wantInputs: `{"messages":[{"tool_calls":[{"type":"function","function":{"name":"x","arguments":"{}"}},{"type":"function","function":{"name":"y","arguments":"{}"}}]},{"content":"c"},{"content":"k"}]}`},
		{name: "retriever plain text input is a query", attrs: map[string]any{"openinference.span.kind": "RETRIEVER", "input.value": "q"},
			wantInputs: `{"query":"q"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := newSpan(tt.attrs)
			run, err := SpanToRun(res, scope, span, Options{})
			require.NoError(t, err)
			// Attributes come from a Go map here, so member order varies; list order must not.
			assertJSONField(t, tt.wantInputs, run.Inputs)
			assertJSONField(t, tt.wantOutputs, run.Outputs)
		})
	}
}

func assertJSONField(t *testing.T, want string, got json.RawMessage) {
	t.Helper()
	if want == "" {
		assert.Nil(t, got)
		return
	}
	assert.JSONEq(t, want, string(got))
}

func TestSpanToRunRunTypeNameTagsProject(t *testing.T) {
	tests := []struct {
		name        string
		attrs       map[string]any
		resAttrs    map[string]any
		opts        Options
		wantType    string
		wantName    string
		wantTags    []string
		wantProject string
	}{
		{name: "defaults", wantType: RunTypeChain, wantName: "op", opts: Options{DefaultProject: "dp"}, wantProject: "dp"},
		{name: "langsmith kind is case-insensitive", attrs: map[string]any{"langsmith.span.kind": "LLM"}, wantType: RunTypeLLM, wantName: "op"},
		{name: "unknown langsmith kind falls through", attrs: map[string]any{"langsmith.span.kind": "weird", "gen_ai.operation.name": "embeddings"}, wantType: RunTypeEmbedding, wantName: "op"},
		{name: "tool name forces tool", attrs: map[string]any{"gen_ai.operation.name": "chat", "gen_ai.tool.name": "calc"}, wantType: RunTypeTool, wantName: "op"},
		{name: "generate_content", attrs: map[string]any{"gen_ai.operation.name": "generate_content"}, wantType: RunTypeLLM, wantName: "op"},
		{name: "openinference reranker", attrs: map[string]any{"openinference.span.kind": "RERANKER"}, wantType: RunTypeRetriever, wantName: "op"},
		{name: "traceloop task", attrs: map[string]any{"traceloop.span.kind": "task", "traceloop.entity.name": "step"}, wantType: RunTypeChain, wantName: "step"},
		{name: "langfuse generation", attrs: map[string]any{"langfuse.observation.type": "generation"}, wantType: RunTypeLLM, wantName: "op"},
		{name: "langfuse event", attrs: map[string]any{"langfuse.observation.type": "event"}, wantType: RunTypeChain, wantName: "op"},
		{name: "langsmith name wins", attrs: map[string]any{"langsmith.trace.name": "ls", "traceloop.entity.name": "tl"}, wantType: RunTypeChain, wantName: "ls"},
		{name: "tags merged and de-duplicated", attrs: map[string]any{"langsmith.span.tags": " a, b ,,a", "langfuse.trace.tags": `["b","c"]`}, wantType: RunTypeChain, wantName: "op", wantTags: []string{"a", "b", "c"}},
		{name: "tenant project wins", attrs: map[string]any{"langsmith.trace.session_name": "span"},
			resAttrs: map[string]any{"tracebridge.tenant.project": "tenant", "langsmith.trace.session_name": "res"}, wantType: RunTypeChain, wantName: "op", wantProject: "tenant"},
		{name: "span session name over resource", attrs: map[string]any{"langsmith.trace.session_name": "span"},
			resAttrs: map[string]any{"langsmith.trace.session_name": "res"}, wantType: RunTypeChain, wantName: "op", wantProject: "span"},
		{name: "resource session name over project attribute", resAttrs: map[string]any{"langsmith.trace.session_name": "res", "service.namespace": "ns"},
			opts: Options{ProjectResourceAttribute: "service.namespace"}, wantType: RunTypeChain, wantName: "op", wantProject: "res"},
		{name: "project attribute over default", resAttrs: map[string]any{"service.namespace": "ns"},
			opts: Options{ProjectResourceAttribute: "service.namespace", DefaultProject: "dp"}, wantType: RunTypeChain, wantName: "op", wantProject: "ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := newSpan(tt.attrs)
			require.NoError(t, res.Attributes().FromRaw(tt.resAttrs))
			run, err := SpanToRun(res, scope, span, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.wantType, run.RunType)
			assert.Equal(t, tt.wantName, run.Name)
			assert.Equal(t, tt.wantTags, run.Tags)
			assert.Equal(t, tt.wantProject, run.SessionName)
		})
	}
}

func TestSpanToRunKeepsUnmappedAttributes(t *testing.T) {
	res, scope, span := newSpan(map[string]any{
		"gen_ai.usage.input_tokens": int64(-1), // odd: negative count
		"langsmith.span.kind":       "nonsense",
		"custom.flag":               true,
		"langsmith.is_root":         "yes", // odd: not a boolean
		"tracebridge.patch":         true,  // the exporter's stamp, not metadata
	})
	res.Attributes().PutStr("host.name", "h1")
	res.Attributes().PutStr("tracebridge.tenant.project", "p")
	run, err := SpanToRun(res, scope, span, Options{})
	require.NoError(t, err)
	var extra struct {
		Metadata map[string]any `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal(run.Extra, &extra))
	assert.Equal(t, map[string]any{
		"otel_trace_id":             "0102030405060708090a0b0c0d0e0f10",
		"otel_span_id":              "0102030405060708",
		"gen_ai.usage.input_tokens": float64(-1),
		"langsmith.span.kind":       "nonsense",
		"custom.flag":               true,
		"langsmith.is_root":         "yes",
		"host.name":                 "h1",
	}, extra.Metadata)
	assert.Nil(t, run.Outputs)
}

func TestSpanToRunIdentityErrors(t *testing.T) {
	tests := []struct {
		name    string
		attrs   map[string]any
		parent  bool
		wantErr string
		isErr   error
	}{
		{name: "child without stamps", parent: true, isErr: ErrUnresolved},
		{name: "parent id without dotted order", attrs: map[string]any{"langsmith.span.parent_id": "00000000-0000-0000-0000-000000000001"}, isErr: ErrUnresolved},
		{name: "malformed span id", attrs: map[string]any{"langsmith.span.id": "nope"}, wantErr: "invalid langsmith.span.id"},
		{name: "span id of the wrong type", attrs: map[string]any{"langsmith.span.id": int64(4)}, wantErr: "not a UUID string"},
		{name: "root with a foreign trace id", attrs: map[string]any{"langsmith.trace.id": "00000000-0000-0000-0000-000000000009"}, wantErr: "a root's trace id must be its own id"},
		{name: "dotted order with three-digit fraction", attrs: map[string]any{"langsmith.span.dotted_order": "20260115T100000123Z00000000-0000-0000-0102-030405060708"}, wantErr: "invalid langsmith.span.dotted_order"},
		{name: "dotted order ending in another run", attrs: map[string]any{"langsmith.span.id": "00000000-0000-0000-0000-000000000002", "langsmith.span.dotted_order": "20260115T100000123456Z00000000-0000-0000-0000-000000000001"}, wantErr: "not in this run's id"},
		{name: "dotted order with upper-case id", attrs: map[string]any{"langsmith.span.id": "00000000-0000-0000-0000-0000000000AB", "langsmith.span.dotted_order": "20260115T100000123456Z00000000-0000-0000-0000-0000000000AB"}, wantErr: "lower-case"},
		{name: "dotted order on an impossible date", attrs: map[string]any{"langsmith.span.dotted_order": "20260230T100000123456Z00000000-0000-0000-0102-030405060708"}, wantErr: "invalid langsmith.span.dotted_order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := newSpan(tt.attrs)
			if tt.parent {
				span.SetParentSpanID(pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9})
			}
			_, err := SpanToRun(res, scope, span, Options{IDMode: IDModeSpanID})
			require.Error(t, err)
			if tt.isErr != nil {
				require.ErrorIs(t, err, tt.isErr)
			}
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "span 0102030405060708: "), err.Error())
		})
	}
}

func TestSpanToRunRootIdentity(t *testing.T) {
	res, scope, span := newSpan(nil)
	run, err := SpanToRun(res, scope, span, Options{IDMode: IDModeUUIDv7})
	require.NoError(t, err)
	start := span.StartTimestamp().AsTime()
	assert.Equal(t, RunID(IDModeUUIDv7, span.TraceID(), span.SpanID(), start), run.ID)
	assert.Equal(t, run.ID, run.TraceID)
	assert.Equal(t, uuid.Nil, run.ParentRunID)
	assert.Equal(t, DottedSegment(start, run.ID), run.DottedOrder)
	assert.Equal(t, time.Date(2026, 1, 15, 10, 0, 0, 123456000, time.UTC), run.StartTime, "start truncated to the segment's microseconds")
	assert.Equal(t, time.Date(2026, 1, 15, 10, 0, 1, 123456000, time.UTC), run.EndTime)
}

// The assembler stamps only langsmith.span.dotted_order: its segments name the run (last), its
// parent (second to last) and the trace (first), and the last segment's time is the start.
func TestSpanToRunIdentityFromDottedOrderAlone(t *testing.T) {
	const dotted = "20260115T100000000001Z00000000-0000-7000-8000-00000000000a." +
		"20260115T100000500000Z00000000-0000-7000-8000-00000000000b." +
		"20260115T100000750000Z00000000-0000-7000-8000-00000000000c"
	res, scope, span := newSpan(map[string]any{"langsmith.span.dotted_order": dotted})
	span.SetParentSpanID(pcommon.SpanID{9})
	run, err := SpanToRun(res, scope, span, Options{IDMode: IDModeUUIDv7})
	require.NoError(t, err)
	assert.Equal(t, uuid.MustParse("00000000-0000-7000-8000-00000000000c"), run.ID)
	assert.Equal(t, uuid.MustParse("00000000-0000-7000-8000-00000000000b"), run.ParentRunID)
	assert.Equal(t, uuid.MustParse("00000000-0000-7000-8000-00000000000a"), run.TraceID)
	assert.Equal(t, dotted, run.DottedOrder)
	assert.Equal(t, time.Date(2026, 1, 15, 10, 0, 0, 750000000, time.UTC), run.StartTime)
}

func TestSpanToRunDoesNotMutateSpan(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "spans", "openinference_llm.json"))
	require.NoError(t, err)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
	require.NoError(t, err)
	before := ptrace.NewTraces()
	td.CopyTo(before)
	forEachSpan(td, func(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span) {
		_, err := SpanToRun(res, scope, span, Options{IDMode: IDModeSpanID})
		require.NoError(t, err)
	})
	assert.True(t, before.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Equal(
		td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()))
}

// TestRunFieldsDoNotAlias checks that appending to one field of a run cannot overwrite another:
// the fields share one buffer but are capped.
func TestRunFieldsDoNotAlias(t *testing.T) {
	res, scope, span := newSpan(map[string]any{"input.value": "a", "output.value": "b"})
	run, err := SpanToRun(res, scope, span, Options{})
	require.NoError(t, err)
	outputs := slices.Clone(run.Outputs)
	_ = append(run.Inputs, "XXXXXXXX"...)
	assert.Equal(t, outputs, run.Outputs)
	assert.Equal(t, len(run.Inputs), cap(run.Inputs))
}

func ExampleSpanToRun() {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("tracebridge.tenant.project", "acme")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})
	span.SetSpanID(pcommon.SpanID{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
	span.SetName("chat gpt-4o")
	span.SetStartTimestamp(pcommon.Timestamp(1704164645678901234))
	span.SetEndTimestamp(pcommon.Timestamp(1704164646100000000))
	span.Attributes().PutStr("gen_ai.operation.name", "chat")
	span.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	span.Attributes().PutInt("gen_ai.usage.input_tokens", 5)
	span.Attributes().PutInt("gen_ai.usage.output_tokens", 2)

	run, err := SpanToRun(rs.Resource(), pcommon.NewInstrumentationScope(), span, Options{IDMode: IDModeSpanID})
	if err != nil {
		panic(err)
	}
	fmt.Println(run.ID, run.RunType, run.SessionName)
	fmt.Println(run.DottedOrder)
	fmt.Println(string(run.Outputs))
	fmt.Println(string(run.Extra))
	// Output:
	// 00000000-0000-0000-0123-456789abcdef llm acme
	// 20240102T030405678901Z00000000-0000-0000-0123-456789abcdef
	// {"usage_metadata":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}
	// {"invocation_params":{"model":"gpt-4o"},"metadata":{"otel_trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","otel_span_id":"0123456789abcdef","ls_model_name":"gpt-4o"}}
}

func TestSpanToRunPatchStamp(t *testing.T) {
	for _, stamp := range []struct {
		name  string
		set   func(pcommon.Map)
		patch bool
	}{
		{"absent", func(pcommon.Map) {}, false},
		{"true", func(m pcommon.Map) { m.PutBool(conventions.Patch, true) }, true},
		{"false", func(m pcommon.Map) { m.PutBool(conventions.Patch, false) }, false},
	} {
		t.Run(stamp.name, func(t *testing.T) {
			td := ptrace.NewTraces()
			rs := td.ResourceSpans().AppendEmpty()
			ss := rs.ScopeSpans().AppendEmpty()
			span := ss.Spans().AppendEmpty()
			span.SetTraceID(pcommon.TraceID{1})
			span.SetSpanID(pcommon.SpanID{2})
			span.SetName("root")
			span.SetStartTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
			stamp.set(span.Attributes())
			run, err := SpanToRun(rs.Resource(), ss.Scope(), span, Options{IDMode: IDModeUUIDv7, DefaultProject: "p"})
			require.NoError(t, err)
			assert.Equal(t, stamp.patch, run.Patch)
			assert.NotContains(t, string(run.Extra), conventions.Patch, "the stamp is never metadata")
		})
	}
}

// IsProjectIDAttribute names exactly the attributes SpanToRun takes a session_id from.
func TestIsProjectIDAttribute(t *testing.T) {
	const id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	for _, key := range []string{
		conventions.LangSmithSessionID, "ai.telemetry.metadata.ls_project_id",
		conventions.LangSmithSessionName, "ai.telemetry.metadata.ls_project_name", "langsmith.metadata.ls_project_id", "session.id",
	} {
		res, scope, span := newSpan(map[string]any{key: id})
		run, err := SpanToRun(res, scope, span, Options{IDMode: IDModeUUIDv7, DefaultProject: "p"})
		require.NoError(t, err)
		assert.Equal(t, run.SessionID.String() == id, IsProjectIDAttribute(key), key)
	}
}
