// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

// LangSmith renders a run's messages as a chat only in the OpenAI shape: {role, content}, with
// content a string or a list of {type:"text",text} / {type:"image_url",image_url:{url}} blocks,
// tool calls as tool_calls: [{id, type:"function", function:{name, arguments}}] with the
// arguments as a JSON string, and tool results as role "tool" messages with a tool_call_id. The
// conventions spell messages otherwise: GenAI semconv as {role, parts:[…]}, OpenInference with
// multimodal "contents", OpenLLMetry with flat tool calls ({id, name, arguments}). The functions
// here rewrite one message object, byte by byte from its JSON (no decoding into maps), into that
// shape. The rules follow the LangSmith SDK's own conversion of part lists (python
// wrappers/_gemini.py): text-only parts become one string joined by newlines, anything else a
// list of content blocks, inline data an image_url data URL.

import "github.com/tracebridge/tracebridge/translator/internal/jsontext"

// chatWriter appends messages to a JSON array being written, counting them for the commas. ix,
// when set, indexes the message array being rewritten, so the walks over its levels jump over
// nested values instead of scanning them again.
type chatWriter struct {
	n  int
	ix jsontext.Index
}

func (w *chatWriter) sep(dst []byte) []byte {
	if w.n > 0 {
		dst = append(dst, ',')
	}
	w.n++
	return dst
}

// appendChatMessages writes the elements of the JSON array arr as chat messages, without the
// brackets. Elements that are not objects are copied as they are.
func appendChatMessages(dst, arr []byte) []byte {
	var spans [64]jsontext.Span
	return appendIndexedChatMessages(dst, arr, jsontext.NewIndex(arr, spans[:0]))
}

// appendIndexedChatMessages is appendChatMessages with arr's index already built (by
// jsontext.ValidIndex, which validated arr on the same pass).
func appendIndexedChatMessages(dst, arr []byte, ix jsontext.Index) []byte {
	w := chatWriter{ix: ix}
	w.ix.EachElement(arr, func(el []byte) bool {
		if len(el) > 0 && el[0] == '{' {
			dst = w.appendMessage(dst, el)
		} else {
			dst = append(w.sep(dst), el...)
		}
		return true
	})
	return dst
}

// rawKeyIs reports whether a quoted raw JSON key is key.
func rawKeyIs(raw []byte, key string) bool {
	return len(raw) == len(key)+2 && string(raw[1:len(raw)-1]) == key
}

// jsonMember returns the raw value of obj's member key, or nil.
func jsonMember(obj []byte, key string) []byte {
	var out []byte
	jsontext.EachMember(obj, func(rawKey, val []byte) bool {
		if rawKeyIs(rawKey, key) {
			out = val
			return false
		}
		return true
	})
	return out
}

// appendMessage writes one message object (and, for semconv tool results, one role "tool"
// message per result).
func (w *chatWriter) appendMessage(dst, msg []byte) []byte {
	var role, content, contents, parts, toolCalls []byte
	special := false
	var rest restMembers
	w.ix.EachMember(msg, func(rawKey, val []byte) bool {
		switch {
		case rawKeyIs(rawKey, "role"):
			role = val
		case rawKeyIs(rawKey, "content"):
			content = val
		case rawKeyIs(rawKey, "contents"):
			contents, special = val, true
		case rawKeyIs(rawKey, "parts"):
			parts, special = val, true
		case rawKeyIs(rawKey, "tool_calls"):
			toolCalls, special = val, true
		default:
			rest.add(rawKey, val)
		}
		return true
	})
	rest.known = true
	if !special {
		return append(w.sep(dst), msg...) // already {role, content}: the common case, copied
	}
	if content == nil && len(parts) > 0 && parts[0] == '[' {
		return w.appendPartsMessage(dst, msg, role, parts, &semconvParts, &rest)
	}
	dst = w.sep(dst)
	dst = append(dst, '{')
	first := true
	member := func(key string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsontext.AppendString(dst, key)
		dst = append(dst, ':')
	}
	if role != nil {
		member("role")
		dst = append(dst, role...)
	}
	switch {
	case content != nil:
		member("content")
		dst = append(dst, content...)
	case len(contents) > 0 && contents[0] == '[':
		member("content")
		dst = appendBlocksContentJSON(dst, contents, &openInferenceParts, &w.ix)
	}
	if len(toolCalls) > 0 && toolCalls[0] == '[' {
		member("tool_calls")
		dst = appendToolCalls(dst, toolCalls, &w.ix)
	}
	w.ix.EachMember(msg, func(rawKey, val []byte) bool {
		for _, k := range [...]string{"role", "content", "contents", "parts", "tool_calls"} {
			if rawKeyIs(rawKey, k) {
				return true
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, rawKey...)
		dst = append(dst, ':')
		dst = append(dst, val...)
		return true
	})
	return append(dst, '}')
}

// partStyle is how a convention spells message parts.
type partStyle struct {
	textKeys           [2]string // where a text part keeps its text
	callType, respType string    // the types of tool call and tool result parts
	callID, callName   string
	callArgs           [2]string
	respID             string
	resp               [2]string
	blocks             blockStyle
}

// noPartType matches no part's type: the convention has no tool parts.
const noPartType = "\x00"

var (
	semconvParts = partStyle{
		textKeys: [2]string{"content", "text"}, callType: "tool_call", respType: "tool_call_response",
		callID: "id", callName: "name", callArgs: [2]string{"arguments", "arguments"},
		respID: "id", resp: [2]string{"response", "result"}, blocks: blockSemconv,
	}
	openInferenceParts = partStyle{textKeys: [2]string{"text", "text"}, callType: noPartType, respType: noPartType, blocks: blockOpenInference}
)

// restMembers remembers, from the pass that read a message's own members, the few other
// members (name, finish_reason, …) to copy after them, so the message is not walked again.
type restMembers struct {
	kv       [4][2][]byte
	n        int
	overflow bool // more than fit: appendTo walks the message
	known    bool // filled by the caller's pass over the message
}

func (r *restMembers) add(rawKey, val []byte) {
	if r.n == len(r.kv) {
		r.overflow = true
		return
	}
	r.kv[r.n] = [2][]byte{rawKey, val}
	r.n++
}

// appendTo writes ,"key":value for each other member of msg (all but role, parts, content,
// contents and tool_calls), from r when a pass filled it, else walking msg.
func (r *restMembers) appendTo(dst, msg []byte) []byte {
	if r != nil && r.known && !r.overflow {
		for _, kv := range r.kv[:r.n] {
			dst = append(dst, ',')
			dst = append(dst, kv[0]...)
			dst = append(dst, ':')
			dst = append(dst, kv[1]...)
		}
		return dst
	}
	jsontext.EachMember(msg, func(rawKey, val []byte) bool {
		for _, k := range [...]string{"role", "parts", "content", "contents", "tool_calls"} {
			if rawKeyIs(rawKey, k) {
				return true
			}
		}
		dst = append(dst, ',')
		dst = append(dst, rawKey...)
		dst = append(dst, ':')
		dst = append(dst, val...)
		return true
	})
	return dst
}

// partInfo is one part, read in a single pass over its members.
type partInfo struct {
	raw, text, id, name, args, resp []byte
	kind                            string
	hasText                         bool // text is a JSON string
}

// scanParts appends the parts of the JSON array arr to dst. Callers pass a slice of an array on
// their stack, which holds the usual handful without allocating. ix may index arr's text.
func scanParts(dst []partInfo, arr []byte, st *partStyle, ix *jsontext.Index) []partInfo {
	ix.EachElement(arr, func(p []byte) bool {
		dst = append(dst, scanPart(p, st, ix))
		return true
	})
	return dst
}

func scanPart(p []byte, st *partStyle, ix *jsontext.Index) partInfo {
	pi := partInfo{raw: p}
	var text2, args2, resp2 []byte
	ix.EachMember(p, func(rawKey, val []byte) bool {
		if len(rawKey) < 2 {
			return true
		}
		k := jsontext.BytesString(rawKey[1 : len(rawKey)-1])
		switch k {
		case "type":
			if len(val) >= 2 && val[0] == '"' {
				pi.kind = jsontext.BytesString(val[1 : len(val)-1])
			}
		case st.textKeys[0]:
			pi.text = val
		case st.textKeys[1]:
			text2 = val
		}
		switch k {
		case st.callID, st.respID:
			pi.id = val
		case st.callName:
			pi.name = val
		case st.callArgs[0]:
			pi.args = val
		case st.callArgs[1]:
			args2 = val
		case st.resp[0]:
			pi.resp = val
		case st.resp[1]:
			resp2 = val
		}
		return true
	})
	if pi.text == nil {
		pi.text = text2
	}
	if pi.args == nil {
		pi.args = args2
	}
	if pi.resp == nil {
		pi.resp = resp2
	}
	pi.hasText = len(pi.text) >= 2 && pi.text[0] == '"'
	return pi
}

// appendPartsMessage writes a message with a list of parts (semconv {role, parts, name?,
// finish_reason?}, or the AI SDK's {role, content:[…]}): text and media parts become content,
// tool call parts tool_calls, and each tool result part a message of its own with role "tool".
func (w *chatWriter) appendPartsMessage(dst, msg, role, partsJSON []byte, st *partStyle, rest *restMembers) []byte {
	var fixed [8]partInfo
	return w.appendParts(dst, msg, role, scanParts(fixed[:0], partsJSON, st, &w.ix), st, rest)
}

// appendParts is appendPartsMessage with the parts already read (by scanParts, or by the one
// pass over semconv messages).
func (w *chatWriter) appendParts(dst, msg, role []byte, parts []partInfo, st *partStyle, rest *restMembers) []byte {
	var hasContent, hasCalls, hasResponses bool
	for i := range parts {
		switch parts[i].kind {
		case st.callType:
			hasCalls = true
		case st.respType:
			hasResponses = true
		default:
			hasContent = true
		}
	}
	if hasContent || hasCalls || !hasResponses {
		dst = w.sep(dst)
		dst = append(dst, `{"role":`...)
		if role == nil {
			role = []byte(`"user"`)
		}
		dst = append(dst, role...)
		dst = append(dst, `,"content":`...)
		dst = appendBlocksContent(dst, parts, st)
		if hasCalls {
			dst = append(dst, `,"tool_calls":[`...)
			n := 0
			for i := range parts {
				if p := &parts[i]; p.kind == st.callType {
					if n > 0 {
						dst = append(dst, ',')
					}
					n++
					dst = appendToolCall(dst, p.id, p.name, p.args)
				}
			}
			dst = append(dst, ']')
		}
		dst = rest.appendTo(dst, msg)
		dst = append(dst, '}')
	}
	if hasResponses {
		for i := range parts {
			p := &parts[i]
			if p.kind != st.respType {
				continue
			}
			dst = w.sep(dst)
			dst = append(dst, `{"role":"tool"`...)
			if p.id != nil {
				dst = append(dst, `,"tool_call_id":`...)
				dst = append(dst, p.id...)
			}
			dst = append(dst, `,"content":`...)
			dst = appendAsJSONString(dst, p.resp)
			dst = append(dst, '}')
		}
	}
	return dst
}

// appendAsJSONString writes val as a JSON string: a string as it is, any other JSON value as its
// text (OpenAI's tool arguments and tool message contents are strings), nothing as "".
func appendAsJSONString(dst, val []byte) []byte {
	switch {
	case len(val) == 0 || string(val) == "null":
		return append(dst, `""`...)
	case val[0] == '"':
		return append(dst, val...)
	default:
		return jsontext.AppendString(dst, jsontext.BytesString(val))
	}
}

type blockStyle uint8

const (
	blockSemconv       blockStyle = iota // {type:"text",content} / uri / blob / file parts
	blockOpenInference                   // {type:"text",text} / {type:"image",image:{url}}
	blockVercel                          // {type:"text",text} / {type:"image",image,mimeType}
)

// appendBlocksContent writes a message's content from its parts: one string of the text parts
// joined by newlines when they are all text, else a list of content blocks. Tool call parts are
// left out (they go to tool_calls).
func appendBlocksContent(dst []byte, parts []partInfo, st *partStyle) []byte {
	textOnly, n := true, 0
	for i := range parts {
		p := &parts[i]
		switch p.kind {
		case st.callType, st.respType:
			continue
		case "text":
			textOnly = textOnly && p.hasText
		default:
			textOnly = false
		}
		n++
	}
	if n == 0 {
		return append(dst, `""`...)
	}
	if textOnly {
		dst = append(dst, '"')
		j := 0
		for i := range parts {
			if p := &parts[i]; p.kind == "text" {
				if j > 0 {
					dst = append(dst, `\n`...)
				}
				j++
				dst = append(dst, p.text[1:len(p.text)-1]...) // a raw JSON string's inside is valid escaped text
			}
		}
		return append(dst, '"')
	}
	dst = append(dst, '[')
	j := 0
	for i := range parts {
		p := &parts[i]
		if p.kind == st.callType || p.kind == st.respType {
			continue
		}
		if j > 0 {
			dst = append(dst, ',')
		}
		j++
		dst = appendBlock(dst, p, st)
	}
	return append(dst, ']')
}

// appendBlocksContentJSON is appendBlocksContent for a JSON array of parts.
// ix may index partsJSON's text (nil: not indexed).
func appendBlocksContentJSON(dst, partsJSON []byte, st *partStyle, ix *jsontext.Index) []byte {
	var fixed [8]partInfo
	return appendBlocksContent(dst, scanParts(fixed[:0], partsJSON, st, ix), st)
}

// appendBlock writes one content block in the OpenAI shape.
func appendBlock(dst []byte, pi *partInfo, st *partStyle) []byte {
	p := pi.raw
	switch pi.kind {
	case "text":
		if pi.hasText {
			dst = append(dst, `{"type":"text","text":`...)
			dst = append(dst, pi.text...)
			return append(dst, '}')
		}
	case "image": // OpenInference {type:"image", image:{image:{url}}} (its flattened spelling), or {image:{url}}
		img := jsonMember(p, "image")
		if st.blocks == blockVercel && len(img) >= 2 && img[0] == '"' {
			return appendVercelImage(dst, img, jsonMember(p, "mimeType"))
		}
		if inner := jsonMember(img, "image"); len(inner) > 0 && inner[0] == '{' {
			img = inner
		}
		if len(img) > 0 && img[0] == '{' {
			if url := jsonMember(img, "url"); url != nil {
				return appendImageURL(dst, url)
			}
		}
	case "uri": // semconv {type:"uri", modality, mime_type, uri}
		if isImagePart(p) {
			if url := jsonMember(p, "uri"); url != nil {
				return appendImageURL(dst, url)
			}
		}
	case "blob": // semconv {type:"blob", modality, mime_type, content: base64}
		data, mime := jsonMember(p, "content"), jsonMember(p, "mime_type")
		if isImagePart(p) && len(data) >= 2 && data[0] == '"' && len(mime) >= 2 && mime[0] == '"' {
			dst = append(dst, `{"type":"image_url","image_url":{"url":"data:`...)
			dst = append(dst, mime[1:len(mime)-1]...)
			dst = append(dst, `;base64,`...)
			dst = append(dst, data[1:len(data)-1]...)
			return append(dst, `"}}`...)
		}
	}
	return append(dst, p...) // any other part is kept as a block of its own kind
}

func isImagePart(p []byte) bool {
	if m := jsonMember(p, "modality"); string(m) == `"image"` {
		return true
	}
	m := jsonMember(p, "mime_type")
	return len(m) > 7 && string(m[1:7]) == "image/"
}

func appendImageURL(dst, url []byte) []byte {
	dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
	dst = append(dst, url...)
	return append(dst, `}}`...)
}

// appendToolCalls writes a tool_calls array in OpenAI's shape, from OpenAI/OpenInference
// elements ({id, function:{name, arguments}}) or flat OpenLLMetry ones ({id, name, arguments}).
// ix may index calls' text.
func appendToolCalls(dst, calls []byte, ix *jsontext.Index) []byte {
	dst = append(dst, '[')
	i := 0
	ix.EachElement(calls, func(c []byte) bool {
		if i > 0 {
			dst = append(dst, ',')
		}
		i++
		if len(c) == 0 || c[0] != '{' {
			dst = append(dst, c...)
			return true
		}
		fn := ix.Member(c, "function")
		if len(fn) > 0 && fn[0] == '{' {
			dst = appendToolCall(dst, ix.Member(c, "id"), ix.Member(fn, "name"), ix.Member(fn, "arguments"))
		} else {
			dst = appendToolCall(dst, ix.Member(c, "id"), ix.Member(c, "name"), ix.Member(c, "arguments"))
		}
		return true
	})
	return append(dst, ']')
}

func appendToolCall(dst, id, name, args []byte) []byte {
	dst = append(dst, '{')
	if id != nil {
		dst = append(dst, `"id":`...)
		dst = append(dst, id...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"type":"function","function":{"name":`...)
	if name == nil {
		name = []byte(`""`)
	}
	dst = append(dst, name...)
	dst = append(dst, `,"arguments":`...)
	if args == nil {
		dst = append(dst, `"{}"`...)
	} else {
		dst = appendAsJSONString(dst, args)
	}
	return append(dst, "}}"...)
}

// appendVercelImage writes the AI SDK's image part (a URL, or base64 data with its mimeType) as
// an image_url block.
func appendVercelImage(dst, img, mime []byte) []byte {
	inner := img[1 : len(img)-1]
	if len(inner) > 5 && (string(inner[:5]) == "http:" || string(inner[:5]) == "https" || string(inner[:5]) == "data:") {
		return appendImageURL(dst, img)
	}
	dst = append(dst, `{"type":"image_url","image_url":{"url":"data:`...)
	if len(mime) >= 2 && mime[0] == '"' {
		dst = append(dst, mime[1:len(mime)-1]...)
	} else {
		dst = append(dst, "image/png"...)
	}
	dst = append(dst, `;base64,`...)
	dst = append(dst, inner...)
	return append(dst, `"}}`...)
}
