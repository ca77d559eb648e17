// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

func TestFamilyOf(t *testing.T) {
	for key, want := range map[string]family{
		"langsmith.metadata.team":                famLSMetadata,
		"langfuse.observation.metadata.k":        famLangfuseObsMetadata,
		"langfuse.trace.metadata.k":              famLangfuseTraceMetadata,
		"traceloop.association.properties.k":     famTraceloopAssociation,
		"ai.telemetry.metadata.k":                famAITelemetryMetadata,
		"gen_ai.request.temperature":             famGenAIRequest,
		"gen_ai.prompt.0.content":                famGenAIPromptN,
		"gen_ai.completion.1.role":               famGenAICompletionN,
		"llm.input_messages.0.message.role":      famOIInputMessages,
		"llm.output_messages.0.message.role":     famOIOutputMessages,
		"retrieval.documents.0.document.content": famOIDocuments,
		"gen_ai.prompt":                          0,
		"gen_ai.usage.input_tokens":              0,
		"langsmith.span.kind":                    0,
		"service.name":                           0,
		"":                                       0,
		"a":                                      0,
		"llm.input_messages":                     0,
		"retrieval.documents.x":                  0,
	} {
		assert.Equal(t, want, familyOf(key), key)
	}
}

// The invocation parameters the index pass records, and past its fixed room the ones a scan
// finds, are all written in attribute order and none is left in metadata.
func TestInvocationParamsAllWritten(t *testing.T) {
	for _, n := range []int{1, 8, 9, 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			res, scope, span := newSpan(map[string]any{})
			a := span.Attributes()
			var want []string
			for i := range n {
				a.PutStr(fmt.Sprintf("other.%d", i), "x")
				a.PutInt(fmt.Sprintf("gen_ai.request.p%d", i), int64(i))
				want = append(want, fmt.Sprintf(`"p%d":%d`, i, i))
			}
			run, err := SpanToRun(res, scope, span, Options{DefaultProject: "p"})
			require.NoError(t, err)
			extra := string(run.Extra)
			assert.Contains(t, extra, `"invocation_params":{`+strings.Join(want, ",")+`}`)
			assert.NotContains(t, extra, "gen_ai.request.")
			assert.Contains(t, extra, fmt.Sprintf(`"other.%d":"x"`, n-1))
		})
	}
}

// Two request parameters with the same last segment: the first is the invocation parameter,
// the second stays in metadata under its full key instead of vanishing, in both the index
// pass and the scan past its room.
func TestInvocationParamsSameNameKeepsBoth(t *testing.T) {
	for _, fill := range []int{0, 10} {
		t.Run(fmt.Sprint(fill), func(t *testing.T) {
			res, scope, span := newSpan(map[string]any{})
			a := span.Attributes()
			for i := range fill {
				a.PutInt(fmt.Sprintf("gen_ai.request.p%d", i), int64(i))
			}
			a.PutInt("gen_ai.request.top_k", 1)
			a.PutInt("gen_ai.request.sampling.top_k", 2)
			run, err := SpanToRun(res, scope, span, Options{DefaultProject: "p"})
			require.NoError(t, err)
			extra := string(run.Extra)
			assert.Contains(t, extra, `"top_k":1`)
			assert.Contains(t, extra, `"gen_ai.request.sampling.top_k":2`)
		})
	}
}

// The names metadata and usage_metadata write with PlainKey must need no escape.
func TestPlainKeysNeedNoEscape(t *testing.T) {
	for _, k := range []string{
		metaTraceID, metaSpanID, FullNameKey, metaScopeName, metaScopeVer,
		metaProvider, metaModelName, metaUserID, metaSessionID,
		"input_tokens", "output_tokens", "total_tokens", "input_token_details", "output_token_details",
		"cache_read", "cache_creation", "audio", "reasoning",
	} {
		assert.Equal(t, `"`+k+`"`, string(jsontext.AppendString(nil, k)))
	}
}
