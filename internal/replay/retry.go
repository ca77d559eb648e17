// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// attempt is the result of one try of a request.
type attempt struct {
	err        error         // nil: done
	retryable  bool          // worth another try
	retryAfter time.Duration // what the server asked for, 0 if nothing
}

// retryPolicy retries with exponential backoff and full jitter, never waiting less than a
// Retry-After the server sent, and gives up once maxElapsed has passed. The clock and the wait
// are fields so tests run without sleeping.
type retryPolicy struct {
	initial    time.Duration
	max        time.Duration
	maxElapsed time.Duration
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	jitter     func() float64 // in [0,1)
}

func defaultRetryPolicy(maxElapsed time.Duration) retryPolicy {
	return retryPolicy{
		initial:    250 * time.Millisecond,
		max:        15 * time.Second,
		maxElapsed: maxElapsed,
		now:        time.Now,
		sleep:      sleepContext,
		jitter:     rand.Float64,
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errGaveUp wraps the last error when retries ran out.
var errGaveUp = errors.New("gave up retrying")

// do runs try until it succeeds, fails for good, or the time is up.
func (p retryPolicy) do(ctx context.Context, try func() attempt) error {
	deadline := p.now().Add(p.maxElapsed)
	backoff := p.initial
	for n := 1; ; n++ {
		a := try()
		if a.err == nil {
			return nil
		}
		if !a.retryable {
			return a.err
		}
		// Full jitter spreads concurrent senders that were refused together.
		wait := time.Duration(float64(backoff) * (0.5 + p.jitter()/2))
		backoff = min(backoff*2, p.max)
		wait = max(wait, a.retryAfter)
		if p.maxElapsed > 0 && p.now().Add(wait).After(deadline) {
			return fmt.Errorf("%w after %d attempts: %w", errGaveUp, n, a.err)
		}
		if err := p.sleep(ctx, wait); err != nil {
			return fmt.Errorf("interrupted while retrying: %w", errors.Join(err, a.err))
		}
	}
}

// fatalStatus says the destination refuses this replay as a whole (wrong key, wrong URL):
// sending the remaining traces could only fail the same way.
func fatalStatus(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusUnsupportedMediaType:
		return true
	}
	return false
}
