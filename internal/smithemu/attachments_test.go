// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package smithemu

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// TestTranslatorAttachmentsAccepted posts a run with an attachment as the translator encodes it
// and reads the attachment back.
func TestTranslatorAttachmentsAccepted(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	res, scope, span := translatorSpan(map[string]any{
		"langsmith.attachments": `[{"name":"clip.wav","content":"UklGRg==","mime_type":"audio/wav"}]`,
	})
	run, err := langsmith.SpanToRun(res, scope, span, langsmith.Options{DefaultProject: "proj"})
	require.NoError(t, err)
	run.StartTime = testNow.Add(-time.Minute)
	run.DottedOrder = langsmith.DottedSegment(run.StartTime, run.ID)
	body, err := langsmith.AppendMultipart(nil, testBoundary, []langsmith.Run{run})
	require.NoError(t, err)
	r := send(t, http.MethodPost, srv.URL+"/runs/multipart", body, map[string]string{"Content-Type": langsmith.MultipartContentType(testBoundary)})
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	runs := s.Runs("proj")
	require.Len(t, runs, 1)
	assert.Equal(t, map[string]Attachment{"clip_wav": {ContentType: "audio/wav", Size: 4}}, runs[0].Attachments)
}

func translatorSpan(attrs map[string]any) (pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	span := ss.Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{1, 2, 3})
	span.SetSpanID(pcommon.SpanID{4, 5, 6})
	span.SetName("voice")
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(testNow.Add(-time.Minute)))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(testNow.Add(-time.Minute + time.Second)))
	if err := span.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return rs.Resource(), ss.Scope(), span
}
