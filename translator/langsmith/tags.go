// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"encoding/json"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// tags gathers langsmith.span.tags (the LangSmith SDK joins tags with ", "), langfuse.trace.tags
// (a string array, a JSON array string or a comma list) and OpenInference tag.tags, trimmed and
// de-duplicated in first-seen order.
func (t *translation) tags() []string {
	var tags []string
	for _, s := range [...]slot{slotLSTags, slotLangfuseTags, slotOpenInferenceTags} {
		v, ok := t.idx.get(s)
		if !ok {
			continue
		}
		var added bool
		tags, added = appendTags(tags, v)
		if added {
			t.idx.consume(s)
		}
	}
	return tags
}

// appendTags adds the tags v holds and reports whether v was a tag list at all.
func appendTags(tags []string, v pcommon.Value) ([]string, bool) {
	add := func(tag string) {
		if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(tags, tag) {
			if tags == nil {
				tags = make([]string, 0, 4)
			}
			tags = append(tags, tag)
		}
	}
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			if e := s.At(i); e.Type() == pcommon.ValueTypeStr {
				add(e.Str())
			}
		}
		return tags, true
	case pcommon.ValueTypeStr:
		str := jsontext.TrimSpace(v.Str())
		if jsontext.Classify(str) == jsontext.Array {
			var list []string
			if json.Unmarshal(jsontext.StringBytes(str), &list) != nil {
				return tags, false
			}
			for _, tag := range list {
				add(tag)
			}
			return tags, true
		}
		for tag := range strings.SplitSeq(str, ",") {
			add(tag)
		}
		return tags, true
	}
	return tags, false
}
