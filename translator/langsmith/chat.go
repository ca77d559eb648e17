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

// chatWriter appends messages to a JSON array being written, counting them for the commas.
type chatWriter struct{ n int }

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
	var w chatWriter
	eachJSONElement(arr, func(el []byte) bool {
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
	eachJSONMember(obj, func(rawKey, val []byte) bool {
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
	eachJSONMember(msg, func(rawKey, val []byte) bool {
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
		}
		return true
	})
	if !special {
		return append(w.sep(dst), msg...) // already {role, content}: the common case, copied
	}
	if content == nil && len(parts) > 0 && parts[0] == '[' {
		return w.appendPartsMessage(dst, msg, role, parts)
	}
	dst = w.sep(dst)
	dst = append(dst, '{')
	first := true
	member := func(key string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, key)
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
		dst = appendBlocksContent(dst, contents, blockOpenInference)
	}
	if len(toolCalls) > 0 && toolCalls[0] == '[' {
		member("tool_calls")
		dst = appendToolCalls(dst, toolCalls)
	}
	eachJSONMember(msg, func(rawKey, val []byte) bool {
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

// appendPartsMessage writes a semconv message ({role, parts, name?, finish_reason?}): text and
// media parts become content, tool_call parts tool_calls, and each tool_call_response part a
// message of its own with role "tool".
func (w *chatWriter) appendPartsMessage(dst, msg, role, parts []byte) []byte {
	var hasContent, hasCalls, hasResponses bool
	eachJSONElement(parts, func(p []byte) bool {
		switch partType(p) {
		case "tool_call":
			hasCalls = true
		case "tool_call_response":
			hasResponses = true
		default:
			hasContent = true
		}
		return true
	})
	if hasContent || hasCalls || !hasResponses {
		dst = w.sep(dst)
		dst = append(dst, `{"role":`...)
		if role == nil {
			role = []byte(`"user"`)
		}
		dst = append(dst, role...)
		dst = append(dst, `,"content":`...)
		dst = appendBlocksContent(dst, parts, blockSemconv)
		if hasCalls {
			dst = append(dst, `,"tool_calls":[`...)
			n := 0
			eachJSONElement(parts, func(p []byte) bool {
				if partType(p) == "tool_call" {
					if n > 0 {
						dst = append(dst, ',')
					}
					n++
					dst = appendToolCall(dst, jsonMember(p, "id"), jsonMember(p, "name"), jsonMember(p, "arguments"))
				}
				return true
			})
			dst = append(dst, ']')
		}
		eachJSONMember(msg, func(rawKey, val []byte) bool {
			if !rawKeyIs(rawKey, "role") && !rawKeyIs(rawKey, "parts") {
				dst = append(dst, ',')
				dst = append(dst, rawKey...)
				dst = append(dst, ':')
				dst = append(dst, val...)
			}
			return true
		})
		dst = append(dst, '}')
	}
	if hasResponses {
		eachJSONElement(parts, func(p []byte) bool {
			if partType(p) != "tool_call_response" {
				return true
			}
			dst = w.sep(dst)
			dst = append(dst, `{"role":"tool"`...)
			if id := jsonMember(p, "id"); id != nil {
				dst = append(dst, `,"tool_call_id":`...)
				dst = append(dst, id...)
			}
			dst = append(dst, `,"content":`...)
			resp := jsonMember(p, "response")
			if resp == nil {
				resp = jsonMember(p, "result")
			}
			dst = appendAsJSONString(dst, resp)
			dst = append(dst, '}')
			return true
		})
	}
	return dst
}

// partType returns a part's "type" (a plain string without escapes), or "".
func partType(p []byte) string {
	t := jsonMember(p, "type")
	if len(t) < 2 || t[0] != '"' {
		return ""
	}
	return bytesString(t[1 : len(t)-1])
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
		return appendJSONString(dst, bytesString(val))
	}
}

type blockStyle uint8

const (
	blockSemconv       blockStyle = iota // {type:"text",content} / uri / blob / file parts
	blockOpenInference                   // {type:"text",text} / {type:"image",image:{url}}
)

// appendBlocksContent writes a message's content from its parts: one string of the text parts
// joined by newlines when they are all text, else a list of content blocks. Tool call parts are
// left out (they go to tool_calls).
func appendBlocksContent(dst, parts []byte, style blockStyle) []byte {
	textOnly, n := true, 0
	eachJSONElement(parts, func(p []byte) bool {
		switch partType(p) {
		case "tool_call", "tool_call_response":
			return true
		case "text":
			if _, ok := partText(p, style); !ok {
				textOnly = false
			}
		default:
			textOnly = false
		}
		n++
		return true
	})
	if n == 0 {
		return append(dst, `""`...)
	}
	if textOnly {
		dst = append(dst, '"')
		i := 0
		eachJSONElement(parts, func(p []byte) bool {
			if partType(p) != "text" {
				return true
			}
			if i > 0 {
				dst = append(dst, `\n`...)
			}
			i++
			s, _ := partText(p, style)
			dst = append(dst, s[1:len(s)-1]...) // a raw JSON string's inside is valid escaped text
			return true
		})
		return append(dst, '"')
	}
	dst = append(dst, '[')
	i := 0
	eachJSONElement(parts, func(p []byte) bool {
		kind := partType(p)
		if kind == "tool_call" || kind == "tool_call_response" {
			return true
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		i++
		dst = appendBlock(dst, p, kind, style)
		return true
	})
	return append(dst, ']')
}

// partText returns a text part's raw JSON string ("content" in semconv, "text" in OpenInference).
func partText(p []byte, style blockStyle) ([]byte, bool) {
	key := "content"
	if style == blockOpenInference {
		key = "text"
	}
	s := jsonMember(p, key)
	if s == nil && style == blockSemconv {
		s = jsonMember(p, "text")
	}
	return s, len(s) >= 2 && s[0] == '"'
}

// appendBlock writes one content block in the OpenAI shape.
func appendBlock(dst, p []byte, kind string, style blockStyle) []byte {
	switch kind {
	case "text":
		if s, ok := partText(p, style); ok {
			dst = append(dst, `{"type":"text","text":`...)
			dst = append(dst, s...)
			return append(dst, '}')
		}
	case "image": // OpenInference {type:"image", image:{image:{url}}} (its flattened spelling), or {image:{url}}
		img := jsonMember(p, "image")
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
func appendToolCalls(dst, calls []byte) []byte {
	dst = append(dst, '[')
	i := 0
	eachJSONElement(calls, func(c []byte) bool {
		if i > 0 {
			dst = append(dst, ',')
		}
		i++
		if len(c) == 0 || c[0] != '{' {
			dst = append(dst, c...)
			return true
		}
		fn := jsonMember(c, "function")
		if len(fn) > 0 && fn[0] == '{' {
			dst = appendToolCall(dst, jsonMember(c, "id"), jsonMember(fn, "name"), jsonMember(fn, "arguments"))
		} else {
			dst = appendToolCall(dst, jsonMember(c, "id"), jsonMember(c, "name"), jsonMember(c, "arguments"))
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
