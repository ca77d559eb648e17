// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// ioSide holds what differs between inputs and outputs.
type ioSide struct {
	langfuse, langfuseTrace slot   // langfuse.observation.*, langfuse.trace.*
	messages                slot   // gen_ai.input|output.messages
	toolCall                slot   // gen_ai.tool.call.arguments|result
	flatGenAI               family // gen_ai.prompt|completion.N.*
	flatGenAIPrefix         string
	flatOI                  family // llm.input|output_messages.N.*
	flatOIPrefix            string
	value                   slot // input.value|output.value
	traceloop               slot // traceloop.entity.input|output
	genAI                   slot // gen_ai.prompt|completion (JSON of the LangSmith SDK's inputs|outputs)
	wrapKey                 string
}

var (
	inputSide = ioSide{
		langfuse: slotLangfuseObsInput, langfuseTrace: slotLangfuseTraceInput,
		messages: slotGenAIInputMessages, toolCall: slotGenAIToolCallArgs,
		flatGenAI: famGenAIPromptN, flatGenAIPrefix: attrGenAIPrompt,
		flatOI: famOIInputMessages, flatOIPrefix: attrOpenInferenceInputMessages,
		value: slotInputValue, traceloop: slotTraceloopInput, genAI: slotGenAIPrompt,
		wrapKey: wrapInputKey,
	}
	outputSide = ioSide{
		langfuse: slotLangfuseObsOutput, langfuseTrace: slotLangfuseTraceOutput,
		messages: slotGenAIOutputMessages, toolCall: slotGenAIToolCallResult,
		flatGenAI: famGenAICompletionN, flatGenAIPrefix: attrGenAICompletion,
		flatOI: famOIOutputMessages, flatOIPrefix: attrOpenInferenceOutputMessages,
		value: slotOutputValue, traceloop: slotTraceloopOutput, genAI: slotGenAICompletion,
		wrapKey: wrapOutputKey,
	}
)

// appendInputs writes the run's inputs object, taking the first convention that has one. The
// other conventions' input attributes are then consumed too: instrumentations often write the
// same payload twice (OpenInference input.value and llm.input_messages), and copying the
// duplicates into metadata would double the run's size.
func (t *translation) appendInputs() {
	t.appendIO(&inputSide, true)
}

// appendOutputs writes the outputs object, then adds usage_metadata to it.
//
// Only llm runs carry usage_metadata: LangSmith adds up the tokens and cost of a run's
// descendants into it, so a chain or agent with its own figure would count them twice. The
// token attributes of any other run stay in metadata under their own names.
func (t *translation) appendOutputs() {
	start := len(t.buf)
	t.appendIO(&outputSide, false)
	if t.run.RunType == RunTypeLLM {
		t.appendUsage(start)
	}
}

func (t *translation) appendIO(side *ioSide, input bool) {
	start := len(t.buf)
	wrap := side.wrapKey
	if t.run.RunType == RunTypeRetriever && input {
		wrap = wrapQueryKey // what LangSmith's retriever view reads
	}
	found := t.payloadFrom(side.langfuse, wrap) ||
		t.payloadFrom(side.langfuseTrace, wrap) ||
		t.messagesFrom(side.messages, input) ||
		t.payloadFrom(side.toolCall, wrap) ||
		t.flatMessages(side.flatGenAI, side.flatGenAIPrefix, false) ||
		t.eventMessages(input) ||
		(!input && t.run.RunType == RunTypeRetriever && t.documents()) ||
		t.flatMessages(side.flatOI, side.flatOIPrefix, true) ||
		t.payloadFrom(side.value, wrap) ||
		t.payloadFrom(side.traceloop, wrap) ||
		t.payloadFrom(side.genAI, wrap) ||
		t.vercelIO(input, wrap)
	if !found || len(t.buf) == start {
		return
	}
	x := &t.idx
	if input {
		t.consumeSlots(vercelInputSlots[:])
	} else {
		t.consumeSlots(vercelOutputSlots[:])
	}
	for _, s := range [...]slot{side.langfuse, side.langfuseTrace, side.messages, side.toolCall, side.value, side.traceloop, side.genAI} {
		x.consume(s)
	}
	if input {
		x.consume(slotGenAISystemInstructions)
	}
	fams := side.flatGenAI | side.flatOI
	if !input {
		fams |= famOIDocuments
	}
	t.consumeFamilies(fams)
}

// consumeFamilies marks every attribute of the given families consumed.
func (t *translation) consumeFamilies(fams family) {
	if t.idx.families&fams == 0 {
		return
	}
	i := 0
	for k := range t.attrs.All() {
		if familyOf(k)&fams != 0 {
			t.idx.consumeAt(i)
		}
		i++
	}
}

// payloadFrom writes the slot's value as an inputs/outputs object.
func (t *translation) payloadFrom(s slot, wrap string) bool {
	v, ok := t.idx.get(s)
	if !ok {
		return false
	}
	n := len(t.buf)
	t.buf = appendPayload(t.buf, v, wrap)
	if len(t.buf) == n {
		return false
	}
	t.idx.consume(s)
	return true
}

// appendPayload writes v as a JSON object. JSON object text is used as is; a list of chat
// messages becomes {"messages":[…]}, which LangSmith renders as a conversation; any other JSON
// value or plain text is wrapped as {wrap: value}. An empty value writes nothing.
func appendPayload(dst []byte, v pcommon.Value, wrap string) []byte {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return dst
	case pcommon.ValueTypeMap:
		return jsontext.AppendMap(dst, v.Map())
	case pcommon.ValueTypeSlice:
		if isMessageSlice(v.Slice()) {
			wrap = messagesKey
		}
		return appendWrapped(dst, wrap, func(dst []byte) []byte { return jsontext.AppendValue(dst, v) })
	case pcommon.ValueTypeStr:
		s := jsontext.TrimSpace(v.Str())
		switch jsontext.Classify(s) {
		case jsontext.Object:
			return append(dst, s...)
		case jsontext.Array:
			if isMessageArray(jsontext.StringBytes(s)) {
				wrap = messagesKey
			}
			return appendWrapped(dst, wrap, func(dst []byte) []byte { return append(dst, s...) })
		case jsontext.Scalar:
			return appendWrapped(dst, wrap, func(dst []byte) []byte { return append(dst, s...) })
		}
		if s == "" {
			return dst
		}
		return appendWrapped(dst, wrap, func(dst []byte) []byte { return jsontext.AppendString(dst, v.Str()) })
	default:
		return appendWrapped(dst, wrap, func(dst []byte) []byte { return jsontext.AppendValue(dst, v) })
	}
}

func appendWrapped(dst []byte, key string, value func([]byte) []byte) []byte {
	dst = append(dst, '{')
	dst = jsontext.AppendString(dst, key)
	dst = append(dst, ':')
	dst = value(dst)
	return append(dst, '}')
}

// isMessageArray reports whether the JSON array holds chat messages: objects with a role.
func isMessageArray(arr []byte) bool {
	ok, n := true, 0
	jsontext.EachElement(arr, func(el []byte) bool {
		n++
		ok = len(el) > 0 && el[0] == '{' && jsontext.HasMember(el, "role")
		return ok
	})
	return ok && n > 0
}

func isMessageSlice(s pcommon.Slice) bool {
	if s.Len() == 0 {
		return false
	}
	for i := 0; i < s.Len(); i++ {
		e := s.At(i)
		if e.Type() != pcommon.ValueTypeMap {
			return false
		}
		if _, ok := e.Map().Get("role"); !ok {
			return false
		}
	}
	return true
}

// messagesFrom writes semconv 1.37 gen_ai.input|output.messages (a JSON array of {role, parts}
// messages) as {"messages":[…]} in LangSmith's chat shape (chat.go). On the input side
// gen_ai.system_instructions is prepended as a system message, as Langfuse does, since LangSmith
// shows the system prompt as part of the conversation.
func (t *translation) messagesFrom(s slot, input bool) bool {
	v, ok := t.idx.get(s)
	if !ok {
		return false
	}
	// arr is the messages' JSON text: the attribute's own string, or a structured value encoded
	// at the end of the buffer and moved out of the way once rewritten.
	var arr []byte
	tail := -1
	var spans [64]jsontext.Span
	var ix jsontext.Index
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		if v.Slice().Len() == 0 {
			return false
		}
		tail = len(t.buf)
		t.buf = jsontext.AppendValue(t.buf, v)
		arr = t.buf[tail:]
	case pcommon.ValueTypeStr:
		str := jsontext.TrimSpace(v.Str())
		if str == "" || str[0] != '[' {
			return t.payloadFrom(s, messagesKey)
		}
		// Semconv messages are read and written in one pass; when that pass does not take
		// them, what it wrote is dropped, nothing is consumed, and the general rewrite below
		// starts over.
		out := len(t.buf)
		t.buf = append(t.buf, `{"messages":[`...)
		sys := false
		if input {
			if v, ok := t.idx.get(slotGenAISystemInstructions); ok {
				n := len(t.buf)
				if t.buf = appendSystemMessage(t.buf, v); len(t.buf) > n {
					t.buf, sys = append(t.buf, ','), true
				}
			}
		}
		var ok bool
		if t.buf, ok = t.appendSemconvMessages(jsontext.StringBytes(str)); ok {
			t.buf = append(t.buf, "]}"...)
			if sys {
				t.idx.consume(slotGenAISystemInstructions)
			}
			t.idx.consume(s)
			t.messagesOnly = !input
			return true
		}
		t.buf = t.buf[:out]
		// One pass validates the array and indexes it for the rewrite.
		var valid bool
		if ix, valid = jsontext.ValidIndex(jsontext.StringBytes(str), spans[:0]); !valid {
			return t.payloadFrom(s, messagesKey)
		}
		if jsontext.TrimSpace(str[1:len(str)-1]) == "" {
			return false
		}
		arr = jsontext.StringBytes(str)
	default:
		return false
	}
	out := len(t.buf)
	t.buf = append(t.buf, `{"messages":[`...)
	if input {
		if sys, ok := t.idx.get(slotGenAISystemInstructions); ok {
			n := len(t.buf)
			t.buf = appendSystemMessage(t.buf, sys)
			if len(t.buf) > n {
				t.buf = append(t.buf, ',')
				t.idx.consume(slotGenAISystemInstructions)
			}
		}
	}
	if tail >= 0 {
		ix = jsontext.NewIndex(arr, spans[:0])
	}
	t.buf = appendIndexedChatMessages(t.buf, arr, ix)
	t.buf = append(t.buf, "]}"...)
	if tail >= 0 {
		t.buf = t.buf[:tail+copy(t.buf[tail:], t.buf[out:])]
	}
	t.idx.consume(s)
	t.messagesOnly = !input
	return true
}

// appendSystemMessage writes gen_ai.system_instructions as a system message: a JSON array of
// parts gives its content as a message's parts do, plain text is the content.
func appendSystemMessage(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		tail := len(dst)
		dst = jsontext.AppendValue(dst, v)
		out := len(dst)
		dst = append(dst, `{"role":"system","content":`...)
		dst = appendBlocksContentJSON(dst, dst[tail:out], &semconvParts, nil)
		dst = append(dst, '}')
		return dst[:tail+copy(dst[tail:], dst[out:])]
	case pcommon.ValueTypeStr:
		s := jsontext.TrimSpace(v.Str())
		if s == "" {
			return dst
		}
		dst = append(dst, `{"role":"system","content":`...)
		if jsontext.Classify(s) == jsontext.Array {
			dst = appendBlocksContentJSON(dst, jsontext.StringBytes(s), &semconvParts, nil)
		} else {
			dst = jsontext.AppendString(dst, v.Str())
		}
		return append(dst, '}')
	}
	return dst
}

// collectFlat gathers the attributes flattened under prefix (prefix.N.…) into t.tree, consuming
// them, and reports whether there were any.
func (t *translation) collectFlat(prefix string) bool {
	t.tree.reset(kindArray)
	i := 0
	for k, v := range t.attrs.All() {
		if indexedUnder(k, prefix) && t.tree.insert(k[len(prefix)+1:], v) {
			t.idx.consumeAt(i)
		}
		i++
	}
	return !t.tree.empty()
}

// flatMessages rebuilds a flattened message list (prefix.N.*) as {"messages":[…]} in LangSmith's
// chat shape: the list is written at the end of the buffer, rewritten after it, and moved down.
func (t *translation) flatMessages(fam family, prefix string, openInference bool) bool {
	if t.idx.families&fam == 0 {
		return false
	}
	if !t.collectFlat(prefix) {
		return false
	}
	tail := len(t.buf)
	t.buf = t.tree.appendJSON(t.buf, treeStyle{unwrap: openInference})
	out := len(t.buf)
	t.buf = append(t.buf, `{"messages":[`...)
	t.buf = appendChatMessages(t.buf, t.buf[tail:out])
	t.buf = append(t.buf, "]}"...)
	t.buf = t.buf[:tail+copy(t.buf[tail:], t.buf[out:])]
	return true
}

// documents writes OpenInference retrieval.documents.N.document.* as LangSmith's retriever
// output, {"documents":[{"page_content","metadata","type":"Document",…}]}.
func (t *translation) documents() bool {
	if t.idx.families&famOIDocuments == 0 {
		return false
	}
	if !t.collectFlat(attrOpenInferenceDocuments) {
		return false
	}
	tree := &t.tree
	t.buf = append(t.buf, `{"documents":[`...)
	first := true
	for c := tree.nodes[0].first; c != 0; c = tree.nodes[c].next {
		doc := tree.unwrapped(c)
		if tree.nodes[doc].kind != kindObject {
			continue
		}
		if !first {
			t.buf = append(t.buf, ',')
		}
		first = false
		t.buf = append(t.buf, '{')
		for m := tree.nodes[doc].first; m != 0; m = tree.nodes[m].next {
			node := &tree.nodes[m]
			if node.kind == kindUnset {
				continue
			}
			key := node.key
			if key == "content" {
				key = "page_content"
			}
			t.buf = jsontext.AppendString(t.buf, key)
			t.buf = append(t.buf, ':')
			// OpenInference stores document metadata as a JSON string.
			if s := jsontext.TrimSpace(leafString(node)); key == "metadata" && jsontext.Classify(s) == jsontext.Object {
				t.buf = append(t.buf, s...)
			} else {
				t.buf = tree.appendNode(t.buf, m, treeStyle{unwrap: true}, false)
			}
			t.buf = append(t.buf, ',')
		}
		if tree.lookup(doc, "type") == 0 {
			t.buf = append(t.buf, `"type":"Document",`...)
		}
		t.buf[len(t.buf)-1] = '}' // every member above ends with a comma
	}
	t.buf = append(t.buf, "]}"...)
	return true
}

// leafString returns a string leaf's value, or "".
func leafString(n *flatNode) string {
	if n.kind != kindLeaf || n.val.Type() != pcommon.ValueTypeStr {
		return ""
	}
	return n.val.Str()
}

// isMessageEvent reports the GenAI events that carry prompt or completion content. They become
// inputs and outputs, never run events.
func isMessageEvent(name string) bool {
	switch name {
	case eventGenAISystemMessage, eventGenAIUserMessage, eventGenAIAssistantMessage, eventGenAIToolMessage,
		eventGenAIChoice, eventGenAIContentPrompt, eventGenAIContentCompletion:
		return true
	}
	return false
}

// eventMessages writes the GenAI message events. Inputs: the system/user/assistant/tool message
// events in order — per the semantic conventions all four describe the conversation sent to the
// model — as {"messages":[…]}, else a gen_ai.content.prompt event's gen_ai.prompt. Outputs:
// gen_ai.choice events as {"choices":[…]} (the OpenAI shape LangSmith renders), else a
// gen_ai.content.completion event's gen_ai.completion.
func (t *translation) eventMessages(input bool) bool {
	events := t.span.Events()
	if events.Len() == 0 {
		return false
	}
	start := len(t.buf)
	n := 0
	var content ptrace.SpanEvent
	hasContent := false
	for _, e := range events.All() {
		role := ""
		switch e.Name() {
		case eventGenAISystemMessage:
			role = "system"
		case eventGenAIUserMessage:
			role = "user"
		case eventGenAIAssistantMessage:
			role = "assistant"
		case eventGenAIToolMessage:
			role = "tool"
		case eventGenAIChoice:
			if input {
				continue
			}
		case eventGenAIContentPrompt:
			if input && !hasContent {
				content, hasContent = e, true
			}
			continue
		case eventGenAIContentCompletion:
			if !input && !hasContent {
				content, hasContent = e, true
			}
			continue
		default:
			continue
		}
		if (role != "") != input {
			continue
		}
		if n == 0 {
			if input {
				t.buf = append(t.buf, `{"messages":[`...)
			} else {
				t.buf = append(t.buf, `{"choices":[`...)
			}
		} else {
			t.buf = append(t.buf, ',')
		}
		n++
		t.buf = t.appendEventObject(t.buf, e, role)
	}
	if n > 0 {
		t.buf = append(t.buf, "]}"...)
		return true
	}
	if hasContent {
		key, wrap := attrGenAIPrompt, wrapInputKey
		if !input {
			key, wrap = attrGenAICompletion, wrapOutputKey
		}
		if v, ok := content.Attributes().Get(key); ok {
			t.buf = appendPayload(t.buf, v, wrap)
		}
	}
	return len(t.buf) > start
}

// appendEventObject writes one message or choice event as an object built from its attributes
// (message.content → {"message":{"content":…}}). Semantic Kernel puts the whole message in
// gen_ai.event.content as JSON, which is used as is.
func (t *translation) appendEventObject(dst []byte, e ptrace.SpanEvent, role string) []byte {
	attrs := e.Attributes()
	if v, ok := attrs.Get(attrGenAIEventContent); ok && v.Type() == pcommon.ValueTypeStr {
		if s := jsontext.TrimSpace(v.Str()); jsontext.Classify(s) == jsontext.Object {
			return append(dst, s...)
		}
	}
	tree := &t.tree
	tree.reset(kindObject)
	for k, v := range attrs.All() {
		switch k {
		case attrGenAISystem, attrGenAIProviderName, "event.name":
			continue // the provider belongs to the run, not to each message
		}
		tree.insert(k, v)
	}
	return tree.appendJSON(dst, treeStyle{defaultRole: role})
}
