// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"strings"
	"time"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// errorText is the run's error: the last exception event's message (its type when it has no
// message) with the stack trace appended as the SDKs format it; else the message of an ERROR
// status; else the status message of a Langfuse ERROR-level observation, which Langfuse SDKs
// record without touching the span status (@langfuse/core's LangfuseOtelSpanAttributes). A bare ERROR status still yields
// "error", so LangSmith marks the run failed.
func (t *translation) errorText() string {
	var msg string
	for _, e := range t.span.Events().All() {
		if e.Name() != eventException {
			continue
		}
		attrs := e.Attributes()
		m := attrString(attrs, attrExceptionMessage)
		if m == "" {
			m = attrString(attrs, attrExceptionType)
		}
		if m == "" {
			m = t.span.Status().Message()
		}
		if m == "" {
			m = eventException
		}
		if st := attrString(attrs, attrExceptionStacktrace); st != "" {
			m += "\n\nStacktrace:\n" + st
		}
		msg = m
	}
	status := t.span.Status()
	if msg == "" && status.Code() == ptrace.StatusCodeError {
		msg = status.Message()
	}

	x := &t.idx
	levelErr := false
	if lvl, ok := x.str(slotLangfuseLevel); ok {
		switch strings.ToUpper(strings.TrimSpace(lvl)) {
		case "ERROR", "FATAL", "CRITICAL":
			levelErr = true
		}
	}
	if levelErr {
		lfMsg, _ := x.str(slotLangfuseStatusMessage)
		if msg == "" {
			msg = lfMsg
		}
		if msg != "" {
			x.consume(slotLangfuseLevel)
			if lfMsg == msg {
				x.consume(slotLangfuseStatusMessage)
			}
		}
	}
	if msg == "" && status.Code() == ptrace.StatusCodeError {
		msg = "error"
	}
	return msg
}

func attrString(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// appendEvents writes the run's events: every span event except exceptions (they are the
// error) and GenAI message events (they are inputs and outputs), as
// {"name","time","kwargs":{attributes}}. A Langfuse completion_start_time becomes a leading
// new_token event, the marker LangSmith derives time-to-first-token from.
func (t *translation) appendEvents() {
	start := len(t.buf)
	n := 0
	next := func() {
		if n == 0 {
			t.buf = append(t.buf, '[')
		} else {
			t.buf = append(t.buf, ',')
		}
		n++
	}
	if ts, ok := t.completionStart(); ok {
		next()
		t.buf = append(t.buf, `{"name":"new_token","time":`...)
		t.buf = appendEventTime(t.buf, ts)
		t.buf = append(t.buf, '}')
		t.idx.consume(slotLangfuseCompletionStart)
	}
	for _, e := range t.span.Events().All() {
		if e.Name() == eventException || isMessageEvent(e.Name()) {
			continue
		}
		next()
		t.buf = append(t.buf, `{"name":`...)
		t.buf = jsontext.AppendString(t.buf, e.Name())
		t.buf = append(t.buf, `,"time":`...)
		t.buf = appendEventTime(t.buf, e.Timestamp().AsTime())
		if e.Attributes().Len() > 0 {
			t.buf = append(t.buf, `,"kwargs":`...)
			t.buf = jsontext.AppendMap(t.buf, e.Attributes())
		}
		t.buf = append(t.buf, '}')
	}
	if n > 0 {
		t.buf = append(t.buf, ']')
	} else {
		t.buf = t.buf[:start]
	}
}

// completionStart reads langfuse.observation.completion_start_time: ISO 8601, possibly
// JSON-encoded a second time by SDKs that stringify every value.
func (t *translation) completionStart() (time.Time, bool) {
	s, ok := t.idx.str(slotLangfuseCompletionStart)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return ts, true
}

func appendEventTime(dst []byte, ts time.Time) []byte {
	dst = append(dst, '"')
	dst = ts.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}
