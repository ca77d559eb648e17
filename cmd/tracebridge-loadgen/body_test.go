// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lateCloser answers at once and closes the request body only when released, as a transport
// may (from its write goroutine, after RoundTrip returned).
type lateCloser struct {
	release chan struct{}
}

func (l lateCloser) RoundTrip(req *http.Request) (*http.Response, error) {
	go func() {
		<-l.release
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}()
	return &http.Response{StatusCode: http.StatusRequestEntityTooLarge, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

func TestPostKeepsTheBodyUntilTheTransportClosesIt(t *testing.T) {
	l := lateCloser{release: make(chan struct{})}
	client := &http.Client{Transport: l}
	done := make(chan int, 1)
	go func() {
		code, _, err := post(context.Background(), client, "http://127.0.0.1:1/v1/traces", "", job{body: []byte("spans"), contentType: "application/x-protobuf"})
		assert.NoError(t, err)
		done <- code
	}()
	// Its buffer is filled again as soon as post returns: post must not return while the
	// transport may still read it.
	assert.Never(t, func() bool { return len(done) > 0 }, 50*time.Millisecond, 5*time.Millisecond,
		"post returned before the transport closed the body")
	close(l.release)
	select {
	case code := <-done:
		require.Equal(t, http.StatusRequestEntityTooLarge, code)
	case <-time.After(10 * time.Second):
		t.Fatal("post did not return once the body was closed")
	}
}
