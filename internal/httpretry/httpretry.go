// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package httpretry holds the HTTP retry rules more than one sender here keeps: how a Retry-After
// header reads, and which statuses an OTLP/HTTP client retries. What a LangSmith status means is
// the exporter's own (exporter/langsmithexporter/classify.go).
package httpretry // import "github.com/tracebridge/tracebridge/internal/httpretry"

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads a Retry-After header value: delta-seconds or an HTTP date (a date in the past
// is 0). It reports false when the value is absent or neither.
func RetryAfter(value string, now time.Time) (time.Duration, bool) {
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

// OTLPRetryable lists what the OTLP specification (and the langfuse receiver) ask clients to
// retry: throttling and temporary unavailability.
func OTLPRetryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return true
	}
	return false
}
