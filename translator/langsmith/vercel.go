// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// The Vercel AI SDK's spans (ai.*) are read the way the LangSmith JS SDK's OTel exporter turns
// them into LangSmith attributes (langsmith/dist/experimental/otel/exporter.js): the same
// attributes in the same precedence, so a run is the one LangSmith would show for the span sent
// through that exporter. One difference, for the chat view: a provider call's prompt messages
// go under inputs.messages (the exporter wraps them as inputs.input) in LangSmith's chat shape,
// and its text and tool calls become one assistant message.

var (
	vercelInputSlots  = [...]slot{slotAIToolCallInput, slotAIToolCallArgs, slotAIPromptMessages, slotAIPrompt}
	vercelOutputSlots = [...]slot{slotAIToolCallOutput, slotAIToolCallResult, slotAIResponseToolCalls, slotAIResponseObject, slotAIResponseText}
)

func (t *translation) consumeSlots(slots []slot) {
	for _, s := range slots {
		t.idx.consume(s)
	}
}

// vercelIO writes the inputs or outputs of a Vercel AI SDK span, first source winning in the
// exporter's order (it assigns them one after the other, so the last one it assigns wins).
func (t *translation) vercelIO(input bool, wrap string) bool {
	if input {
		if t.payloadFrom(slotAIToolCallInput, wrap) || t.payloadFrom(slotAIToolCallArgs, wrap) {
			return true
		}
		if t.vercelMessages() {
			return true
		}
		return t.payloadFrom(slotAIPrompt, wrap)
	}
	if t.payloadFrom(slotAIToolCallOutput, wrap) || t.payloadFrom(slotAIToolCallResult, wrap) {
		return true
	}
	if t.run.RunType == RunTypeLLM && t.vercelAssistant() {
		return true
	}
	return t.payloadFrom(slotAIResponseToolCalls, wrap) || t.payloadFrom(slotAIResponseObject, wrap) ||
		t.payloadFrom(slotAIResponseText, wrap)
}

// vercelParts is how the AI SDK spells message parts: {type:"text",text},
// {type:"tool-call",toolCallId,toolName,args|input}, {type:"tool-result",toolCallId,result|output}.
var vercelParts = partStyle{
	textKeys: [2]string{"text", "text"}, callType: "tool-call", respType: "tool-result",
	callID: "toolCallId", callName: "toolName", callArgs: [2]string{"args", "input"},
	respID: "toolCallId", resp: [2]string{"result", "output"}, blocks: blockVercel,
}

// vercelMessages writes ai.prompt.messages (a JSON array of the AI SDK's messages) as chat.
func (t *translation) vercelMessages() bool {
	s, ok := t.idx.str(slotAIPromptMessages)
	if !ok {
		return false
	}
	s = jsontext.TrimSpace(s)
	if jsontext.Classify(s) != jsontext.Array || jsontext.TrimSpace(s[1:len(s)-1]) == "" {
		return false
	}
	t.buf = append(t.buf, `{"messages":[`...)
	var w chatWriter
	jsontext.EachElement(jsontext.StringBytes(s), func(el []byte) bool {
		if c := jsonMember(el, "content"); len(el) > 0 && el[0] == '{' && len(c) > 0 && c[0] == '[' {
			t.buf = w.appendPartsMessage(t.buf, el, jsonMember(el, "role"), c, &vercelParts, nil)
		} else {
			t.buf = append(w.sep(t.buf), el...)
		}
		return true
	})
	t.buf = append(t.buf, "]}"...)
	t.idx.consume(slotAIPromptMessages)
	return true
}

// vercelAssistant writes a provider call's ai.response.text and ai.response.toolCalls as one
// assistant message.
func (t *translation) vercelAssistant() bool {
	text, hasText := t.idx.get(slotAIResponseText)
	hasText = hasText && text.Type() == pcommon.ValueTypeStr
	var calls []byte
	if s, ok := t.idx.str(slotAIResponseToolCalls); ok {
		if s = jsontext.TrimSpace(s); jsontext.Classify(s) == jsontext.Array {
			calls = jsontext.StringBytes(s)
		}
	}
	if !hasText && calls == nil {
		return false
	}
	t.buf = append(t.buf, `{"messages":[{"role":"assistant","content":`...)
	if hasText {
		t.buf = jsontext.AppendString(t.buf, text.Str())
	} else {
		t.buf = append(t.buf, `""`...)
	}
	if calls != nil {
		t.buf = append(t.buf, `,"tool_calls":[`...)
		n := 0
		jsontext.EachElement(calls, func(c []byte) bool {
			if n > 0 {
				t.buf = append(t.buf, ',')
			}
			n++
			args := jsonMember(c, "args")
			if args == nil {
				args = jsonMember(c, "input")
			}
			t.buf = appendToolCall(t.buf, jsonMember(c, "toolCallId"), jsonMember(c, "toolName"), args)
			return true
		})
		t.buf = append(t.buf, ']')
	}
	t.buf = append(t.buf, "}]}"...)
	return true
}
