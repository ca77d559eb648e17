// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

// Attribute names of the LLM tracing conventions the translator reads besides the Langfuse and
// LangSmith ones in translator/conventions (LangSmith's OTLP attribute table,
// https://docs.langchain.com/langsmith/trace-with-opentelemetry). Only
// this package reads them, so they stay unexported here.

import "github.com/tracebridge/tracebridge/translator/conventions"

// OpenTelemetry GenAI semantic conventions (semconv ≥ 1.37, and the older names still emitted).
const (
	attrGenAIOperationName      = "gen_ai.operation.name"
	attrGenAISystem             = "gen_ai.system"
	attrGenAIProviderName       = "gen_ai.provider.name"
	attrGenAIRequestModel       = "gen_ai.request.model"
	attrGenAIResponseModel      = "gen_ai.response.model"
	attrGenAIRequestPrefix      = "gen_ai.request."
	attrGenAIInputMessages      = "gen_ai.input.messages"
	attrGenAIOutputMessages     = "gen_ai.output.messages"
	attrGenAISystemInstructions = "gen_ai.system_instructions"
	attrGenAIToolName           = "gen_ai.tool.name"
	attrGenAIToolCallArguments  = "gen_ai.tool.call.arguments"
	attrGenAIToolCallResult     = "gen_ai.tool.call.result"
	attrGenAIConversationID     = "gen_ai.conversation.id"
	attrGenAIPrompt             = "gen_ai.prompt"     // also the prefix of gen_ai.prompt.N.*
	attrGenAICompletion         = "gen_ai.completion" // also the prefix of gen_ai.completion.N.*

	attrGenAIUsageInputTokens          = "gen_ai.usage.input_tokens"
	attrGenAIUsagePromptTokens         = "gen_ai.usage.prompt_tokens"
	attrGenAIUsageOutputTokens         = "gen_ai.usage.output_tokens"
	attrGenAIUsageCompletionTokens     = "gen_ai.usage.completion_tokens"
	attrGenAIUsageTotalTokens          = "gen_ai.usage.total_tokens"
	attrGenAIUsageCacheReadInput       = "gen_ai.usage.cache_read.input_tokens" // semconv spelling
	attrGenAIUsageCacheReadInputAlt    = "gen_ai.usage.cache_read_input_tokens" // Anthropic/Datadog spelling
	attrGenAIUsageCacheCreationInput   = "gen_ai.usage.cache_creation.input_tokens"
	attrGenAIUsageCacheCreationAlt     = "gen_ai.usage.cache_creation_input_tokens"
	attrGenAIUsageReasoningTokens      = "gen_ai.usage.reasoning_tokens"
	attrGenAIUsageReasoningDetails     = "gen_ai.usage.output_tokens_details.reasoning"
	attrGenAIUsageReasoningDetailsAlt  = "gen_ai.usage.details.reasoning_tokens"
	attrGenAIUsageInputAudioTokens     = "gen_ai.usage.input_tokens_details.audio"
	attrGenAIUsageOutputAudioTokens    = "gen_ai.usage.output_tokens_details.audio"
	attrGenAIUsageInputTokenDetails    = "gen_ai.usage.input_token_details"  // LangSmith SDK: JSON
	attrGenAIUsageOutputTokenDetails   = "gen_ai.usage.output_token_details" // LangSmith SDK: JSON
	attrGenAIEventContent              = "gen_ai.event.content"              // Semantic Kernel: message JSON
	eventGenAISystemMessage            = "gen_ai.system.message"
	eventGenAIUserMessage              = "gen_ai.user.message"
	eventGenAIAssistantMessage         = "gen_ai.assistant.message"
	eventGenAIToolMessage              = "gen_ai.tool.message"
	eventGenAIChoice                   = "gen_ai.choice"
	eventGenAIContentPrompt            = "gen_ai.content.prompt"
	eventGenAIContentCompletion        = "gen_ai.content.completion"
	eventException                     = "exception"
	attrExceptionMessage               = "exception.message"
	attrExceptionType                  = "exception.type"
	attrExceptionStacktrace            = "exception.stacktrace"
	attrLLMUsageTotalTokens            = "llm.usage.total_tokens" // OpenLLMetry
	attrLLMRequestType                 = "llm.request.type"       // OpenLLMetry
	attrOpenInferenceSpanKind          = "openinference.span.kind"
	attrOpenInferenceInputValue        = conventions.OpenInferenceInputValue
	attrOpenInferenceOutputValue       = conventions.OpenInferenceOutputValue
	attrOpenInferenceInputMessages     = "llm.input_messages"
	attrOpenInferenceOutputMessages    = "llm.output_messages"
	attrOpenInferenceModelName         = "llm.model_name"
	attrOpenInferenceProvider          = "llm.provider"
	attrOpenInferenceSystem            = "llm.system"
	attrOpenInferenceInvocationParams  = conventions.OpenInferenceInvocationParams
	attrOpenInferenceTokensPrompt      = "llm.token_count.prompt"
	attrOpenInferenceTokensCompletion  = "llm.token_count.completion"
	attrOpenInferenceTokensTotal       = "llm.token_count.total"
	attrOpenInferenceTokensCacheRead   = "llm.token_count.prompt_details.cache_read"
	attrOpenInferenceTokensCacheWrite  = "llm.token_count.prompt_details.cache_write"
	attrOpenInferenceTokensPromptAudio = "llm.token_count.prompt_details.audio"
	attrOpenInferenceTokensReasoning   = "llm.token_count.completion_details.reasoning"
	attrOpenInferenceTokensComplAudio  = "llm.token_count.completion_details.audio"
	attrOpenInferenceMetadata          = "metadata" // a JSON object
	attrOpenInferenceTags              = "tag.tags"
	attrOpenInferenceDocuments         = "retrieval.documents"
	attrTraceloopSpanKind              = "traceloop.span.kind"
	attrTraceloopEntityName            = "traceloop.entity.name"
	attrTraceloopEntityInput           = "traceloop.entity.input"
	attrTraceloopEntityOutput          = "traceloop.entity.output"
	attrTraceloopAssociationPrefix     = "traceloop.association.properties."
	attrOpenInferenceToolName          = "tool.name"
	attrGenAIUsageReasoningOutput      = "gen_ai.usage.reasoning.output_tokens" // semconv ≥ 1.38
)

// Vercel AI SDK (ai.*) attributes, as the LangSmith JS SDK's OTel exporter reads them
// (langsmith/dist/experimental/otel/exporter.js, utils/vercel.js).
const (
	attrAIOperationID             = "ai.operationId"
	attrAIPrompt                  = "ai.prompt"
	attrAIPromptMessages          = "ai.prompt.messages"
	attrAIToolCallName            = "ai.toolCall.name"
	attrAIToolCallArgs            = "ai.toolCall.args"
	attrAIToolCallInput           = "ai.toolCall.input"
	attrAIToolCallResult          = "ai.toolCall.result"
	attrAIToolCallOutput          = "ai.toolCall.output"
	attrAIResponseText            = "ai.response.text"
	attrAIResponseToolCalls       = "ai.response.toolCalls"
	attrAIResponseObject          = "ai.response.object"
	attrAIUsagePromptTokens       = "ai.usage.promptTokens"
	attrAIUsageInputTokens        = "ai.usage.inputTokens"
	attrAIUsageCompletionTokens   = "ai.usage.completionTokens"
	attrAIUsageOutputTokens       = "ai.usage.outputTokens"
	attrAIUsageCachedInput        = "ai.usage.cachedInputTokens"
	attrAIUsageReasoning          = "ai.usage.reasoningTokens"
	attrAITelemetryMetadataPrefix = "ai.telemetry.metadata."
	attrAIMetaProjectName         = attrAITelemetryMetadataPrefix + "ls_project_name"
	attrAIMetaProjectID           = attrAITelemetryMetadataPrefix + "ls_project_id"
	attrAIMetaRunName             = attrAITelemetryMetadataPrefix + "ls_run_name"
)

// Metadata keys LangSmith gives meaning to.
const (
	metaModelName  = "ls_model_name" // with ls_provider, what LangSmith prices a run by
	metaProvider   = "ls_provider"
	metaUserID     = "user_id"
	metaSessionID  = "session_id" // LangSmith groups runs into threads by this key
	metaTraceID    = "otel_trace_id"
	metaSpanID     = "otel_span_id"
	metaScopeName  = "otel_scope_name"
	metaScopeVer   = "otel_scope_version"
	eventNewToken  = "new_token" // LangSmith's time-to-first-token marker
	wrapInputKey   = "input"
	wrapOutputKey  = "output"
	wrapQueryKey   = "query"
	messagesKey    = "messages"
	usageKey       = "usage_metadata"
	documentsKey   = "documents"
	choicesKey     = "choices"
	unnamedRunName = "Unnamed" // the Python SDK's default; LangSmith requires a name
)
