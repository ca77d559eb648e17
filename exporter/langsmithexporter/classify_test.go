// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"net/http"
	"testing"

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
