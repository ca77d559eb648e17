// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// kindSources are the conventions naming a run type, in precedence order.
var kindSources = [...]struct {
	s  slot
	fn func(string) string
}{
	{slotLSSpanKind, langSmithRunType},
	{slotAIOperationID, vercelRunType},
	{slotGenAIOperation, genAIOperationRunType},
	{slotLLMRequestType, llmRequestRunType},
	{slotOpenInferenceKind, openInferenceRunType},
	{slotTraceloopKind, traceloopRunType},
	{slotLangfuseType, langfuseRunType},
}

// runType picks the run type from the first convention that names a known one; an unknown
// value falls through to the next convention, as in Langfuse's type mapper. A gen_ai.tool.name
// makes a tool run whatever the operation says (CP and Langfuse agree), unless
// langsmith.span.kind says otherwise. Kind attributes that agree with the result are consumed;
// ones that disagree or are unknown stay in metadata, where they tell the reader something.
func (t *translation) runType() string {
	x := &t.idx
	rt := kindOf(x, kindSources[0].s, kindSources[0].fn)
	if _, ok := x.str(slotGenAIToolName); ok && rt == "" {
		rt = RunTypeTool
	}
	for _, k := range kindSources[1:] {
		if rt != "" {
			break
		}
		rt = kindOf(x, k.s, k.fn)
	}
	if rt == "" {
		rt = RunTypeChain
	}
	for _, k := range kindSources {
		if kindOf(x, k.s, k.fn) == rt {
			x.consume(k.s)
		}
	}
	return rt
}

// kindOf maps the slot's string through fn; "" when absent or unknown.
func kindOf(x *attrIndex, s slot, fn func(string) string) string {
	v, ok := x.get(s)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return ""
	}
	return fn(strings.ToLower(strings.TrimSpace(v.Str())))
}

func langSmithRunType(v string) string {
	switch v {
	case RunTypeChain, RunTypeLLM, RunTypeTool, RunTypeRetriever, RunTypeEmbedding, RunTypePrompt, RunTypeParser:
		return v
	}
	return ""
}

// vercelRunType reads the Vercel AI SDK's ai.operationId as the LangSmith JS SDK's exporter
// does: the provider calls are llm runs, ai.toolCall a tool run; the wrapping ai.generateText
// and friends are left to the other conventions (chain by default). The value is lower-cased
// before it gets here.
func vercelRunType(v string) string {
	switch v {
	case "ai.generatetext.dogenerate", "ai.streamtext.dostream", "ai.generateobject.dogenerate", "ai.streamobject.dostream":
		return RunTypeLLM
	case "ai.toolcall":
		return RunTypeTool
	}
	return ""
}

func genAIOperationRunType(v string) string {
	switch v {
	case "chat", "completion", "text_completion", "generate_content", "generate":
		return RunTypeLLM
	case "embeddings", "embedding":
		return RunTypeEmbedding
	case "execute_tool":
		return RunTypeTool
	case "retrieval", "retrieve":
		return RunTypeRetriever
	case "invoke_agent", "create_agent", "invoke_workflow", "chain":
		return RunTypeChain
	}
	return ""
}

// llmRequestRunType reads OpenLLMetry's llm.request.type (chat, completion, embedding, rerank).
func llmRequestRunType(v string) string {
	switch v {
	case "chat", "completion":
		return RunTypeLLM
	case "embedding", "embeddings":
		return RunTypeEmbedding
	case "rerank":
		return RunTypeRetriever
	}
	return ""
}

func openInferenceRunType(v string) string {
	switch v {
	case "llm":
		return RunTypeLLM
	case "embedding":
		return RunTypeEmbedding
	case "retriever", "reranker":
		return RunTypeRetriever
	case "tool":
		return RunTypeTool
	case "prompt":
		return RunTypePrompt
	case "chain", "agent", "guardrail", "evaluator":
		return RunTypeChain
	}
	return ""
}

func traceloopRunType(v string) string {
	switch v {
	case "workflow", "task", "agent":
		return RunTypeChain
	case "tool":
		return RunTypeTool
	case "llm":
		return RunTypeLLM
	}
	return ""
}

func langfuseRunType(v string) string {
	switch v {
	case "generation":
		return RunTypeLLM
	case "tool":
		return RunTypeTool
	case "retriever":
		return RunTypeRetriever
	case "embedding":
		return RunTypeEmbedding
	case "agent", "chain", "span", "event", "guardrail", "evaluator":
		return RunTypeChain
	}
	return ""
}
