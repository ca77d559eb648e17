// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// Attachment is a file that travels with a run as its own multipart part,
// attachment.<run id>.<name>, with its own Content-Type (LangSmith stores it beside the run).
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// attrLSAttachments is the OTel attribute LangSmith's docs and SDKs use for attachments: a JSON
// array of {"name", "content" (base64), "mime_type"} (python langsmith/_internal/voice).
const attrLSAttachments = "langsmith.attachments"

const attachmentPartPrefix = "attachment."

// attachments reads langsmith.attachments. A value that is not such an array, or holds an entry
// that is not one, stays in metadata as it came.
func (t *translation) attachments() []Attachment {
	s, ok := t.idx.str(slotLSAttachments)
	if !ok {
		return nil
	}
	s = jsontext.TrimSpace(s)
	if jsontext.Classify(s) != jsontext.Array {
		return nil
	}
	var out []Attachment
	valid := true
	jsontext.EachElement(jsontext.StringBytes(s), func(el []byte) bool {
		name, content, mime := jsonMember(el, "name"), jsonMember(el, "content"), jsonMember(el, "mime_type")
		if len(el) == 0 || el[0] != '{' || len(name) < 2 || name[0] != '"' || len(content) < 2 || content[0] != '"' {
			valid = false
			return false
		}
		data, err := base64.StdEncoding.DecodeString(jsontext.UnquoteKey(content))
		if err != nil {
			valid = false
			return false
		}
		a := Attachment{Name: attachmentName(jsontext.UnquoteKey(name)), ContentType: "application/octet-stream", Data: data}
		if len(mime) >= 2 && mime[0] == '"' {
			if ct := jsontext.UnquoteKey(mime); ct != "" && !strings.ContainsAny(ct, "\r\n") {
				a.ContentType = ct
			}
		}
		out = append(out, a)
		return true
	})
	if !valid || len(out) == 0 {
		return nil
	}
	t.idx.consume(slotLSAttachments)
	return out
}

// attachmentName makes a name safe in a part name: LangSmith reads the part name
// attachment.<run id>.<name> by its dots, and the header by its quotes.
func attachmentName(n string) string {
	n = strings.Map(func(r rune) rune {
		switch r {
		case '.', '"', '\r', '\n', '\\':
			return '_'
		}
		return r
	}, n)
	if n == "" {
		return "attachment"
	}
	return n
}

// attachmentPartSize is the size of an attachment's part.
func attachmentPartSize(boundaryLen int, a *Attachment) int {
	return 2 + boundaryLen + 2 + len(partDisposition) + len(attachmentPartPrefix) + 36 + 1 + len(a.Name) +
		len("\"\r\nContent-Type: ") + len(a.ContentType) + len("\r\nContent-Length: ") + decimalLen(len(a.Data)) + 4 +
		len(a.Data) + 2
}

func appendAttachmentPart(dst []byte, boundary string, id uuid.UUID, a *Attachment) []byte {
	dst = append(dst, "--"...)
	dst = append(dst, boundary...)
	dst = append(dst, "\r\n"+partDisposition+attachmentPartPrefix...)
	dst = appendUUID(dst, id)
	dst = append(dst, '.')
	dst = append(dst, a.Name...)
	dst = append(dst, "\"\r\nContent-Type: "...)
	dst = append(dst, a.ContentType...)
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(a.Data)), 10)
	dst = append(dst, "\r\n\r\n"...)
	dst = append(dst, a.Data...)
	return append(dst, "\r\n"...)
}
