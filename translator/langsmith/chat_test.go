// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpanToRunChatMessages checks every convention's messages come out in the shape LangSmith
// renders as a chat: role + content, OpenAI tool calls, tool results as role "tool" messages.
func TestSpanToRunChatMessages(t *testing.T) {
	tests := []struct {
		name        string
		attrs       map[string]any
		wantInputs  string
		wantOutputs string
	}{
		{name: "semconv text parts are joined into content", attrs: map[string]any{
			"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"a"},{"type":"text","content":"b \"q\""}]}]`},
			wantInputs: `{"messages":[{"role":"user","content":"a\nb \"q\""}]}`},
		{name: "semconv system instructions become a system message", attrs: map[string]any{
			"gen_ai.system_instructions": `[{"type":"text","content":"Be brief."}]`,
			"gen_ai.input.messages":      `[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]`},
			wantInputs: `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}`},
		{name: "semconv tool call and tool result", attrs: map[string]any{
			"gen_ai.input.messages": `[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"get_weather","arguments":{"city":"Paris"}}]},` +
				`{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"temp":21}}]}]`,
			"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Sunny."}],"finish_reason":"stop"}]`},
			wantInputs: `{"messages":[{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
				`{"role":"tool","tool_call_id":"c1","content":"{\"temp\":21}"}]}`,
			wantOutputs: `{"messages":[{"role":"assistant","content":"Sunny.","finish_reason":"stop"}]}`},
		{name: "semconv media parts become content blocks", attrs: map[string]any{
			"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"What is this?"},` +
				`{"type":"uri","modality":"image","uri":"https://x/cat.png"},{"type":"blob","mime_type":"image/png","content":"iVBO"}]}]`},
			wantInputs: `{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},` +
				`{"type":"image_url","image_url":{"url":"https://x/cat.png"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}}]}]}`},
		{name: "semconv structured messages", attrs: map[string]any{
			"gen_ai.input.messages": []any{map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": "Hi"}}}}},
			wantInputs: `{"messages":[{"role":"user","content":"Hi"}]}`},
		{name: "openinference multimodal contents become content", attrs: map[string]any{
			"llm.input_messages.0.message.role":                                       "user",
			"llm.input_messages.0.message.contents.0.message_content.type":            "text",
			"llm.input_messages.0.message.contents.0.message_content.text":            "Describe",
			"llm.input_messages.0.message.contents.1.message_content.type":            "image",
			"llm.input_messages.0.message.contents.1.message_content.image.image.url": "https://x/a.jpg"},
			wantInputs: `{"messages":[{"role":"user","content":[{"type":"text","text":"Describe"},{"type":"image_url","image_url":{"url":"https://x/a.jpg"}}]}]}`},
		{name: "openinference tool calls get the function type", attrs: map[string]any{
			"llm.output_messages.0.message.role":                                      "assistant",
			"llm.output_messages.0.message.tool_calls.0.tool_call.id":                 "call_1",
			"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":      "f",
			"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": `{"a":1}`},
			wantOutputs: `{"messages":[{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}]}`},
		{name: "openllmetry flat tool calls are nested", attrs: map[string]any{
			"gen_ai.completion.0.role":                   "assistant",
			"gen_ai.completion.0.finish_reason":          "tool_calls",
			"gen_ai.completion.0.tool_calls.0.id":        "call_2",
			"gen_ai.completion.0.tool_calls.0.name":      "g",
			"gen_ai.completion.0.tool_calls.0.arguments": `{"b":2}`},
			wantOutputs: `{"messages":[{"role":"assistant","tool_calls":[{"id":"call_2","type":"function","function":{"name":"g","arguments":"{\"b\":2}"}}],"finish_reason":"tool_calls"}]}`},
		{name: "openllmetry tool result keeps its id", attrs: map[string]any{
			"gen_ai.prompt.0.role": "tool", "gen_ai.prompt.0.content": "21C", "gen_ai.prompt.0.tool_call_id": "call_2"},
			wantInputs: `{"messages":[{"role":"tool","content":"21C","tool_call_id":"call_2"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := newSpan(tt.attrs)
			run, err := SpanToRun(res, scope, span, Options{})
			require.NoError(t, err)
			assertJSONField(t, tt.wantInputs, run.Inputs)
			assertJSONField(t, tt.wantOutputs, run.Outputs)
		})
	}
}
