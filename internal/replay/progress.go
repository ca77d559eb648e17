// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// ProgressMode chooses how progress is shown.
type ProgressMode string

const (
	ProgressAuto  ProgressMode = "auto"  // a bar on a terminal, plain lines otherwise
	ProgressBar   ProgressMode = "bar"   // a bar redrawn in place
	ProgressPlain ProgressMode = "plain" // a line every interval, for logs and CI
	ProgressNone  ProgressMode = "none"
)

// barRedraw is how often the bar is redrawn; plain lines use the configured interval.
const barRedraw = 200 * time.Millisecond

// IsTerminal reports whether w is a character device, which is what a bar needs.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress shows how far the replay has come. tick does the work and takes the time as an
// argument, so tests drive it with a fake clock.
type progress struct {
	out      io.Writer
	bar      bool
	interval time.Duration
	led      *ledger
	traces   int64 // expected, from the first pass
	records  int64

	mu      sync.Mutex
	started time.Time
	last    time.Time
	drawn   bool // the bar is on screen, so the next line must first end it
	stop    chan struct{}
	done    chan struct{}
}

func newProgress(out io.Writer, mode ProgressMode, interval time.Duration, led *ledger, traces, records int64, now time.Time) *progress {
	if mode == ProgressAuto {
		mode = ProgressPlain
		if IsTerminal(out) {
			mode = ProgressBar
		}
	}
	if mode == ProgressNone {
		return nil
	}
	p := &progress{out: out, bar: mode == ProgressBar, interval: interval, led: led,
		traces: traces, records: records, started: now, last: now}
	if p.bar {
		p.interval = barRedraw
	}
	return p
}

// run ticks until ctx ends or finish is called.
func (p *progress) run(ctx context.Context, now func() time.Time) {
	if p == nil {
		return
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.stop:
				return
			case <-t.C:
				p.tick(now())
			}
		}
	}()
}

// tick prints a line (or redraws the bar) when the interval has passed.
func (p *progress) tick(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	p.print(now)
}

// finish stops the ticker and prints the final state.
func (p *progress) finish(now time.Time) {
	if p == nil {
		return
	}
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.print(now)
	if p.bar && p.drawn {
		fmt.Fprintln(p.out)
		p.drawn = false
	}
}

// logf prints a log line without tearing the bar.
func (p *progress) logf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.out, "\r\033[K")
		p.drawn = false
	}
	fmt.Fprintf(p.out, format+"\n", args...)
}

func (p *progress) print(now time.Time) {
	s := p.snapshot(now)
	if !p.bar {
		fmt.Fprintln(p.out, s.line())
		return
	}
	fmt.Fprintf(p.out, "\r\033[K%s", s.barLine())
	p.drawn = true
}

// progressState is one reading of the counters.
type progressState struct {
	done, failed, total int64
	recDone, recFailed  int64
	records             int64
	elapsed             time.Duration
	perSecond           float64
}

func (p *progress) snapshot(now time.Time) progressState {
	s := progressState{
		done: p.led.tracesDone.Load(), failed: p.led.tracesFailed.Load(), total: p.traces,
		recDone: p.led.recordsDone.Load(), recFailed: p.led.recordsFailed.Load(), records: p.records,
		elapsed: now.Sub(p.started),
	}
	if s.elapsed > 0 {
		s.perSecond = float64(s.done) / s.elapsed.Seconds()
	}
	return s
}

func (s progressState) percent() float64 {
	if s.total == 0 {
		return 100
	}
	return 100 * float64(s.done+s.failed) / float64(s.total)
}

func (s progressState) eta() string {
	left := s.total - s.done - s.failed
	if s.perSecond <= 0 || left <= 0 {
		return ""
	}
	return FormatShift((time.Duration(float64(left) / s.perSecond * float64(time.Second))).Round(time.Second))
}

// line is the plain form: "Uploaded 412/1000 traces (41.2%), 3 failed, 123.4 traces/s, ETA 0:00:05".
func (s progressState) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Uploaded %d/%d traces (%.1f%%)", s.done, s.total, s.percent())
	if s.failed > 0 {
		fmt.Fprintf(&b, ", %d failed", s.failed)
	}
	if s.records > 0 {
		fmt.Fprintf(&b, ", %d/%d records", s.recDone, s.records)
		if s.recFailed > 0 {
			fmt.Fprintf(&b, " (%d failed)", s.recFailed)
		}
	}
	fmt.Fprintf(&b, ", %.1f traces/s", s.perSecond)
	if eta := s.eta(); eta != "" {
		fmt.Fprintf(&b, ", ETA %s", eta)
	}
	return b.String()
}

const barWidth = 30

func (s progressState) barLine() string {
	filled := int(s.percent() / 100 * barWidth)
	filled = min(max(filled, 0), barWidth)
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strings.Repeat("=", filled))
	if filled < barWidth {
		b.WriteByte('>')
		b.WriteString(strings.Repeat(" ", barWidth-filled-1))
	}
	fmt.Fprintf(&b, "] %d/%d traces %3.0f%%  %.1f traces/s", s.done+s.failed, s.total, s.percent(), s.perSecond)
	if s.failed > 0 {
		fmt.Fprintf(&b, "  %d failed", s.failed)
	}
	if s.records > 0 {
		fmt.Fprintf(&b, "  %d/%d records", s.recDone+s.recFailed, s.records)
	}
	if eta := s.eta(); eta != "" {
		fmt.Fprintf(&b, "  ETA %s", eta)
	}
	return b.String()
}
