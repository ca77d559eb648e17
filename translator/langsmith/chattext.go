// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"bytes"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// Most semconv message arrays hold only text: [{"role":…,"parts":[{"type":"text","content":…}]},…]
// with perhaps a finish_reason or a name beside the parts. The general rewrite validates and
// indexes the array, then walks each message, its parts and each part's members again.
// appendTextMessages reads such an array once, validating as it goes, and writes the same
// bytes (and copies messages already in the {role, content} shape); anything else (other part
// kinds, contents or tool_calls members, content beside parts, repeated or escaped keys, an
// empty array) it leaves to the general rewrite, which a fuzz target holds it to.

// Nesting depths of the values appendTextMessages scans, as Valid counts them from the array.
const (
	messageMemberDepth = 2 // a message's member values
	partMemberDepth    = 4 // a part's member values
)

// maxTextMessageRest bounds the other members (finish_reason, name, …) one message may have.
const maxTextMessageRest = 8

// appendTextMessages appends the messages of the JSON array arr (arr[0] is '[', and arr ends
// where the array ends, but for space) as appendIndexedChatMessages would, and reports false,
// with dst holding partial output past its length, when arr is not valid JSON or not an array
// of text-only semconv messages.
func appendTextMessages(dst, arr []byte) ([]byte, bool) {
	i := jsontext.SkipSpace(arr, 1)
	if i >= len(arr) || arr[i] == ']' {
		return dst, false
	}
	for n := 0; ; n++ {
		if arr[i] != '{' {
			return dst, false
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, i, ok = appendTextMessage(dst, arr, i); !ok {
			return dst, false
		}
		if i = jsontext.SkipSpace(arr, i); i >= len(arr) {
			return dst, false
		}
		switch arr[i] {
		case ',':
			if i = jsontext.SkipSpace(arr, i+1); i >= len(arr) {
				return dst, false
			}
		case ']':
			return dst, jsontext.SkipSpace(arr, i+1) == len(arr)
		default:
			return dst, false
		}
	}
}

// appendTextMessage writes the message object at b[i] and returns the index just past it.
func appendTextMessage(dst, b []byte, i int) ([]byte, int, bool) {
	start := i
	var role []byte
	var texts [8][]byte // the parts' raw JSON strings
	nTexts, hasParts, hasContent := 0, false, false
	var rest [maxTextMessageRest][2][]byte
	nRest := 0
	i = jsontext.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return append(dst, b[start:i+1]...), i + 1, true // {} is copied as it is
	}
	for {
		key, vs, ok := scanMemberKey(b, i)
		if !ok {
			return dst, i, false
		}
		var ve int
		switch string(key) {
		case `"role"`:
			if role != nil {
				return dst, i, false
			}
			if ve, ok = jsontext.ScanValue(b, vs, messageMemberDepth); !ok {
				return dst, i, false
			}
			role = b[vs:ve]
		case `"parts"`:
			if hasParts {
				return dst, i, false
			}
			hasParts = true
			if ve, nTexts, ok = scanTextParts(b, vs, &texts); !ok {
				return dst, i, false
			}
		case `"content"`:
			// With parts beside it the general rewrite keeps content; alone, the message is
			// already in the chat shape and is copied.
			if ve, ok = jsontext.ScanValue(b, vs, messageMemberDepth); !ok {
				return dst, i, false
			}
			hasContent = true
		case `"contents"`, `"tool_calls"`:
			return dst, i, false
		default:
			if nRest == len(rest) {
				return dst, i, false
			}
			if ve, ok = jsontext.ScanValue(b, vs, messageMemberDepth); !ok {
				return dst, i, false
			}
			rest[nRest] = [2][]byte{key, b[vs:ve]}
			nRest++
		}
		if i = jsontext.SkipSpace(b, ve); i >= len(b) {
			return dst, i, false
		}
		if b[i] == '}' {
			i++
			break
		}
		if b[i] != ',' {
			return dst, i, false
		}
		i = jsontext.SkipSpace(b, i+1)
	}
	switch {
	case !hasParts:
		return append(dst, b[start:i]...), i, true // already {role, content}, or no chat at all
	case hasContent:
		return dst, i, false
	}
	dst = append(dst, `{"role":`...)
	if role == nil {
		role = []byte(`"user"`)
	}
	dst = append(dst, role...)
	dst = append(dst, `,"content":"`...)
	for j, t := range texts[:nTexts] {
		if j > 0 {
			dst = append(dst, `\n`...)
		}
		dst = append(dst, t[1:len(t)-1]...) // a raw JSON string's inside is valid escaped text
	}
	dst = append(dst, '"')
	for _, kv := range rest[:nRest] {
		dst = append(dst, ',')
		dst = append(dst, kv[0]...)
		dst = append(dst, ':')
		dst = append(dst, kv[1]...)
	}
	return append(dst, '}'), i, true
}

// scanMemberKey reads the key (a string without escapes) and colon of the member at b[i] and
// returns the raw key and where its value starts.
func scanMemberKey(b []byte, i int) (key []byte, vs int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	ke, ok := jsontext.ScanString(b, i)
	if !ok {
		return nil, i, false
	}
	key = b[i:ke]
	if bytes.IndexByte(key, '\\') >= 0 {
		return nil, i, false
	}
	if i = jsontext.SkipSpace(b, ke); i >= len(b) || b[i] != ':' {
		return nil, i, false
	}
	return key, jsontext.SkipSpace(b, i+1), true
}

// scanTextParts reads the parts array at b[i], every part {"type":"text","content":"…"} (other
// members are checked and ignored, as the general rewrite ignores them for text), into texts,
// and returns the index just past it and the number of parts.
func scanTextParts(b []byte, i int, texts *[8][]byte) (int, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return i, 0, false
	}
	i = jsontext.SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, 0, true
	}
	for n := 0; ; n++ {
		if n == len(texts) || i >= len(b) || b[i] != '{' {
			return i, 0, false
		}
		var text []byte
		isText := false
		i = jsontext.SkipSpace(b, i+1)
		for {
			key, vs, ok := scanMemberKey(b, i)
			if !ok {
				return i, 0, false
			}
			var ve int
			switch string(key) {
			case `"type"`:
				if isText || !bytes.HasPrefix(b[vs:], []byte(`"text"`)) {
					return i, 0, false
				}
				ve, isText = vs+len(`"text"`), true
			case `"content"`:
				if text != nil || vs >= len(b) || b[vs] != '"' {
					return i, 0, false
				}
				if ve, ok = jsontext.ScanString(b, vs); !ok {
					return i, 0, false
				}
				text = b[vs:ve]
			case `"text"`:
				return i, 0, false
			default:
				if ve, ok = jsontext.ScanValue(b, vs, partMemberDepth); !ok {
					return i, 0, false
				}
			}
			if i = jsontext.SkipSpace(b, ve); i >= len(b) {
				return i, 0, false
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return i, 0, false
			}
			i = jsontext.SkipSpace(b, i+1)
		}
		if !isText || text == nil {
			return i, 0, false
		}
		texts[n] = text
		if i = jsontext.SkipSpace(b, i); i >= len(b) {
			return i, 0, false
		}
		switch b[i] {
		case ',':
			i = jsontext.SkipSpace(b, i+1)
		case ']':
			return i + 1, n + 1, true
		default:
			return i, 0, false
		}
	}
}
