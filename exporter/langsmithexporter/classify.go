// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// outcome is what one LangSmith answer means for the runs of the request.
type outcome int

const (
	delivered   outcome = iota // 2xx
	conflict                   // 409: already received, which counts as delivered once alone
	tooLarge                   // 413: split the request and retry the halves
	noMultipart                // 404 on /runs/multipart: fall back to /runs/batch
	retryable                  // 408, 425, 429, 5xx: retry later, honoring Retry-After
	rejected                   // 400, 422: a run of the request is invalid; split until it stands alone
	permanent                  // any other 4xx: never accepted as sent; dead-letter
)

// classify is the one place that decides what a LangSmith status code means
// (as LangSmith's OpenAPI spec and the SDKs' retry rules read them); how a Retry-After reads is internal/httpretry's.
func classify(status int, multipart bool) outcome {
	switch {
	case status >= 200 && status <= 299:
		return delivered
	case status == http.StatusConflict:
		return conflict
	case status == http.StatusRequestEntityTooLarge:
		return tooLarge
	case status == http.StatusNotFound && multipart:
		return noMultipart
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly,
		status == http.StatusTooManyRequests, status >= 500:
		return retryable
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		// LangSmith refuses a whole request for one invalid run (a stale start_time, a long
		// name, a full trace): the others must not share its fate.
		return rejected
	default:
		return permanent
	}
}

// Reasons a run is dead-lettered: the reason attribute of runs_dead_lettered.
const (
	reasonWindow      = "start_time_window" // start_time outside LangSmith's window
	reasonName        = "name_too_long"     // name over 128 characters
	reasonTraceCap    = "trace_run_limit"   // the trace already has its 25,000 runs
	reasonTooLarge    = "too_large"         // one run over the request size limit (413)
	reasonInvalid     = "invalid"           // any other 400 or 422
	reasonRefused     = "refused"           // any other 4xx (401, 403, 404 on /runs/batch, …)
	reasonUnencodable = "unencodable"       // the span cannot become a run, or the run cannot be encoded
)

var reasonAttrs = func() map[string]metric.AddOption {
	m := map[string]metric.AddOption{}
	for _, r := range []string{reasonWindow, reasonName, reasonTraceCap, reasonTooLarge, reasonInvalid, reasonRefused, reasonUnencodable} {
		m[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	return m
}()

func reasonAttr(reason string) metric.AddOption { return reasonAttrs[reason] }

// refusalReason names why LangSmith refused a run, from the answer's status and text. The
// texts are those of LangSmith's validation (and the emulator's, which keeps its wording).
func refusalReason(status int, body string) string {
	switch {
	case status == http.StatusRequestEntityTooLarge:
		return reasonTooLarge
	case status != http.StatusBadRequest && status != http.StatusUnprocessableEntity:
		return reasonRefused
	case strings.Contains(body, "'name', 'maxLength'"):
		return reasonName
	case strings.Contains(body, "invalid 'start_time'") && strings.Contains(body, "window"):
		return reasonWindow
	case strings.Contains(body, "has reached the limit of"):
		return reasonTraceCap
	default:
		return reasonInvalid
	}
}

// namedRun returns the index of the run whose id LangSmith's error names ("… for run_id:<id>
// …"), or -1: that run is split out first, so one bad run costs two extra requests, not a
// bisection.
func namedRun(runs []langsmith.Run, body string) int {
	i := strings.Index(body, "run_id:")
	if i < 0 || len(body) < i+len("run_id:")+36 {
		return -1
	}
	id, err := uuid.Parse(body[i+len("run_id:") : i+len("run_id:")+36])
	if err != nil {
		return -1
	}
	for j := range runs {
		if runs[j].ID == id {
			return j
		}
	}
	return -1
}
