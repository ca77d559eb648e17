// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package smithemu

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRenderIssues(t *testing.T) {
	usage := map[string]any{"usage_metadata": map[string]any{"input_tokens": 1}}
	tests := []struct {
		name string
		run  Run
		want []string
	}{
		{"llm chat renders", Run{RunType: "llm",
			Inputs:  map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}},
			Outputs: map[string]any{"messages": []any{map[string]any{"role": "assistant", "tool_calls": []any{}}}, "usage_metadata": map[string]any{}}}, nil},
		{"content blocks render", Run{RunType: "llm",
			Inputs: map[string]any{"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "x"}}}}}}, nil},
		{"semconv parts do not", Run{RunType: "llm",
			Inputs: map[string]any{"messages": []any{map[string]any{"role": "user", "parts": []any{}}}}},
			[]string{"inputs.messages[0] has no content: not shown as chat"}},
		{"a message without a role", Run{RunType: "llm",
			Outputs: map[string]any{"messages": []any{map[string]any{"content": "x"}}}},
			[]string{"outputs.messages[0] has no role: not shown as chat"}},
		{"usage on a chain", Run{RunType: "chain", Outputs: usage},
			[]string{"usage_metadata on a chain run: its tokens and cost are counted twice"}},
		{"usage on a tool", Run{RunType: "tool", Outputs: usage},
			[]string{"usage_metadata on a tool run: its tokens and cost are counted twice"}},
		{"messages of a chain are not checked", Run{RunType: "chain",
			Inputs: map[string]any{"messages": []any{map[string]any{"parts": []any{}}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, renderIssues(&tt.run))
		})
	}
}

// TestRenderIssuesReadBack checks the flags reach the /_emu/runs read-back.
func TestRenderIssuesReadBack(t *testing.T) {
	_, srv, _ := startEmu(t, nil)
	r := postBatch(t, srv, nil, []map[string]any{
		with(rootRun(), "outputs", map[string]any{"usage_metadata": map[string]any{"total_tokens": 3}}),
		with(childRun(), "inputs", map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}}),
	}, nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	resp, err := http.Get(srv.URL + "/_emu/runs?trace_id=" + rootID)
	require.NoError(t, err)
	defer resp.Body.Close()
	var runs []Run
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&runs))
	require.Len(t, runs, 2)
	for _, run := range runs {
		if run.ID == rootID {
			assert.Equal(t, []string{"usage_metadata on a chain run: its tokens and cost are counted twice"}, run.RenderIssues)
		} else {
			assert.Empty(t, run.RenderIssues)
		}
	}
}
