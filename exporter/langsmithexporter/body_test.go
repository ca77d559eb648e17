// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The buffer of a request body may be reused only once the sender and every reader the
// transport was handed (the body, and GetBody's copies for a retry) are done with it.
func TestPooledBodyReturnsOnlyWhenEveryHolderIsDone(t *testing.T) {
	var pool sync.Pool
	pool.New = func() any { return new(pooledBody) }
	b := getBody(&pool)
	b.buf = append(b.buf, "payload"...)

	first := b.reader()
	retry := b.reader()
	got, err := io.ReadAll(retry)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(got))

	b.release() // the sender is done: Client.Do returned
	assert.Equal(t, int32(2), b.refs.Load(), "readers still hold the buffer")
	require.NoError(t, first.Close())
	require.NoError(t, first.Close(), "a second Close is harmless")
	assert.Equal(t, int32(1), b.refs.Load(), "a reader closed twice releases once")
	require.NoError(t, retry.Close())
	assert.Equal(t, int32(0), b.refs.Load())
	assert.Empty(t, b.buf, "returned to the pool emptied")
}
