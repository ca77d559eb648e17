// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// outcome is what one LangSmith answer means for the runs of the request.
type outcome int

const (
	delivered   outcome = iota // 2xx
	conflict                   // 409: already received, which counts as delivered once alone
	tooLarge                   // 413: split the request and retry the halves
	noMultipart                // 404 on /runs/multipart: fall back to /runs/batch
	retryable                  // 408, 425, 429, 5xx: retry later, honoring Retry-After
	permanent                  // any other 4xx: never accepted as sent; dead-letter
)

// classify is the one place that decides what a LangSmith status code means
// (shared/research/langsmith.md §3.3–3.4).
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
	default:
		return permanent
	}
}

// retryAfter reads a Retry-After header: delta-seconds or an HTTP date.
func retryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(value); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
