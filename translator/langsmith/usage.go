// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// usageField is one number of LangSmith's usage_metadata.
type usageField uint8

const (
	usageInput usageField = iota
	usageOutput
	usageTotal
	usageCacheRead     // input_token_details.cache_read
	usageCacheCreation // input_token_details.cache_creation
	usageInputAudio    // input_token_details.audio
	usageReasoning     // output_token_details.reasoning
	usageOutputAudio   // output_token_details.audio
	numUsageFields
)

// usage collects token counts; the first source to give a field wins.
type usage struct {
	n   [numUsageFields]int64
	set uint16
}

func (u *usage) put(f usageField, n int64) {
	if u.set&(1<<f) == 0 {
		u.n[f], u.set = n, u.set|1<<f
	}
}

func (u *usage) has(f usageField) bool { return u.set&(1<<f) != 0 }

// usageSources lists, in precedence order, the attributes holding one token count: GenAI
// semconv (with its older and vendor spellings), OpenInference, OpenLLMetry. Counts here are
// inclusive, as in LangSmith: input includes cached and audio input tokens, output includes
// reasoning tokens.
var usageSources = [...]struct {
	s slot
	f usageField
}{
	{slotUsageInput, usageInput},
	{slotUsagePrompt, usageInput},
	{slotUsageOutput, usageOutput},
	{slotUsageCompletion, usageOutput},
	{slotUsageTotal, usageTotal},
	{slotUsageCacheRead, usageCacheRead},
	{slotUsageCacheReadAlt, usageCacheRead},
	{slotUsageCacheCreation, usageCacheCreation},
	{slotUsageCacheCreationAlt, usageCacheCreation},
	{slotUsageReasoning, usageReasoning},
	{slotUsageReasoningOutput, usageReasoning},
	{slotUsageReasoningDetails, usageReasoning},
	{slotUsageReasoningDetailsAlt, usageReasoning},
	{slotUsageInputAudio, usageInputAudio},
	{slotUsageOutputAudio, usageOutputAudio},
	{slotOITokensPrompt, usageInput},
	{slotOITokensCompletion, usageOutput},
	{slotOITokensTotal, usageTotal},
	{slotOITokensCacheRead, usageCacheRead},
	{slotOITokensCacheWrite, usageCacheCreation},
	{slotOITokensPromptAudio, usageInputAudio},
	{slotOITokensReasoning, usageReasoning},
	{slotOITokensCompletionAudio, usageOutputAudio},
	{slotLLMUsageTotal, usageTotal},
	// Vercel AI SDK, read as the LangSmith JS SDK's exporter reads them (v4 spelling first).
	{slotAIUsagePromptTokens, usageInput},
	{slotAIUsageInputTokens, usageInput},
	{slotAIUsageCompletionTokens, usageOutput},
	{slotAIUsageOutputTokens, usageOutput},
	{slotAIUsageCachedInput, usageCacheRead},
	{slotAIUsageReasoning, usageReasoning},
}

// appendUsage adds usage_metadata to the outputs object that starts at start (or creates
// outputs holding only usage): LangSmith reads token counts, and prices runs, from there.
func (t *translation) appendUsage(start int) {
	x := &t.idx
	var u usage
	for _, src := range usageSources {
		if v, ok := x.get(src.s); ok {
			if n, ok := intValue(v); ok {
				u.put(src.f, n)
				x.consume(src.s)
			}
		}
	}
	// The LangSmith SDK writes the detail objects as JSON next to langsmith.usage_metadata.
	if t.tokenDetails(slotUsageInputDetailsJSON, &u, inputDetailField) {
		x.consume(slotUsageInputDetailsJSON)
	}
	if t.tokenDetails(slotUsageOutputDetailsJSON, &u, outputDetailField) {
		x.consume(slotUsageOutputDetailsJSON)
	}
	if v, ok := x.get(slotLangfuseUsage); ok && langfuseUsage(v, &u) {
		x.consume(slotLangfuseUsage)
	}

	// langsmith.usage_metadata is the SDK's own object and wins whole; the usage_metadata the
	// SDKs keep in a run's metadata (langsmith.metadata.usage_metadata) is the same object, below
	// it, as in the JS SDK's translator.
	var explicit string
	for _, s := range [...]slot{slotLSUsageMetadata, slotLSMetaUsageMetadata} {
		if str, ok := x.str(s); ok {
			if str = jsontext.TrimSpace(str); jsontext.Classify(str) == jsontext.Object {
				explicit = str
				x.consume(s)
				break
			}
		}
	}
	if explicit == "" && u.set == 0 {
		return
	}
	outputs := t.buf[start:]
	switch {
	case len(outputs) == 0:
		t.buf = append(t.buf, '{')
	case !t.messagesOnly && jsontext.HasMember(outputs, usageKey):
		return // the outputs carry their own usage_metadata (the LangSmith SDK puts it there)
	default:
		// Reopen the object: drop its closing brace, and separate from any member before it.
		t.buf = t.buf[:len(t.buf)-1]
		if !onlySpace(t.buf[start+1:]) {
			t.buf = append(t.buf, ',')
		}
	}
	t.buf = append(t.buf, `"usage_metadata":`...)
	if explicit != "" {
		t.buf = append(t.buf, explicit...)
	} else {
		t.buf = u.appendJSON(t.buf)
	}
	t.buf = append(t.buf, '}')
}

func inputDetailField(key string) (usageField, bool) {
	switch key {
	case "cache_read":
		return usageCacheRead, true
	case "cache_creation":
		return usageCacheCreation, true
	case "audio":
		return usageInputAudio, true
	}
	return 0, false
}

func outputDetailField(key string) (usageField, bool) {
	switch key {
	case "reasoning":
		return usageReasoning, true
	case "audio":
		return usageOutputAudio, true
	}
	return 0, false
}

func onlySpace(b []byte) bool {
	for _, c := range b {
		if !jsontext.IsSpace(c) {
			return false
		}
	}
	return true
}

// tokenDetails reads a token-details object of the slot into u: JSON (the JS SDK), a Python
// dict's repr (the Python SDK writes str(dict): {'cache_read': 10}), or a map value.
func (t *translation) tokenDetails(s slot, u *usage, field func(string) (usageField, bool)) bool {
	v, ok := t.idx.get(s)
	if !ok {
		return false
	}
	put := func(key string, n int64) {
		if f, ok := field(key); ok {
			u.put(f, n)
		}
	}
	if v.Type() == pcommon.ValueTypeMap {
		for k, mv := range v.Map().All() {
			if n, ok := intValue(mv); ok {
				put(k, n)
			}
		}
		return true
	}
	str, ok := t.idx.str(s)
	if !ok {
		return false
	}
	str = jsontext.TrimSpace(str)
	if jsontext.Classify(str) != jsontext.Object {
		return pythonIntDict(str, put)
	}
	jsontext.EachMember(jsontext.StringBytes(str), func(rawKey, val []byte) bool {
		if n, ok := jsontext.Int(val); ok {
			put(jsontext.BytesString(rawKey[1:len(rawKey)-1]), n)
		}
		return true
	})
	return true
}

// pythonIntDict reads the repr of a Python dict of names to counts, {'a': 1, 'b': None}, calling
// put for each integer member. It reports false, having called nothing, for any other text.
func pythonIntDict(s string, put func(string, int64)) bool {
	type member struct {
		key string
		n   int64
		ok  bool
	}
	var fixed [8]member
	members := fixed[:0]
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return false
	}
	i := 1
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
	}
	for skip(); i < len(s)-1; skip() {
		q := s[i]
		if q != '\'' && q != '"' {
			return false
		}
		end := strings.IndexByte(s[i+1:], q)
		if end < 0 {
			return false
		}
		key := s[i+1 : i+1+end]
		i += end + 2
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) || s[i] != ':' {
			return false
		}
		i++
		for i < len(s) && s[i] == ' ' {
			i++
		}
		j := i
		for j < len(s)-1 && s[j] != ',' && s[j] != ' ' {
			j++
		}
		val := s[i:j]
		i = j
		if val == "None" {
			continue
		}
		n, ok := jsontext.ParseDigits(jsontext.StringBytes(val))
		if !ok {
			return false
		}
		members = append(members, member{key, n, true})
	}
	for _, m := range members {
		put(m.key, m.n)
	}
	return true
}

// langfuseUsage reads langfuse.observation.usage_details. Langfuse's buckets are disjoint —
// "input" excludes cached and audio input tokens, "output" excludes reasoning and audio ones —
// while LangSmith's counts are inclusive with the details as a breakdown, so bucket-style
// input/output are summed with their details. OpenAI-style keys (prompt_tokens, …) are already
// inclusive.
func langfuseUsage(v pcommon.Value, u *usage) bool {
	if v.Type() != pcommon.ValueTypeStr {
		return false
	}
	s := jsontext.TrimSpace(v.Str())
	if jsontext.Classify(s) != jsontext.Object {
		return false
	}
	var lf usage
	var bucketIn, bucketOut int64
	var hasBucketIn, hasBucketOut bool
	jsontext.EachMember(jsontext.StringBytes(s), func(rawKey, val []byte) bool {
		n, ok := jsontext.Int(val)
		if !ok {
			return true
		}
		switch string(rawKey[1 : len(rawKey)-1]) {
		case "input":
			bucketIn, hasBucketIn = n, true
		case "output":
			bucketOut, hasBucketOut = n, true
		case "input_tokens", "prompt_tokens":
			lf.put(usageInput, n)
		case "output_tokens", "completion_tokens":
			lf.put(usageOutput, n)
		case "total", "total_tokens":
			lf.put(usageTotal, n)
		case "input_cached_tokens", "input_cache_read", "cache_read_input_tokens", "input_cache_read_tokens", "cache_read":
			lf.put(usageCacheRead, n)
		case "input_cache_creation", "input_cache_write", "cache_creation_input_tokens", "input_cache_creation_tokens", "cache_creation":
			lf.put(usageCacheCreation, n)
		case "input_audio", "input_audio_tokens":
			lf.put(usageInputAudio, n)
		case "output_reasoning", "output_reasoning_tokens", "reasoning_tokens", "reasoning":
			lf.put(usageReasoning, n)
		case "output_audio", "output_audio_tokens":
			lf.put(usageOutputAudio, n)
		}
		return true
	})
	if hasBucketIn {
		lf.put(usageInput, bucketIn+lf.n[usageCacheRead]+lf.n[usageCacheCreation]+lf.n[usageInputAudio])
	}
	if hasBucketOut {
		lf.put(usageOutput, bucketOut+lf.n[usageReasoning]+lf.n[usageOutputAudio])
	}
	for f := range numUsageFields {
		if lf.has(f) {
			u.put(f, lf.n[f])
		}
	}
	return true
}

// appendJSON writes LangSmith's usage_metadata object. total_tokens is computed when no source
// gave it.
func (u *usage) appendJSON(dst []byte) []byte {
	if !u.has(usageTotal) && (u.has(usageInput) || u.has(usageOutput)) {
		u.put(usageTotal, u.n[usageInput]+u.n[usageOutput])
	}
	w := jsontext.ObjectWriter{}
	dst = w.Open(dst)
	for _, m := range [...]struct {
		key string
		f   usageField
	}{{"input_tokens", usageInput}, {"output_tokens", usageOutput}, {"total_tokens", usageTotal}} {
		if u.has(m.f) {
			dst = w.PlainKey(dst, m.key)
			dst = strconv.AppendInt(dst, u.n[m.f], 10)
		}
	}
	dst = u.appendDetails(dst, &w, "input_token_details", [...]usageField{usageCacheRead, usageCacheCreation, usageInputAudio}, [...]string{"cache_read", "cache_creation", "audio"})
	dst = u.appendDetails(dst, &w, "output_token_details", [...]usageField{usageReasoning, usageOutputAudio, numUsageFields}, [...]string{"reasoning", "audio", ""})
	return w.Close(dst)
}

func (u *usage) appendDetails(dst []byte, w *jsontext.ObjectWriter, name string, fields [3]usageField, keys [3]string) []byte {
	present := false
	for _, f := range fields {
		present = present || (f < numUsageFields && u.has(f))
	}
	if !present {
		return dst
	}
	dst = w.PlainKey(dst, name)
	inner := jsontext.ObjectWriter{}
	dst = inner.Open(dst)
	for i, f := range fields {
		if f < numUsageFields && u.has(f) {
			dst = inner.PlainKey(dst, keys[i])
			dst = strconv.AppendInt(dst, u.n[f], 10)
		}
	}
	return inner.Close(dst)
}

// intValue reads a token count: an int, an integral double, or a decimal string (some SDKs
// stringify every attribute). Negative or fractional counts are odd values and stay metadata.
func intValue(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), v.Int() >= 0
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f < 0 || f != math.Trunc(f) || f > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case pcommon.ValueTypeStr:
		return jsontext.Int(jsontext.StringBytes(strings.TrimSpace(v.Str())))
	}
	return 0, false
}
