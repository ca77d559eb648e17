// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newBodyPool() *sync.Pool {
	return &sync.Pool{New: func() any { return new(pooledBody) }}
}

// The buffer of a request body may be reused only once the sender and every reader the
// transport was handed (the body, and GetBody's copies for a retry) are done with it.
func TestPooledBodyReturnsOnlyWhenEveryHolderIsDone(t *testing.T) {
	b := getBody(newBodyPool())
	b.buf = append(b.buf, "payload"...)

	first, err := b.reader()
	require.NoError(t, err)
	retry, err := b.reader()
	require.NoError(t, err)
	got, err := io.ReadAll(retry)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(got))

	b.release() // the sender is done: Client.Do returned
	assert.Equal(t, int32(2), b.refs.Load(), "readers still hold the buffer")
	require.NoError(t, first.Close())
	require.NoError(t, first.Close(), "a second Close is harmless")
	assert.Equal(t, int32(1), b.refs.Load(), "a reader closed twice releases once")
	_, err = first.Read(make([]byte, 4))
	require.ErrorIs(t, err, errBodyReleased, "a closed reader reads nothing more")
	require.NoError(t, retry.Close())
	assert.Equal(t, int32(0), b.refs.Load())
	assert.Empty(t, b.buf, "returned to the pool emptied")

	_, err = b.reader()
	require.ErrorIs(t, err, errBodyReleased, "no reader of a released body, or it would be put back twice")
}

// Over HTTP/2 an early answer (429 before the body is read) makes the transport close the body
// from another goroutine while its writer may be reading it; the sender then reuses the buffer
// for the next request at once. Under -race this failed while readers could outlive Close.
func TestPooledBodyEarlyAnswerOverHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := srv.Client()
	pool := newBodyPool()

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				body := getBody(pool)
				// The next request's compression overwriting a reused buffer.
				body.buf = append(body.buf[:0], bytes.Repeat([]byte{byte(g*25 + i)}, 1<<20)...)
				req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
				if err == nil {
					req.Body, err = body.reader()
				}
				if err != nil { // not require: this is not the test's goroutine
					t.Error(err)
					return
				}
				req.GetBody = body.reader
				req.ContentLength = int64(len(body.buf))
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
				}
				body.release()
			}
		})
	}
	wg.Wait()
}
