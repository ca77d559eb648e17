// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// memberSet writes a JSON object whose members come from several sources that may name the same
// key. The first source to name a key wins, so sources are visited in precedence order; a
// repeated name would make the object ambiguous to LangSmith.
type memberSet struct {
	w jsontext.ObjectWriter
	// The names written so far: in the fixed array (no allocation; a translation keeps its sets)
	// and beyond it in more. seen is a 128-bit filter over them that spares most lookups the
	// linear scan.
	fixed [48]string
	n     int
	more  []string
	seen  [2]uint64
}

// add writes the separator and name of a new member and reports false, writing nothing, for a
// name already present.
func (m *memberSet) add(dst []byte, key string) ([]byte, bool) {
	if !m.insert(key) {
		return dst, false
	}
	return m.w.Key(dst, key), true
}

// addPlain is add for a name of the package's own (a constant) that needs no escape.
func (m *memberSet) addPlain(dst []byte, key string) ([]byte, bool) {
	if !m.insert(key) {
		return dst, false
	}
	return m.w.PlainKey(dst, key), true
}

// insert records key and reports whether it was new.
func (m *memberSet) insert(key string) bool {
	word, bit := seenBit(key)
	if m.seen[word]&bit != 0 && m.has(key) {
		return false
	}
	m.seen[word] |= bit
	if m.n < len(m.fixed) {
		m.fixed[m.n] = key
	} else {
		m.more = append(m.more, key)
	}
	m.n++
	return true
}

// seenBit is key's bit in the filter: a word of seen and the bit in it.
func seenBit(key string) (word int, bit uint64) {
	h := uint(len(key)) * 31
	if len(key) > 0 {
		h += uint(key[0])*7 + uint(key[len(key)-1])
	}
	return int((h / 64) % 2), uint64(1) << (h % 64)
}

// reset empties the set for another object. The names in fixed stay behind: only fixed[:n]
// is read, so a set reused from span to span (translation's) is not cleared of its 768 bytes.
func (m *memberSet) reset() {
	m.w, m.n, m.more, m.seen = jsontext.ObjectWriter{}, 0, m.more[:0], [2]uint64{}
}

// contains reports whether the set has key, the filter sparing most lookups.
func (m *memberSet) contains(key string) bool {
	word, bit := seenBit(key)
	return m.seen[word]&bit != 0 && m.has(key)
}

func (m *memberSet) has(key string) bool {
	for _, k := range m.fixed[:min(m.n, len(m.fixed))] {
		if k == key {
			return true
		}
	}
	return slices.Contains(m.more, key)
}

func (m *memberSet) addValue(dst []byte, key string, v pcommon.Value) []byte {
	dst, ok := m.add(dst, key)
	if ok {
		dst = jsontext.AppendValue(dst, v)
	}
	return dst
}

// addObjectMembers adds the members of a JSON object held by v (JSON text or a map value) and
// reports whether v was one.
func (m *memberSet) addObjectMembers(dst []byte, v pcommon.Value) ([]byte, bool) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		for k, mv := range v.Map().All() {
			dst = m.addValue(dst, k, mv)
		}
		return dst, true
	case pcommon.ValueTypeStr:
		s := jsontext.TrimSpace(v.Str())
		if jsontext.Classify(s) != jsontext.Object {
			return dst, false
		}
		jsontext.EachMember(jsontext.StringBytes(s), func(rawKey, val []byte) bool {
			var ok bool
			if dst, ok = m.add(dst, jsontext.UnquoteKey(rawKey)); ok {
				dst = append(dst, val...)
			}
			return true
		})
		return dst, true
	}
	return dst, false
}

// appendExtra writes extra: {"invocation_params":{…},"metadata":{…}}. Parameters go first
// because gathering them consumes attributes that metadata would otherwise repeat.
func (t *translation) appendExtra() {
	t.buf = append(t.buf, '{')
	if t.appendInvocationParams() {
		t.buf = append(t.buf, ',')
	}
	t.buf = append(t.buf, `"metadata":`...)
	t.appendMetadata()
	t.buf = append(t.buf, '}')
}

// appendInvocationParams writes "invocation_params" from gen_ai.request.<name> (keyed by the
// name's last segment), OpenInference llm.invocation_parameters and Langfuse
// model.parameters (JSON objects). It writes nothing when there are none.
func (t *translation) appendInvocationParams() bool {
	x := &t.idx
	start := len(t.buf)
	t.buf = append(t.buf, `"invocation_params":{`...)
	m := &t.params
	m.reset()
	param := func(i int, k string, v pcommon.Value) {
		if len(k) > len(attrGenAIRequestPrefix) {
			name := k[strings.LastIndexByte(k, '.')+1:]
			if name == "stop_sequences" {
				name = "stop" // the key LangSmith and LangChain use for stop sequences
			}
			// Consumed only when written: a second parameter of the same name (top_k beside
			// sampling.top_k) stays in metadata under its full key rather than vanish.
			var ok bool
			if t.buf, ok = m.add(t.buf, name); ok {
				t.buf = jsontext.AppendValue(t.buf, v)
				x.consumeAt(i)
			}
		}
	}
	if x.nParams <= len(x.params) { // the index pass found them all
		for _, p := range x.params[:x.nParams] {
			param(p.pos, p.key, p.val)
		}
	} else {
		i := 0
		for k, v := range t.attrs.All() {
			if strings.HasPrefix(k, attrGenAIRequestPrefix) {
				param(i, k, v)
			}
			i++
		}
	}
	for _, s := range [...]slot{slotOIInvocationParams, slotLangfuseModelParams} {
		if v, ok := x.get(s); ok {
			var isObject bool
			if t.buf, isObject = m.addObjectMembers(t.buf, v); isObject {
				x.consume(s)
			}
		}
	}
	if m.n == 0 {
		t.buf = t.buf[:start]
		return false
	}
	t.buf = append(t.buf, '}')
	return true
}

// appendMetadata writes extra.metadata, most specific source first: the OTel identity of the
// span, explicit LangSmith metadata, the keys LangSmith gives meaning to (ls_provider,
// ls_model_name, user_id, session_id), the metadata of the other conventions, and finally every
// span and resource attribute the mapping did not consume, under its own name.
func (t *translation) appendMetadata() {
	x := &t.idx
	m := &t.meta
	m.reset()
	t.buf = m.w.Open(t.buf)

	var ok bool
	if t.buf, ok = m.addPlain(t.buf, metaTraceID); ok {
		tid := t.span.TraceID()
		t.buf = appendHexString(t.buf, tid[:])
	}
	if t.buf, ok = m.addPlain(t.buf, metaSpanID); ok {
		sid := t.span.SpanID()
		t.buf = appendHexString(t.buf, sid[:])
	}
	if t.fullName != "" {
		if t.buf, ok = m.addPlain(t.buf, FullNameKey); ok {
			t.buf = jsontext.AppendString(t.buf, t.fullName)
		}
	}
	if name := t.scope.Name(); name != "" {
		if t.buf, ok = m.addPlain(t.buf, metaScopeName); ok {
			t.buf = jsontext.AppendString(t.buf, name)
		}
		if ver := t.scope.Version(); ver != "" {
			if t.buf, ok = m.addPlain(t.buf, metaScopeVer); ok {
				t.buf = jsontext.AppendString(t.buf, ver)
			}
		}
	}

	t.addPrefixed(m, famLSMetadata, conventions.LangSmithMetadataPrefix)
	t.addPrefixed(m, famAITelemetryMetadata, attrAITelemetryMetadataPrefix)
	t.addFirst(m, metaProvider, true, slotGenAIProviderName, slotGenAISystem, slotOIProvider, slotOISystem)
	t.addFirst(m, metaModelName, true, slotGenAIRequestModel, slotGenAIResponseModel, slotOIModelName, slotLangfuseModelName)
	t.addFirst(m, metaUserID, false, slotLangfuseUserID, slotUserID)
	t.addFirst(m, metaSessionID, false, slotLangfuseSessionID, slotSessionID, slotGenAIConversationID)
	t.addPrefixed(m, famLangfuseObsMetadata, conventions.LangfuseObservationMetadataPrefix)
	t.addJSONObject(m, slotLangfuseObsMetadataJSON)
	t.addPrefixed(m, famLangfuseTraceMetadata, conventions.LangfuseTraceMetadataPrefix)
	t.addJSONObject(m, slotLangfuseTraceMetadataJSON)
	t.addPrefixed(m, famTraceloopAssociation, attrTraceloopAssociationPrefix)
	t.addJSONObject(m, slotOpenInferenceMetadataJSON)

	i := 0
	for k, v := range t.attrs.All() {
		if !x.consumed(i) {
			t.buf = m.addValue(t.buf, k, v)
		}
		i++
	}
	t.appendResourceMembers(m)
	t.buf = m.w.Close(t.buf)
}

// appendResourceMembers adds the resource's attributes, the last members of metadata: from the
// Arena's cache when the span named none of their keys itself (then the cache holds exactly
// what adding them one by one would write), else one by one.
func (t *translation) appendResourceMembers(m *memberSet) {
	if c := t.resMembers; c != nil {
		if !c.valid || c.res != t.res {
			c.build(t.res)
		}
		if !c.collides(m) {
			if len(c.json) > 0 {
				if m.n > 0 {
					t.buf = append(t.buf, ',')
				}
				t.buf = append(t.buf, c.json...)
			}
			return // m no longer lists every member written: nothing is added after these
		}
	}
	for k, v := range t.res.Attributes().All() {
		if !resourceConsumed(k) {
			t.buf = m.addValue(t.buf, k, v)
		}
	}
}

// resourceMembers is the metadata members one resource's attributes make ("k":v,… without
// braces) and their keys.
type resourceMembers struct {
	res   pcommon.Resource
	valid bool
	json  []byte
	keys  []string
	hint  int // the attributes' share of a translation's sizeHint
}

// build encodes res's members as appendResourceMembers would add them to an empty set.
func (c *resourceMembers) build(res pcommon.Resource) {
	var m memberSet
	c.res, c.valid, c.json, c.keys, c.hint = res, true, c.json[:0], c.keys[:0], 0
	for k, v := range res.Attributes().All() {
		c.hint += attrHint(k, v)
		if !resourceConsumed(k) {
			n := len(c.json)
			if c.json = m.addValue(c.json, k, v); len(c.json) > n {
				c.keys = append(c.keys, k)
			}
		}
	}
}

// collides reports whether m already has one of the resource's keys.
func (c *resourceMembers) collides(m *memberSet) bool {
	for _, k := range c.keys {
		if m.contains(k) {
			return true
		}
	}
	return false
}

// forget drops the cached resource (its bytes' room is kept).
func (c *resourceMembers) forget() {
	clear(c.keys)
	c.res, c.valid, c.json, c.keys = pcommon.Resource{}, false, c.json[:0], c.keys[:0]
}

// addPrefixed adds the members of a metadata prefix family, named by what follows the prefix,
// leaving out those the mapping placed elsewhere (ls_run_name, usage_metadata, a project).
// The LangSmith SDKs write a metadata value that is not a primitive as JSON text, so an object
// or array in JSON text under langsmith.metadata. is written back as the JSON it was.
func (t *translation) addPrefixed(m *memberSet, fam family, prefix string) {
	if t.idx.families&fam == 0 {
		return
	}
	decode := fam == famLSMetadata
	i := 0
	for k, v := range t.attrs.All() {
		if len(k) > len(prefix) && strings.HasPrefix(k, prefix) && !t.idx.consumed(i) {
			if decode && v.Type() == pcommon.ValueTypeStr {
				if s := jsontext.TrimSpace(v.Str()); len(s) > 0 && (s[0] == '{' || s[0] == '[') && jsontext.Classify(s) != jsontext.None {
					var added bool
					if t.buf, added = m.add(t.buf, k[len(prefix):]); added {
						t.buf = append(t.buf, s...)
					}
					t.idx.consumeAt(i)
					i++
					continue
				}
			}
			t.buf = m.addValue(t.buf, k[len(prefix):], v)
			t.idx.consumeAt(i)
		}
		i++
	}
}

// addFirst adds key (a constant needing no escape) from the first slot holding a usable value:
// a non-empty string, or when stringOnly is false any scalar. Later slots are left alone, so a differing
// gen_ai.response.model, say, still shows in metadata under its own name.
func (t *translation) addFirst(m *memberSet, key string, stringOnly bool, slots ...slot) {
	for _, s := range slots {
		v, ok := t.idx.get(s)
		if !ok {
			continue
		}
		switch v.Type() {
		case pcommon.ValueTypeStr:
			if v.Str() == "" {
				continue
			}
		case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
			if stringOnly {
				continue
			}
		default:
			continue
		}
		var added bool
		if t.buf, added = m.addPlain(t.buf, key); added {
			t.buf = jsontext.AppendValue(t.buf, v)
			t.idx.consume(s)
		}
		return
	}
}

// addJSONObject merges a metadata object held by the slot (JSON text or a map value).
func (t *translation) addJSONObject(m *memberSet, s slot) {
	v, ok := t.idx.get(s)
	if !ok {
		return
	}
	var isObject bool
	if t.buf, isObject = m.addObjectMembers(t.buf, v); isObject {
		t.idx.consume(s)
	}
}

// appendHexString appends b as a quoted lower-case hex string, the way OTel shows IDs.
func appendHexString(dst, b []byte) []byte {
	dst = append(dst, '"')
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(dst, '"')
}
