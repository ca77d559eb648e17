// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

func TestDecodeSessionRejects(t *testing.T) {
	const unprocessable = http.StatusUnprocessableEntity
	tests := []struct {
		name   string
		body   string
		max    int
		opts   []DecodeOption
		status int
		want   []problem
	}{
		{name: "array body", body: `[{}]`, status: unprocessable, want: []problem{{`["body"]`, "model_attributes_type"}}},
		{name: "not JSON", body: `{"children": [}`, status: unprocessable, want: []problem{{`["body",14]`, "json_invalid"}}},
		{name: "children object", body: `{"children": {}}`, status: unprocessable, want: []problem{{`["body","children"]`, "list_type"}}},
		{name: "child not object", body: `{"children": [{}, "turn"]}`, status: unprocessable, want: []problem{{`["body","children",1]`, "model_attributes_type"}}},
		{
			name:   "deep child field",
			body:   `{"children": [{"children": [{}, {"name": 3}]}]}`,
			status: unprocessable,
			want:   []problem{{`["body","children",0,"children",1,"name"]`, "string_type"}},
		},
		{name: "tags element", body: `{"tags": ["a", 1, null]}`, status: unprocessable, want: []problem{
			{`["body","tags",1]`, "string_type"}, {`["body","tags",2]`, "string_type"},
		}},
		{name: "tags string", body: `{"tags": "a,b"}`, status: unprocessable, want: []problem{{`["body","tags"]`, "list_type"}}},
		{name: "metadata list", body: `{"metadata": []}`, status: unprocessable, want: []problem{{`["body","metadata"]`, "dict_type"}}},
		{name: "attributes string", body: `{"children": [{"attributes": "x"}]}`, status: unprocessable, want: []problem{{`["body","children",0,"attributes"]`, "dict_type"}}},
		{name: "duration string", body: `{"children": [{"duration_ms": "1"}]}`, status: unprocessable, want: []problem{{`["body","children",0,"duration_ms"]`, "float_type"}}},
		{name: "duration negative", body: `{"children": [{"duration_ms": -1}]}`, status: unprocessable, want: []problem{{`["body","children",0,"duration_ms"]`, "greater_than_equal"}}},
		{name: "duration infinite", body: `{"children": [{"duration_ms": 1e999}]}`, status: unprocessable, want: []problem{{`["body","children",0,"duration_ms"]`, "finite_number"}}},
		{
			name:   "duration past the end of time",
			body:   `{"children": [{"start_time_unix_nano": 9223372036854775000, "duration_ms": 1}]}`,
			status: unprocessable,
			want:   []problem{{`["body","children",0,"duration_ms"]`, "value_error"}},
		},
		{name: "status_code number", body: `{"children": [{"status_code": 2}]}`, status: unprocessable, want: []problem{{`["body","children",0,"status_code"]`, "string_type"}}},
		{name: "end before start", body: `{"start_time_unix_nano": 2, "end_time_unix_nano": 1}`, status: unprocessable, want: []problem{{`["body","end_time_unix_nano"]`, "value_error"}}},
		{
			name:   "span_id used twice",
			body:   `{"span_id": "00f067aa0ba902b7", "children": [{"span_id": "00F067AA0BA902B7"}]}`,
			status: unprocessable,
			want:   []problem{{`["body","children",0,"span_id"]`, "value_error"}},
		},
		{name: "trace_id bad", body: `{"trace_id": "nope"}`, status: unprocessable, want: []problem{{`["body","trace_id"]`, "value_error"}}},
		{
			name:   "too many spans",
			body:   `{"children": [{"children": [{}]}, {}]}`,
			max:    3,
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{
			name:   "deeper than the default limit",
			body:   chainSession(DefaultMaxSessionDepth + 1),
			status: unprocessable,
			want:   []problem{{chainLoc(DefaultMaxSessionDepth), "value_error"}},
		},
		{
			name: "every node too deep, none below it",
			body: `{"children": [{"children": [{"children": [{}]}, {}, "x"]}]}`,
			opts: []DecodeOption{withMaxSessionDepth(2)},
			// Level 3 holds two nodes too deep and a non-object; level 4 is not looked at.
			status: unprocessable,
			want: []problem{
				{`["body","children",0,"children",0]`, "value_error"},
				{`["body","children",0,"children",1]`, "value_error"},
				{`["body","children",0,"children",2]`, "model_attributes_type"},
			},
		},
		{
			name:   "too many JSON nodes",
			body:   `{"attributes": {"a": 1}, "children": [{}]}`, // 8 nodes
			opts:   []DecodeOption{WithMaxNodes(7)},
			status: http.StatusRequestEntityTooLarge,
			want:   []problem{{`["body"]`, "too_long"}},
		},
		{
			name:   "nested deeper than the JSON limit",
			body:   `{"metadata": {"a": [[]]}}`,
			opts:   []DecodeOption{withMaxNesting(3)},
			status: unprocessable,
			want:   []problem{{`["body",20]`, "json_invalid"}},
		},
		{
			name:   "problems past the cap are counted",
			body:   `{"children": [` + strings.Repeat(`{"name": 1},`, MaxProblems) + `{"name": 1}]}`,
			status: unprocessable,
			want: func() []problem {
				var want []problem
				for i := range MaxProblems {
					want = append(want, problem{fmt.Sprintf(`["body","children",%d,"name"]`, i), "string_type"})
				}
				return append(want, problem{`["body"]`, "too_many_errors"})
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := DecodeSession([]byte(tt.body), tt.max, tt.opts...)
			assert.Nil(t, s)
			requireProblems(t, err, tt.status, tt.want...)
		})
	}
}

func TestSessionDeepTree(t *testing.T) {
	// A chain as deep as JSON nesting allows must decode in one pass and map to a chain of
	// spans, each the parent of the next. Both limits are raised far past their defaults.
	const depth = 4000
	body := strings.Repeat(`{"children":[`, depth) + `{}` + strings.Repeat(`]}`, depth)
	s, err := DecodeSession([]byte(body), 0, withMaxSessionDepth(depth+1), withMaxNesting(2*depth+1))
	require.NoError(t, err)
	td := SessionToTraces(s, testOptions(""))
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	require.Equal(t, depth+1, spans.Len())
	for i := 1; i < spans.Len(); i++ {
		require.Equal(t, spans.At(i-1).SpanID(), spans.At(i).ParentSpanID())
	}
}

// chainSession is a session of the given levels, each node the only child of the one above.
func chainSession(levels int) string {
	return strings.Repeat(`{"children":[`, levels-1) + `{}` + strings.Repeat(`]}`, levels-1)
}

// chainLoc is the loc of the node at level+1 of a chainSession.
func chainLoc(level int) string {
	return `["body"` + strings.Repeat(`,"children",0`, level) + `]`
}

func TestSessionDepthLimit(t *testing.T) {
	// The deepest tree allowed by default decodes, and maps to one span per level.
	s, err := DecodeSession([]byte(chainSession(DefaultMaxSessionDepth)), 0)
	require.NoError(t, err)
	assert.Equal(t, DefaultMaxSessionDepth, 1+countSpans(s.Children))

	// One level more is refused at the node too deep, with a message that says why.
	_, err = DecodeSession([]byte(chainSession(DefaultMaxSessionDepth+1)), 0)
	verr, ok := errors.AsType[*ValidationError](err)
	require.True(t, ok, "%v", err)
	require.Len(t, verr.Details, 1)
	d := verr.Details[0]
	assert.Len(t, d.Loc, 1+2*DefaultMaxSessionDepth)
	reason := "a session tree may be at most 256 levels deep (the root is level 1); this span is at level 257"
	assert.Equal(t, "Value error, "+reason, d.Msg)
	assert.Nil(t, d.Input, "the subtree is not echoed")
	assert.Equal(t, map[string]any{"error": reason, "max_depth": 256}, d.Ctx)

	// A far deeper tree is refused as cheaply: the JSON nesting limit stops it first.
	_, err = DecodeSession([]byte(chainSession(5000)), 0)
	requireProblems(t, err, http.StatusUnprocessableEntity,
		problem{fmt.Sprintf(`["body",%d]`, DefaultMaxNesting/2*len(`{"children":[`)), "json_invalid"})
}

func TestSessionIDsAreStable(t *testing.T) {
	body := []byte(`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","children":[{"name":"a"},{"name":"b","children":[{}]}]}`)
	ids := func() []string {
		s, err := DecodeSession(body, 0)
		require.NoError(t, err)
		spans := SessionToTraces(s, Options{}).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		out := make([]string, spans.Len())
		for i := range out {
			out[i] = spans.At(i).SpanID().String()
		}
		return out
	}
	first := ids()
	assert.Equal(t, first, ids())
	assert.Len(t, first, 4)
	seen := map[string]bool{}
	for _, id := range first {
		assert.False(t, seen[id], "span IDs of one tree must differ")
		seen[id] = true
	}
}

func TestSessionStatus(t *testing.T) {
	s, err := DecodeSession([]byte(`{"children":[{"status_code":"error","status_message":"boom"},{"status_code":"ok"},{"status_code":"weird"}]}`), 0)
	require.NoError(t, err)
	spans := SessionToTraces(s, testOptions("")).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	assert.Equal(t, ptrace.StatusCodeError, spans.At(1).Status().Code())
	assert.Equal(t, "boom", spans.At(1).Status().Message())
	level, _ := spans.At(1).Attributes().Get(conventions.LangfuseObservationLevel)
	assert.Equal(t, "ERROR", level.Str())
	assert.Equal(t, ptrace.StatusCodeOk, spans.At(2).Status().Code())
	assert.Equal(t, ptrace.StatusCodeUnset, spans.At(3).Status().Code())
}
