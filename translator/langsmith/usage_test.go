// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPythonIntDict(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want map[string]int64
	}{
		{`{'cache_read': 512, 'audio': None}`, true, map[string]int64{"cache_read": 512}},
		{`{"reasoning": 3}`, true, map[string]int64{"reasoning": 3}},
		{`{}`, true, map[string]int64{}},
		{`{'a': 1.5}`, false, map[string]int64{}},
		{`{'a' 1}`, false, map[string]int64{}},
		{`{'a': 1`, false, map[string]int64{}},
		{`not a dict`, false, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := map[string]int64{}
			ok := pythonIntDict(tt.in, func(k string, n int64) { got[k] = n })
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSpanToRunUsageAndProject(t *testing.T) {
	sessionID := "5f0b6a4e-2c1d-4e8f-9a7b-3c2d1e0f9a8b"
	tests := []struct {
		name        string
		attrs       map[string]any
		tenant      bool
		wantOutputs string
		wantSession string
		wantID      string
		wantMeta    string // a metadata member that must be present, as JSON
	}{
		{name: "python-style details on an llm run", attrs: map[string]any{"gen_ai.operation.name": "chat",
			"gen_ai.usage.input_tokens": int64(10), "gen_ai.usage.input_token_details": `{'cache_read': 4}`},
			wantOutputs: `{"usage_metadata":{"input_tokens":10,"total_tokens":10,"input_token_details":{"cache_read":4}}}`, wantSession: "p"},
		{name: "structured details", attrs: map[string]any{"gen_ai.operation.name": "chat",
			"gen_ai.usage.output_tokens": int64(10), "gen_ai.usage.output_token_details": map[string]any{"reasoning": int64(7)}},
			wantOutputs: `{"usage_metadata":{"output_tokens":10,"total_tokens":10,"output_token_details":{"reasoning":7}}}`, wantSession: "p"},
		{name: "semconv reasoning output tokens", attrs: map[string]any{"gen_ai.operation.name": "chat",
			"gen_ai.usage.output_tokens": int64(10), "gen_ai.usage.reasoning.output_tokens": int64(6)},
			wantOutputs: `{"usage_metadata":{"output_tokens":10,"total_tokens":10,"output_token_details":{"reasoning":6}}}`, wantSession: "p"},
		{name: "metadata usage_metadata on an llm run", attrs: map[string]any{"langsmith.span.kind": "llm",
			"langsmith.metadata.usage_metadata": `{"input_tokens":2,"output_tokens":1,"total_tokens":3}`},
			wantOutputs: `{"usage_metadata":{"input_tokens":2,"output_tokens":1,"total_tokens":3}}`, wantSession: "p"},
		{name: "metadata usage_metadata on a chain run stays metadata, as JSON", attrs: map[string]any{
			"langsmith.metadata.usage_metadata": `{"input_tokens":2}`},
			wantSession: "p", wantMeta: `"usage_metadata":{"input_tokens":2}`},
		{name: "session id names the project", attrs: map[string]any{"langsmith.trace.session_id": sessionID},
			wantID: sessionID},
		{name: "session id beside a session name", attrs: map[string]any{"langsmith.trace.session_id": sessionID, "langsmith.trace.session_name": "named"},
			wantID: sessionID, wantSession: "named"},
		{name: "a session id that is no uuid stays metadata", attrs: map[string]any{"langsmith.trace.session_id": "nope"},
			wantSession: "p", wantMeta: `"langsmith.trace.session_id":"nope"`},
		{name: "the tenant wins over a session id", attrs: map[string]any{"langsmith.trace.session_id": sessionID}, tenant: true,
			wantSession: "acme", wantMeta: `"langsmith.trace.session_id":"` + sessionID + `"`},
		{name: "stop sequences are invocation_params.stop", attrs: map[string]any{"gen_ai.request.stop_sequences": []any{"END"}},
			wantSession: "p", wantMeta: `"invocation_params":{"stop":["END"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := newSpan(tt.attrs)
			if tt.tenant {
				res.Attributes().PutStr("tracebridge.tenant.project", "acme")
			}
			run, err := SpanToRun(res, scope, span, Options{DefaultProject: "p"})
			require.NoError(t, err)
			assertJSONField(t, tt.wantOutputs, run.Outputs)
			assert.Equal(t, tt.wantSession, run.SessionName)
			if tt.wantID != "" {
				assert.Equal(t, uuid.MustParse(tt.wantID), run.SessionID)
			} else {
				assert.Equal(t, uuid.Nil, run.SessionID)
			}
			if tt.wantMeta != "" {
				assert.Contains(t, string(run.Extra), tt.wantMeta)
			}
		})
	}
}

// Outputs the chat rewrite wrote get the span's usage beside the messages.
func TestUsageBesideRewrittenMessages(t *testing.T) {
	res, scope, span := llmBenchSpan(t)
	run, err := SpanToRun(res, scope, span, Options{DefaultProject: "p"})
	require.NoError(t, err)
	require.True(t, json.Valid(run.Outputs), "%s", run.Outputs)
	assert.JSONEq(t, `{"messages":[{"role":"assistant","content":"You spent 0.012 ETH on gas across 9 transactions; the largest transfer was 1.5 ETH to 0xabc on Tuesday.","finish_reason":"stop"}],`+
		`"usage_metadata":{"input_tokens":812,"output_tokens":41,"total_tokens":853}}`, string(run.Outputs))
}
