// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// maxNotes bounds the failure reasons kept for the summary; the failed file has them all.
const maxNotes = 20

// ledger is the one place outcomes are recorded: the progress display reads its counters, the
// summary its totals, and every failure is written to the failed file as it happens, so memory
// does not grow with the number of failures.
type ledger struct {
	names  []string
	failed *failedFile

	tracesDone, runsDone       atomic.Int64
	tracesFailed, runsFailed   atomic.Int64
	recordsDone, recordsFailed atomic.Int64
	corrupt                    atomic.Int64
	clamped, dupes             atomic.Int64

	mu    sync.Mutex
	notes []string
	more  int
}

func newLedger(names []string, failed *failedFile) *ledger {
	return &ledger{names: names, failed: failed}
}

func (l *ledger) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.notes) < maxNotes {
		l.notes = append(l.notes, fmt.Sprintf(format, args...))
	} else {
		l.more++
	}
}

// planned records what planning changed in a trace.
func (l *ledger) planned(tp *tracePlan) {
	if tp.clamped > 0 {
		l.clamped.Add(int64(tp.clamped))
	}
	if tp.dupes > 0 {
		l.dupes.Add(int64(tp.dupes))
	}
}

// delivered records a trace that landed (or that the collector accepted).
func (l *ledger) delivered(tp *tracePlan) {
	l.tracesDone.Add(1)
	l.runsDone.Add(int64(len(tp.runs)))
}

// refused records a trace held back before anything of it was sent. Its runs are written as
// they were read, so once the cause is fixed a re-run gives them fresh IDs.
func (l *ledger) refused(g *traceItems, reason string) {
	l.note("%s", reason)
	l.refusedQuietly(g)
}

// refusedQuietly is refused without a note, for traces skipped for a reason told once.
func (l *ledger) refusedQuietly(g *traceItems) {
	l.tracesFailed.Add(1)
	l.runsFailed.Add(int64(len(g.items)))
	lines := make([][]byte, len(g.items))
	for i, it := range g.items {
		lines[i] = it.raw
	}
	l.failed.write(lines...)
}

// notSent records a planned trace that was never attempted, or that the destination refused
// whole before reading it (a wrong key); nothing of it can have landed, so it is written as
// read, like a refused one. The reason is reported once, by whoever stopped the sends.
func (l *ledger) notSent(tp *tracePlan) {
	l.tracesFailed.Add(1)
	l.runsFailed.Add(int64(len(tp.runs)))
	lines := make([][]byte, len(tp.runs))
	for i, p := range tp.runs {
		lines[i] = p.raw
	}
	l.failed.write(lines...)
}

// undelivered records a trace that was sent but not confirmed. Part of it may have landed, so
// its runs are written in final form: a re-run sends exactly the same runs, and LangSmith (409)
// or the collector (an identical re-send) drops whatever it already has.
func (l *ledger) undelivered(tp *tracePlan, reason string) {
	l.tracesFailed.Add(1)
	l.runsFailed.Add(int64(len(tp.runs)))
	l.note("trace %s (root %q, %d runs): %s", tp.traceID, tp.root().in.Name, len(tp.runs), reason)
	lines := make([][]byte, 0, len(tp.runs))
	for _, p := range tp.runs {
		b, err := finalRunJSON(tp, p, reason)
		if err != nil {
			b = p.raw // cannot happen: raw was parsed once already
		}
		lines = append(lines, b)
	}
	l.failed.write(lines...)
}

// corruptItem records an item that is not a JSON object. It is written as read, to be fixed.
func (l *ledger) corruptItem(it scanItem) {
	l.corrupt.Add(1)
	l.note("%s: %v", it.pos.describe(l.names), it.err)
	l.failed.write(it.raw)
}

func (l *ledger) recordsDelivered(n int) { l.recordsDone.Add(int64(n)) }

// recordsUndelivered records failed records; lines are what to write (final form when sent).
func (l *ledger) recordsUndelivered(lines [][]byte, reason string) {
	l.recordsFailed.Add(int64(len(lines)))
	l.note("%d records: %s", len(lines), reason)
	l.failed.write(lines...)
}

// failures returns the kept reasons and how many more there were.
func (l *ledger) failures() ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.notes...), l.more
}
