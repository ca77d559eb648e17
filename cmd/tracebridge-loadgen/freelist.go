// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

// freeList keeps request bodies the workers are done with for the generator to fill again:
// at most a few requests are in flight, so a few buffers serve the whole run instead of one
// allocation (and its garbage) per request.
type freeList chan []byte

// newFreeList holds every body that can be alive at once: as many waiting in the job queue
// as in the workers' hands, and the one being filled.
func newFreeList(concurrency int) freeList { return make(freeList, 2*concurrency+2) }

// get returns an empty buffer of at least size bytes' capacity.
func (f freeList) get(size int) []byte {
	select {
	case b := <-f:
		if cap(b) >= size {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, size)
}

// put hands b back once nothing reads it any more; it is dropped when the list is full.
func (f freeList) put(b []byte) {
	select {
	case f <- b:
	default:
	}
}
