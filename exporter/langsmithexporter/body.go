// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// pooledBody is a compressed request body whose buffer is reused by later requests. The
// transport may still be reading a request body after Client.Do returns (HTTP/2 closes it from
// another goroutine on an early answer such as 429 or 413, while its writer may be mid-Read),
// and may ask GetBody for a fresh copy to retry on another connection. So the buffer goes back
// to the pool only when the sender and every reader handed out are done with it, and a reader
// stops reading the moment it is closed.
type pooledBody struct {
	buf  []byte
	refs atomic.Int32
	pool *sync.Pool
}

var errBodyReleased = errors.New("request body already released")

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

// reader returns a reader of the body that holds a reference until closed: the request's Body
// and what its GetBody returns. Once every holder let go (the buffer may be another request's
// by now) it refuses rather than resurrect the reference count.
func (b *pooledBody) reader() (io.ReadCloser, error) {
	for {
		n := b.refs.Load()
		if n <= 0 {
			return nil, errBodyReleased
		}
		if b.refs.CompareAndSwap(n, n+1) {
			return &bodyReader{owner: b}, nil
		}
	}
}

// bodyReader reads a pooledBody. It has no WriteTo on purpose: a transport writing the buffer
// straight to a connection could not be stopped by Close. Read and Close exclude each other, so
// no read is in progress once Close has returned, and none starts after.
type bodyReader struct {
	mu     sync.Mutex
	owner  *pooledBody
	off    int
	closed bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errBodyReleased
	}
	buf := r.owner.buf
	if r.off >= len(buf) {
		return 0, io.EOF
	}
	n := copy(p, buf[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		r.owner.release()
	}
	return nil
}
