// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// slot names one attribute the mapping reads. One pass over the span's attributes files each
// known key into its slot, so the mapping does array lookups instead of a linear Map.Get per
// convention (pcommon.Map is a slice of key-value pairs).
type slot uint8

const (
	slotNone slot = iota
	// identity
	slotLSSpanID
	slotLSTraceID
	slotLSParentID
	slotLSDottedOrder
	slotLSIsRoot
	// run type
	slotLSSpanKind
	slotGenAIOperation
	slotGenAIToolName
	slotLLMRequestType
	slotOpenInferenceKind
	slotAIOperationID // Vercel AI SDK ai.operationId
	slotTraceloopKind
	slotLangfuseType
	// name, project, tags
	slotLSTraceName
	slotTraceloopEntityName
	slotLSSessionName
	slotLSSessionID
	slotAIMetaProjectName
	slotAIMetaProjectID
	slotAIMetaRunName
	slotLSMetaRunName
	slotOIToolName
	slotLSTags
	slotLangfuseTags
	slotOpenInferenceTags
	slotLSReferenceExample
	slotLSAttachments
	// inputs and outputs
	slotLangfuseObsInput
	slotLangfuseObsOutput
	slotLangfuseTraceInput
	slotLangfuseTraceOutput
	slotGenAIInputMessages
	slotGenAIOutputMessages
	slotGenAISystemInstructions
	slotGenAIToolCallArgs
	slotGenAIToolCallResult
	slotInputValue
	slotOutputValue
	slotTraceloopInput
	slotTraceloopOutput
	slotGenAIPrompt
	slotGenAICompletion
	slotAIPrompt
	slotAIPromptMessages
	slotAIToolCallName
	slotAIToolCallArgs
	slotAIToolCallInput
	slotAIToolCallResult
	slotAIToolCallOutput
	slotAIResponseText
	slotAIResponseToolCalls
	slotAIResponseObject
	// usage
	slotLSUsageMetadata
	slotLSMetaUsageMetadata
	slotLangfuseUsage
	slotUsageInput
	slotUsagePrompt
	slotUsageOutput
	slotUsageCompletion
	slotUsageTotal
	slotUsageCacheRead
	slotUsageCacheReadAlt
	slotUsageCacheCreation
	slotUsageCacheCreationAlt
	slotUsageReasoning
	slotUsageReasoningOutput
	slotUsageReasoningDetails
	slotUsageReasoningDetailsAlt
	slotUsageInputAudio
	slotUsageOutputAudio
	slotUsageInputDetailsJSON
	slotUsageOutputDetailsJSON
	slotOITokensPrompt
	slotOITokensCompletion
	slotOITokensTotal
	slotOITokensCacheRead
	slotOITokensCacheWrite
	slotOITokensPromptAudio
	slotOITokensReasoning
	slotOITokensCompletionAudio
	slotLLMUsageTotal
	slotAIUsagePromptTokens
	slotAIUsageInputTokens
	slotAIUsageCompletionTokens
	slotAIUsageOutputTokens
	slotAIUsageCachedInput
	slotAIUsageReasoning
	// model, provider, parameters
	slotGenAIRequestModel
	slotGenAIResponseModel
	slotOIModelName
	slotLangfuseModelName
	slotGenAIProviderName
	slotGenAISystem
	slotOIProvider
	slotOISystem
	slotOIInvocationParams
	slotLangfuseModelParams
	// metadata
	slotUserID
	slotLangfuseUserID
	slotSessionID
	slotLangfuseSessionID
	slotGenAIConversationID
	slotLangfuseObsMetadataJSON
	slotLangfuseTraceMetadataJSON
	slotOpenInferenceMetadataJSON
	// errors, state, timing
	slotLangfuseLevel
	slotLangfuseStatusMessage
	slotObservationOpen
	slotPatch
	slotLangfuseCompletionStart

	numSlots
)

// family marks attribute prefixes whose members the mapping gathers (metadata prefixes,
// flattened message lists), so the passes that gather them run only when one is present.
type family uint16

const (
	famLSMetadata family = 1 << iota
	famLangfuseObsMetadata
	famLangfuseTraceMetadata
	famTraceloopAssociation
	famGenAIRequest
	famGenAIPromptN
	famGenAICompletionN
	famOIInputMessages
	famOIOutputMessages
	famOIDocuments
	famAITelemetryMetadata
)

// slotOf returns the slot of a key the mapping reads by exact name.
func slotOf(key string) slot {
	switch key {
	case conventions.LangSmithSpanID:
		return slotLSSpanID
	case conventions.LangSmithTraceID:
		return slotLSTraceID
	case conventions.LangSmithParentID:
		return slotLSParentID
	case conventions.LangSmithDottedOrder:
		return slotLSDottedOrder
	case conventions.LangSmithIsRoot:
		return slotLSIsRoot
	case conventions.LangSmithSpanKind:
		return slotLSSpanKind
	case attrGenAIOperationName:
		return slotGenAIOperation
	case attrGenAIToolName:
		return slotGenAIToolName
	case attrLLMRequestType:
		return slotLLMRequestType
	case attrOpenInferenceSpanKind:
		return slotOpenInferenceKind
	case attrAIOperationID:
		return slotAIOperationID
	case attrAIPrompt:
		return slotAIPrompt
	case attrAIPromptMessages:
		return slotAIPromptMessages
	case attrAIToolCallName:
		return slotAIToolCallName
	case attrAIToolCallArgs:
		return slotAIToolCallArgs
	case attrAIToolCallInput:
		return slotAIToolCallInput
	case attrAIToolCallResult:
		return slotAIToolCallResult
	case attrAIToolCallOutput:
		return slotAIToolCallOutput
	case attrAIResponseText:
		return slotAIResponseText
	case attrAIResponseToolCalls:
		return slotAIResponseToolCalls
	case attrAIResponseObject:
		return slotAIResponseObject
	case attrAIUsagePromptTokens:
		return slotAIUsagePromptTokens
	case attrAIUsageInputTokens:
		return slotAIUsageInputTokens
	case attrAIUsageCompletionTokens:
		return slotAIUsageCompletionTokens
	case attrAIUsageOutputTokens:
		return slotAIUsageOutputTokens
	case attrAIUsageCachedInput:
		return slotAIUsageCachedInput
	case attrAIUsageReasoning:
		return slotAIUsageReasoning
	case attrAIMetaProjectName:
		return slotAIMetaProjectName
	case attrAIMetaProjectID:
		return slotAIMetaProjectID
	case attrAIMetaRunName:
		return slotAIMetaRunName
	case conventions.LangSmithMetadataPrefix + "ls_run_name":
		return slotLSMetaRunName
	case conventions.LangSmithMetadataPrefix + "usage_metadata":
		return slotLSMetaUsageMetadata
	case attrOpenInferenceToolName:
		return slotOIToolName
	case conventions.LangSmithSessionID:
		return slotLSSessionID
	case attrGenAIUsageReasoningOutput:
		return slotUsageReasoningOutput
	case attrTraceloopSpanKind:
		return slotTraceloopKind
	case conventions.LangfuseObservationType:
		return slotLangfuseType
	case conventions.LangSmithTraceName:
		return slotLSTraceName
	case attrTraceloopEntityName:
		return slotTraceloopEntityName
	case conventions.LangSmithSessionName:
		return slotLSSessionName
	case conventions.LangSmithSpanTags:
		return slotLSTags
	case conventions.LangfuseTraceTags:
		return slotLangfuseTags
	case attrOpenInferenceTags:
		return slotOpenInferenceTags
	case conventions.LangSmithReferenceExample:
		return slotLSReferenceExample
	case attrLSAttachments:
		return slotLSAttachments
	case conventions.LangfuseObservationInput:
		return slotLangfuseObsInput
	case conventions.LangfuseObservationOutput:
		return slotLangfuseObsOutput
	case conventions.LangfuseTraceInput:
		return slotLangfuseTraceInput
	case conventions.LangfuseTraceOutput:
		return slotLangfuseTraceOutput
	case attrGenAIInputMessages:
		return slotGenAIInputMessages
	case attrGenAIOutputMessages:
		return slotGenAIOutputMessages
	case attrGenAISystemInstructions:
		return slotGenAISystemInstructions
	case attrGenAIToolCallArguments:
		return slotGenAIToolCallArgs
	case attrGenAIToolCallResult:
		return slotGenAIToolCallResult
	case attrOpenInferenceInputValue:
		return slotInputValue
	case attrOpenInferenceOutputValue:
		return slotOutputValue
	case attrTraceloopEntityInput:
		return slotTraceloopInput
	case attrTraceloopEntityOutput:
		return slotTraceloopOutput
	case attrGenAIPrompt:
		return slotGenAIPrompt
	case attrGenAICompletion:
		return slotGenAICompletion
	case conventions.LangSmithUsageMetadata:
		return slotLSUsageMetadata
	case conventions.LangfuseObservationUsageDetails:
		return slotLangfuseUsage
	case attrGenAIUsageInputTokens:
		return slotUsageInput
	case attrGenAIUsagePromptTokens:
		return slotUsagePrompt
	case attrGenAIUsageOutputTokens:
		return slotUsageOutput
	case attrGenAIUsageCompletionTokens:
		return slotUsageCompletion
	case attrGenAIUsageTotalTokens:
		return slotUsageTotal
	case attrGenAIUsageCacheReadInput:
		return slotUsageCacheRead
	case attrGenAIUsageCacheReadInputAlt:
		return slotUsageCacheReadAlt
	case attrGenAIUsageCacheCreationInput:
		return slotUsageCacheCreation
	case attrGenAIUsageCacheCreationAlt:
		return slotUsageCacheCreationAlt
	case attrGenAIUsageReasoningTokens:
		return slotUsageReasoning
	case attrGenAIUsageReasoningDetails:
		return slotUsageReasoningDetails
	case attrGenAIUsageReasoningDetailsAlt:
		return slotUsageReasoningDetailsAlt
	case attrGenAIUsageInputAudioTokens:
		return slotUsageInputAudio
	case attrGenAIUsageOutputAudioTokens:
		return slotUsageOutputAudio
	case attrGenAIUsageInputTokenDetails:
		return slotUsageInputDetailsJSON
	case attrGenAIUsageOutputTokenDetails:
		return slotUsageOutputDetailsJSON
	case attrOpenInferenceTokensPrompt:
		return slotOITokensPrompt
	case attrOpenInferenceTokensCompletion:
		return slotOITokensCompletion
	case attrOpenInferenceTokensTotal:
		return slotOITokensTotal
	case attrOpenInferenceTokensCacheRead:
		return slotOITokensCacheRead
	case attrOpenInferenceTokensCacheWrite:
		return slotOITokensCacheWrite
	case attrOpenInferenceTokensPromptAudio:
		return slotOITokensPromptAudio
	case attrOpenInferenceTokensReasoning:
		return slotOITokensReasoning
	case attrOpenInferenceTokensComplAudio:
		return slotOITokensCompletionAudio
	case attrLLMUsageTotalTokens:
		return slotLLMUsageTotal
	case attrGenAIRequestModel:
		return slotGenAIRequestModel
	case attrGenAIResponseModel:
		return slotGenAIResponseModel
	case attrOpenInferenceModelName:
		return slotOIModelName
	case conventions.LangfuseObservationModelName:
		return slotLangfuseModelName
	case attrGenAIProviderName:
		return slotGenAIProviderName
	case attrGenAISystem:
		return slotGenAISystem
	case attrOpenInferenceProvider:
		return slotOIProvider
	case attrOpenInferenceSystem:
		return slotOISystem
	case attrOpenInferenceInvocationParams:
		return slotOIInvocationParams
	case conventions.LangfuseObservationModelParameters:
		return slotLangfuseModelParams
	case conventions.UserID:
		return slotUserID
	case conventions.LangfuseUserID:
		return slotLangfuseUserID
	case conventions.SessionID:
		return slotSessionID
	case conventions.LangfuseSessionID:
		return slotLangfuseSessionID
	case attrGenAIConversationID:
		return slotGenAIConversationID
	case conventions.LangfuseObservationMetadata:
		return slotLangfuseObsMetadataJSON
	case conventions.LangfuseTraceMetadata:
		return slotLangfuseTraceMetadataJSON
	case attrOpenInferenceMetadata:
		return slotOpenInferenceMetadataJSON
	case conventions.LangfuseObservationLevel:
		return slotLangfuseLevel
	case conventions.LangfuseObservationStatusMessage:
		return slotLangfuseStatusMessage
	case conventions.ObservationOpen:
		return slotObservationOpen
	case conventions.Patch:
		return slotPatch
	case conventions.LangfuseObservationCompletionStartTime:
		return slotLangfuseCompletionStart
	}
	return slotNone
}

// familyOf returns the prefix family of key, or 0. The key's first byte picks the few prefixes
// it could have, so most keys are not compared with every prefix.
func familyOf(key string) family {
	if key == "" {
		return 0
	}
	switch key[0] {
	case 'g':
		switch {
		case strings.HasPrefix(key, attrGenAIRequestPrefix):
			return famGenAIRequest
		case indexedUnder(key, attrGenAIPrompt):
			return famGenAIPromptN
		case indexedUnder(key, attrGenAICompletion):
			return famGenAICompletionN
		}
		return 0
	case 'l', 't', 'a', 'r':
	default:
		return 0
	}
	switch {
	case strings.HasPrefix(key, conventions.LangSmithMetadataPrefix):
		return famLSMetadata
	case strings.HasPrefix(key, conventions.LangfuseObservationMetadataPrefix):
		return famLangfuseObsMetadata
	case strings.HasPrefix(key, conventions.LangfuseTraceMetadataPrefix):
		return famLangfuseTraceMetadata
	case strings.HasPrefix(key, attrTraceloopAssociationPrefix):
		return famTraceloopAssociation
	case strings.HasPrefix(key, attrAITelemetryMetadataPrefix):
		return famAITelemetryMetadata
	case indexedUnder(key, attrOpenInferenceInputMessages):
		return famOIInputMessages
	case indexedUnder(key, attrOpenInferenceOutputMessages):
		return famOIOutputMessages
	case indexedUnder(key, attrOpenInferenceDocuments):
		return famOIDocuments
	}
	return 0
}

// indexedUnder reports whether key is prefix + "." + digit…, a member of a flattened list.
func indexedUnder(key, prefix string) bool {
	return len(key) > len(prefix)+1 && key[len(prefix)] == '.' && key[len(prefix)+1] >= '0' &&
		key[len(prefix)+1] <= '9' && strings.HasPrefix(key, prefix)
}

// attrIndex is the result of the pass over a span's attributes: where each slot's attribute is,
// which families are present, and which attributes the mapping has consumed. Whatever is not
// consumed at the end goes into extra.metadata under its own key, so no attribute is lost.
type attrIndex struct {
	vals     [numSlots]pcommon.Value
	pos      [numSlots]int32 // attribute position + 1; 0 when absent
	families family
	// used has a bit per attribute position: fixed words for the first 256 attributes (no
	// allocation for ordinary spans), more beyond.
	used [4]uint64
	more []uint64
	// params are the gen_ai.request.* attributes (the invocation parameters), in order, found by
	// the same pass; nParams counts them all, and past len(params) the parameters pass scans.
	params  [8]attrAt
	nParams int
	// hint is the attributes' share of the translation's sizeHint, summed by the same pass.
	hint int
	// memo is classify's, kept by reuse: keys point into the spans an Arena translated, which
	// its Reset forgets.
	memo [24][2]keyMemo
}

// attrAt is one attribute and its position.
type attrAt struct {
	key string
	val pcommon.Value
	pos int
}

func (x *attrIndex) build(attrs pcommon.Map) {
	if n := attrs.Len(); n > 64*len(x.used) {
		x.more = make([]uint64, (n-64*len(x.used)+63)/64)
	}
	i, hint := int32(0), 0
	for k, v := range attrs.All() {
		i++
		hint += attrHint(k, v)
		s, f := x.classify(int(i-1), k)
		if s != slotNone {
			if x.pos[s] == 0 { // keep the first of duplicate keys, as Map.Get would
				x.vals[s], x.pos[s] = v, i
			}
		}
		// gen_ai.request.model has a slot and is also an invocation parameter.
		x.families |= f
		if f == famGenAIRequest {
			if x.nParams < len(x.params) {
				x.params[x.nParams] = attrAt{key: k, val: v, pos: int(i - 1)}
			}
			x.nParams++
		}
	}
	x.hint = hint
}

// classify returns the slot and family of key, the attribute at position i: from the memo
// when one of the last spans indexed (an Arena's) had the same key there, as spans of one
// instrumentation do, since one string comparison is a fraction of what slotOf's switch and
// familyOf's prefix tests cost. Each position remembers two keys, so an agent's root and its
// chat spans, translated in turn, both find theirs.
func (x *attrIndex) classify(i int, key string) (slot, family) {
	if i >= len(x.memo) {
		return slotOf(key), familyOf(key)
	}
	m := &x.memo[i]
	if m[0].known && m[0].key == key {
		return m[0].slot, m[0].fam
	}
	if m[1].known && m[1].key == key {
		return m[1].slot, m[1].fam
	}
	m[1], m[0] = m[0], keyMemo{key: key, slot: slotOf(key), fam: familyOf(key), known: true}
	return m[0].slot, m[0].fam
}

// keyMemo is what classify found for one attribute position's last key.
type keyMemo struct {
	key   string
	slot  slot
	fam   family
	known bool
}

// reuse empties the index for the next span's build. vals and params keep the last span's
// values: nothing reads a slot whose pos is 0 or a parameter past nParams.
func (x *attrIndex) reuse() {
	x.pos = [numSlots]int32{}
	x.families, x.used, x.more, x.nParams = 0, [4]uint64{}, nil, 0
}

// get returns the slot's value and whether the attribute is present (the zero Value when it is
// not: vals may hold an earlier span's, see reuse).
func (x *attrIndex) get(s slot) (pcommon.Value, bool) {
	if x.pos[s] == 0 {
		return pcommon.Value{}, false
	}
	return x.vals[s], true
}

// str returns the slot's value if it is a non-empty string.
func (x *attrIndex) str(s slot) (string, bool) {
	if x.pos[s] == 0 || x.vals[s].Type() != pcommon.ValueTypeStr || x.vals[s].Str() == "" {
		return "", false
	}
	return x.vals[s].Str(), true
}

// consume marks the slot's attribute as mapped into the run.
func (x *attrIndex) consume(s slot) {
	if p := x.pos[s]; p != 0 {
		x.consumeAt(int(p - 1))
	}
}

func (x *attrIndex) consumeAt(i int) {
	if w := i / 64; w < len(x.used) {
		x.used[w] |= 1 << (i % 64)
	} else {
		x.more[w-len(x.used)] |= 1 << (i % 64)
	}
}

func (x *attrIndex) consumed(i int) bool {
	if w := i / 64; w < len(x.used) {
		return x.used[w]&(1<<(i%64)) != 0
	}
	return x.more[i/64-len(x.used)]&(1<<(i%64)) != 0
}

// boolValue reads a flag attribute: a bool, or the strings "true"/"false" some SDKs write.
func boolValue(v pcommon.Value) (b, ok bool) {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return v.Bool(), true
	case pcommon.ValueTypeStr:
		switch strings.ToLower(strings.TrimSpace(v.Str())) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
