// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		status    int
		multipart bool
		want      outcome
	}{
		{http.StatusAccepted, true, delivered},
		{http.StatusOK, false, delivered},
		{http.StatusConflict, true, conflict},
		{http.StatusRequestEntityTooLarge, true, tooLarge},
		{http.StatusNotFound, true, noMultipart},
		{http.StatusNotFound, false, permanent},
		{http.StatusRequestTimeout, true, retryable},
		{http.StatusTooEarly, true, retryable},
		{http.StatusTooManyRequests, true, retryable},
		{http.StatusInternalServerError, true, retryable},
		{http.StatusBadGateway, true, retryable},
		{http.StatusServiceUnavailable, true, retryable},
		{http.StatusGatewayTimeout, true, retryable},
		{http.StatusBadRequest, true, rejected},
		{http.StatusUnauthorized, true, permanent},
		{http.StatusForbidden, true, permanent},
		{http.StatusUnprocessableEntity, true, rejected},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			assert.Equal(t, tt.want, classify(tt.status, tt.multipart))
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"absent", "", 0, false},
		{"seconds", "7", 7 * time.Second, true},
		{"zero", "0", 0, true},
		{"negative", "-3", 0, false},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retryAfter(tt.header, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
