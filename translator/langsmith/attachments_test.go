// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"encoding/base64"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

func TestSpanToRunAttachments(t *testing.T) {
	wav := []byte("RIFF\x00\x01binary\r\n--not-a-boundary")
	b64 := base64.StdEncoding.EncodeToString(wav)
	tests := []struct {
		name     string
		value    string
		want     []Attachment
		metadata bool // the attribute stays in metadata
	}{
		{name: "one file", value: `[{"name":"conversation.wav","content":"` + b64 + `","mime_type":"audio/wav"}]`,
			want: []Attachment{{Name: "conversation_wav", ContentType: "audio/wav", Data: wav}}},
		{name: "no mime type", value: `[{"name":"a","content":"` + b64 + `"}]`,
			want: []Attachment{{Name: "a", ContentType: "application/octet-stream", Data: wav}}},
		{name: "bad base64 stays metadata", value: `[{"name":"a","content":"%%%"}]`, metadata: true},
		{name: "not an array stays metadata", value: `{"name":"a"}`, metadata: true},
		{name: "an entry without content stays metadata", value: `[{"name":"a"}]`, metadata: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := newSpan(map[string]any{"langsmith.attachments": tt.value})
			run, err := SpanToRun(res, scope, span, Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, run.Attachments)
			assert.Equal(t, tt.metadata, jsonHasMemberDeep(run.Extra, "langsmith.attachments"))
			if tt.want == nil {
				return
			}
			// The attachment travels as its own part, with its content type and exact size.
			body, err := multipartBody(testBoundary, []Run{run})
			require.NoError(t, err)
			assert.Len(t, body, MultipartSize(&run, len(testBoundary))+ClosingDelimiterSize(len(testBoundary)))
			parts := readParts(t, body, testBoundary)
			last := parts[len(parts)-1]
			assert.Equal(t, "attachment."+run.ID.String()+"."+tt.want[0].Name, last.name)
			assert.Equal(t, tt.want[0].ContentType, last.contentType)
			assert.Equal(t, strconv.Itoa(len(wav)), last.contentLength)
			assert.Equal(t, wav, last.body)
		})
	}
}

func jsonHasMemberDeep(extra []byte, key string) bool {
	return jsontext.HasMember(jsonMember(extra, "metadata"), key)
}
