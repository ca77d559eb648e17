// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// busyThen answers 503 to the first n requests, then 200.
func busyThen(n int32, calls *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) <= n {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
}

func TestPostRetryingSendsAgainAfter503(t *testing.T) {
	var calls atomic.Int32
	srv := busyThen(2, &calls)
	defer srv.Close()
	c := config{retry: true, retryFor: time.Minute, retryBackoff: time.Millisecond}
	retried := 0
	code, err := postRetrying(context.Background(), srv.Client(), srv.URL, c, job{body: []byte("x"), records: 5}, func() { retried++ })
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, retried)
	assert.EqualValues(t, 3, calls.Load())
}

func TestPostWithoutRetryKeepsThe503(t *testing.T) {
	var calls atomic.Int32
	srv := busyThen(1, &calls)
	defer srv.Close()
	code, err := postRetrying(context.Background(), srv.Client(), srv.URL, config{}, job{body: []byte("x")}, func() { t.Fatal("retried without -retry") })
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.EqualValues(t, 1, calls.Load())
}

func TestPostRetryingGivesUpAfterRetryFor(t *testing.T) {
	var calls atomic.Int32
	srv := busyThen(1000, &calls)
	defer srv.Close()
	// The first backoff already passes retry-for: one attempt, the 503 kept.
	c := config{retry: true, retryFor: time.Millisecond, retryBackoff: time.Hour}
	code, err := postRetrying(context.Background(), srv.Client(), srv.URL, c, job{body: []byte("x")}, func() { t.Fatal("retried past retry-for") })
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.EqualValues(t, 1, calls.Load())
}
