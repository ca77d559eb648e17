// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter"
)

// deliveries learns which runs LangSmith confirmed when the exporter runs in-process. The
// exporter's queue acknowledges a span when it is queued, not when it lands, and its retries
// and dead letters are internal; the replay still has to say which traces landed. So it is the
// exporter's observer: the uploader reports each run it settles (delivered, already there, or
// refused with the reason its dead letter carries) and each answer it gets.
type deliveries struct {
	mu      sync.Mutex
	runs    map[uuid.UUID]*watched
	open    int           // groups not settled
	idle    chan struct{} // receives when open drops to zero
	settled []*watched    // settled under the lock; their callbacks run after it

	// reached is set by LangSmith's first answer; until then transport errors may mean a wrong
	// address, and firstErr/lastErr say since when.
	reached  atomic.Bool
	errMu    sync.Mutex
	firstErr time.Time
	lastErr  error
	now      func() time.Time
	// fatal receives an answer that refuses the whole replay (a wrong key).
	fatal func(error)
}

// watched is a group of runs (a trace, or the runs of a batch of records) that settles as one.
type watched struct {
	left   int
	reason string              // the first refusal; "" while every run landed
	done   func(reason string) // called once, with "" when the whole group landed
}

var _ langsmithexporter.Observer = (*deliveries)(nil)

func newDeliveries(now func() time.Time, fatal func(error)) *deliveries {
	return &deliveries{
		now:   now,
		fatal: fatal,
		runs:  make(map[uuid.UUID]*watched),
		idle:  make(chan struct{}, 1),
	}
}

// Answered notes that LangSmith answers, or since when it has not; a 401 or 403 stops the replay.
func (d *deliveries) Answered(status int, err error) {
	if err != nil {
		d.transportError(err)
		return
	}
	d.reached.Store(true)
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		d.fatal(fmt.Errorf("LangSmith answered %d %s: check the API key and workspace", status, http.StatusText(status)))
	}
}

// Settled confirms runs that landed (or were there already) and refuses the others with the
// exporter's reason.
func (d *deliveries) Settled(s langsmithexporter.Settlement) {
	switch s.Outcome {
	case langsmithexporter.Delivered, langsmithexporter.Conflicted:
		d.confirm(s.Runs)
	case langsmithexporter.Refused, langsmithexporter.DeadLettered:
		d.refuse(s.Runs, s.Reason)
	}
}

// expect registers a group before its spans are handed to the exporter, so no outcome can
// arrive for a run it does not know yet. A run already watched is not counted twice.
func (d *deliveries) expect(ids []uuid.UUID, done func(reason string)) {
	g := &watched{done: done}
	d.mu.Lock()
	for _, id := range ids {
		if _, dup := d.runs[id]; dup {
			continue
		}
		d.runs[id] = g
		g.left++
	}
	if g.left > 0 {
		d.open++
	}
	d.mu.Unlock()
	if g.left == 0 {
		done("")
	}
}

// confirm settles runs that landed; refuse, runs LangSmith will never take.
func (d *deliveries) confirm(ids []uuid.UUID) { d.settle(ids, "") }

func (d *deliveries) refuse(ids []uuid.UUID, reason string) { d.settle(ids, reason) }

func (d *deliveries) settle(ids []uuid.UUID, reason string) {
	d.mu.Lock()
	for _, id := range ids {
		g := d.runs[id]
		if g == nil {
			continue // a repeat, or a synthesized run the replay does not track
		}
		delete(d.runs, id)
		if reason != "" && g.reason == "" {
			g.reason = reason
		}
		g.left--
		if g.left == 0 {
			d.open--
			d.settled = append(d.settled, g)
		}
	}
	d.flushLocked()
}

// flushLocked runs the callbacks of settled groups outside the lock.
func (d *deliveries) flushLocked() {
	done := d.settled
	d.settled = nil
	idle := d.open == 0
	d.mu.Unlock()
	for _, g := range done {
		g.done(g.reason)
	}
	if idle && len(done) > 0 {
		select {
		case d.idle <- struct{}{}:
		default:
		}
	}
}

// pending is the number of groups not settled.
func (d *deliveries) pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.open
}

// abandon settles every open group with reason: they were not confirmed in time.
func (d *deliveries) abandon(reason string) {
	d.mu.Lock()
	for id, g := range d.runs {
		delete(d.runs, id)
		if g.reason == "" {
			g.reason = reason
		}
		g.left--
		if g.left == 0 {
			d.open--
			d.settled = append(d.settled, g)
		}
	}
	d.flushLocked()
}

func (d *deliveries) transportError(err error) {
	d.errMu.Lock()
	defer d.errMu.Unlock()
	if d.firstErr.IsZero() {
		d.firstErr = d.now()
	}
	d.lastErr = err
}

// unreachable returns the last transport error when LangSmith has never answered and has
// failed to for longer than grace.
func (d *deliveries) unreachable(grace time.Duration) error {
	if d.reached.Load() {
		return nil
	}
	d.errMu.Lock()
	defer d.errMu.Unlock()
	if d.lastErr == nil || d.now().Sub(d.firstErr) < grace {
		return nil
	}
	return fmt.Errorf("%w: %w", errUnreachable, d.lastErr)
}
