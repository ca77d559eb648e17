// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
)

// pooledBody is a compressed request body whose buffer is reused by later requests. The
// transport may still be reading a request body after Client.Do returns (it closes the body when
// it is done), and may ask GetBody for a fresh copy to retry on another connection, so the
// buffer goes back to the pool only when the request's sender and every reader handed out are
// done with it.
type pooledBody struct {
	buf  []byte
	refs atomic.Int32
	pool *sync.Pool
}

// getBody takes a body buffer from pool; the caller holds one reference.
func getBody(pool *sync.Pool) *pooledBody {
	b := pool.Get().(*pooledBody)
	b.pool = pool
	b.refs.Store(1)
	return b
}

func (b *pooledBody) release() {
	if b.refs.Add(-1) == 0 {
		b.buf = b.buf[:0]
		b.pool.Put(b)
	}
}

// reader returns a reader of the body that holds a reference until closed. It is the request's
// Body and what its GetBody returns.
func (b *pooledBody) reader() io.ReadCloser {
	b.refs.Add(1)
	r := &bodyReader{owner: b}
	r.Reset(b.buf)
	return r
}

type bodyReader struct {
	bytes.Reader
	owner *pooledBody
	once  sync.Once
}

func (r *bodyReader) Close() error {
	r.once.Do(r.owner.release)
	return nil
}
