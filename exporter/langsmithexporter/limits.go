// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// traceGeneration bounds the per-trace run counts kept for the trace cap: past it, the older
// generation is forgotten (a trace that quiet is not growing towards 25,000 runs).
const traceGeneration = 50_000

var (
	repairedNameCut = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "name_cut")))
	repairedShifted = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "start_time_shifted")))
)

// runClass is where keepWithinLimits puts a run.
type runClass uint8

const (
	classFresh  runClass = iota // sent as usual
	classStale                  // outside the window: sent only beside other stale runs
	classCapped                 // its trace is full: dead-lettered without sending
)

// traceRuns counts the posts LangSmith took per trace, in two generations so that memory stays
// bounded without a clock.
type traceRuns struct {
	mu        sync.Mutex
	cur, prev map[uuid.UUID]int
}

func (c *traceRuns) get(id uuid.UUID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.cur[id]; ok {
		return n
	}
	return c.prev[id]
}

func (c *traceRuns) add(id uuid.UUID, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		c.cur = map[uuid.UUID]int{}
	}
	if _, ok := c.cur[id]; !ok {
		if len(c.cur) >= traceGeneration {
			c.prev, c.cur = c.cur, make(map[uuid.UUID]int, traceGeneration)
		}
		c.cur[id] = c.prev[id]
	}
	c.cur[id] += n
}

// keepWithinLimits applies the stated policies for LangSmith's per-run limits before anything
// is sent, and orders the batch: in-window runs first, then runs outside the window (which
// never share a request with in-window ones). Runs of full traces are dead-lettered and cut
// from the batch. It returns how many runs lead the batch as in-window. Names over 128
// characters were already cut by the translator; they are counted here.
func (u *uploader) keepWithinLimits(ctx context.Context, st *pushState) int {
	b := st.batch
	lim := u.cfg.Limits
	now := u.now()
	var classes []runClass // nil while every run is fresh: the common case allocates nothing
	var inPush map[uuid.UUID]int
	classify := func(i int, c runClass) {
		if classes == nil {
			classes = make([]runClass, len(b.runs))
		}
		classes[i] = c
	}
	for i := range b.runs {
		run := &b.runs[i]
		if run.NameCut {
			u.telemetry.ExporterLangsmithRunsRepaired.Add(ctx, 1, repairedNameCut)
		}
		if lim.StartTimeWindow > 0 && lim.OutOfWindow == WindowShift {
			// Before the cap: a shifted run's trace id is the one countRuns counts once it
			// is delivered, so the cap must look it up by that id too.
			u.shiftIntoWindow(ctx, run, now)
		}
		// Only a trace within one batch of the cap is counted run by run.
		if lim.MaxRunsPerTrace > 0 && !run.Patch {
			if n := u.traces.get(run.TraceID); n+len(b.runs) > lim.MaxRunsPerTrace {
				if inPush == nil {
					inPush = map[uuid.UUID]int{}
				}
				inPush[run.TraceID]++
				if n+inPush[run.TraceID] > lim.MaxRunsPerTrace {
					classify(i, classCapped)
					continue
				}
			}
		}
		if lim.StartTimeWindow > 0 && !langsmith.InWindow(run.StartTime, now, lim.StartTimeWindow) {
			classify(i, classStale)
		}
	}
	if classes == nil {
		return len(b.runs)
	}
	return u.partition(ctx, st, classes)
}

// shiftIntoWindow moves a run whose trace root started outside the window by a whole number of
// windows, the same for every run of the trace as it depends only on the root's start.
func (u *uploader) shiftIntoWindow(ctx context.Context, run *langsmith.Run, now time.Time) {
	root, err := langsmith.TraceStart(run.DottedOrder)
	if err != nil {
		return
	}
	delta := langsmith.WindowShift(root, now, u.cfg.Limits.StartTimeWindow)
	if delta == 0 {
		return
	}
	if err := langsmith.ShiftRun(run, delta); err != nil {
		return // left as it is: the window check isolates it
	}
	u.telemetry.ExporterLangsmithRunsRepaired.Add(ctx, 1, repairedShifted)
}

// partition reorders the batch to fresh runs, then stale ones, dead-letters the capped ones and
// cuts them off; it returns the number of fresh runs.
func (u *uploader) partition(ctx context.Context, st *pushState, classes []runClass) int {
	b := st.batch
	runs := make([]langsmith.Run, 0, len(b.runs))
	spans := make([]spanRef, 0, len(b.spans))
	var counts [3]int
	for _, want := range []runClass{classFresh, classStale, classCapped} {
		for i, c := range classes {
			if c == want {
				runs = append(runs, b.runs[i])
				spans = append(spans, b.spans[i])
				counts[c]++
			}
		}
	}
	fresh, stale := counts[classFresh], counts[classStale]
	copy(b.runs, runs)
	copy(b.spans, spans)
	if capped := b.runs[fresh+stale:]; len(capped) > 0 {
		u.refuse(ctx, st, capped, 0, fmt.Sprintf("the trace already has LangSmith's limit of %d runs", u.cfg.Limits.MaxRunsPerTrace), reasonTraceCap)
		clear(b.runs[fresh+stale:])
		clear(b.spans[fresh+stale:])
		b.runs, b.spans = b.runs[:fresh+stale], b.spans[:fresh+stale]
	}
	if stale > 0 {
		u.telemetry.ExporterLangsmithRunsIsolated.Add(ctx, int64(stale))
	}
	return fresh
}
