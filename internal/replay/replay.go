// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Run replays cfg.Inputs and returns what happened. The error is for a replay that could not
// run at all (bad configuration, unreadable input); traces that failed are in the summary and
// in the failed file, and Summary.OK reports them.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &replayer{cfg: &cfg, names: displayNames(cfg.Inputs)}
	r.failed = newFailedFile(cfg.FailedPath)
	r.led = newLedger(r.names, r.failed)
	return r.run(ctx)
}

func displayNames(inputs []string) []string {
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = in
		if in == "-" {
			names[i] = "stdin"
		}
	}
	return names
}

// replayer is one replay in progress.
type replayer struct {
	cfg    *Config
	names  []string
	led    *ledger
	failed *failedFile
	prog   *progress
}

func (r *replayer) logf(format string, args ...any) {
	if r.prog != nil {
		r.prog.logf(format, args...)
		return
	}
	fmt.Fprintf(r.cfg.Log, format+"\n", args...)
}

func (r *replayer) run(ctx context.Context) (*Summary, error) {
	cfg := r.cfg
	began := cfg.Now()
	scan, err := scanInputs(ctx, cfg, r.names, r.led)
	if err != nil {
		_, _ = r.failed.close()
		return nil, err
	}
	defer scan.spill.remove()

	now := cfg.Now()
	runShift, recordShift := cfg.Shift, cfg.Shift
	var fit *timeFit
	if !cfg.HasShift {
		runShift, recordShift = 0, 0
		if cfg.ShiftToNow {
			runShift = ShiftToNow(scan.latestRun, now)
			fit = newTimeFit(scan.earliestRun, scan.latestRun, now, cfg.FitWindow)
		}
		if cfg.ShiftRecordsToNow {
			recordShift = ShiftToNow(scan.latestRecord, now)
		}
	}
	var ids *IDMapper
	if cfg.NewIDs {
		ids = NewIDMapper(cfg.IDSeed)
	}

	var snk sink
	if cfg.Direct {
		d, err := newDirectSink(ctx, cfg, r.led)
		if err != nil {
			_, _ = r.failed.close()
			return nil, err
		}
		snk = d
	} else {
		snk = newCollectorSink(cfg, r.led)
	}

	loaded := fmt.Sprintf("Loaded %s in %s", plural(scan.runs, "run"), plural(scan.traces, "trace"))
	if scan.records > 0 {
		loaded += " and " + plural(scan.records, "record")
	}
	loaded += " from " + joinNames(r.names)
	if n := r.led.corrupt.Load(); n > 0 {
		loaded += " (" + plural(n, "corrupt line") + ")"
	}
	r.logf("%s", loaded)
	switch {
	case fit != nil:
		r.logf("The runs' starts span %s, more than LangSmith accepts around now: spreading the traces over the last %s, each keeping its own timing",
			FormatShift(scan.latestRun.Sub(scan.earliestRun)), FormatShift(cfg.FitWindow))
		runShift = 0 // one per trace
	case scan.runs > 0:
		r.logf("Shifting timestamps by: %s", FormatShift(runShift))
	}
	if scan.records > 0 && recordShift != 0 {
		r.logf("Shifting record timestamps by: %s", FormatShift(recordShift))
	}
	switch {
	case scan.traces > 0:
		project := "project '" + cfg.Project + "'"
		if cfg.Project == "" {
			project = "each run's project (else the exporter's)"
		}
		what := plural(scan.traces, "trace")
		if scan.records > 0 {
			what += " and " + plural(scan.records, "record")
		}
		r.logf("Uploading %s to %s via %s…", what, project, snk.describe())
	default:
		r.logf("Uploading %s via %s…", plural(scan.records, "record"), snk.describe())
	}

	if err := snk.start(ctx); err != nil {
		_, _ = r.failed.close()
		return nil, err
	}
	r.prog = newProgress(cfg.Log, cfg.Progress, cfg.ProgressInterval, r.led, scan.traces, scan.records, cfg.Now())
	r.prog.run(ctx, cfg.Now)

	r.replayRuns(ctx, scan, snk, planOptions{shift: runShift, fit: fit, ids: ids, names: r.names})
	r.replayRecords(ctx, scan, snk, recordOptions{shift: recordShift, ids: ids})

	r.logf("Flushing…")
	finishErr := snk.finish(ctx)
	r.prog.finish(cfg.Now())
	r.prog = nil

	written, closeErr := r.failed.close()
	s := r.summary(scan, snk, began, runShift, recordShift, ids)
	if fit != nil {
		s.SpreadSeconds = fit.window.Seconds()
	}
	if written {
		s.FailedFile = cfg.FailedPath
	}
	for _, err := range []error{finishErr, closeErr} {
		if err != nil {
			s.InputErrors = append(s.InputErrors, err.Error())
		}
	}
	if cfg.ReportPath != "" {
		if err := s.writeReport(cfg.ReportPath); err != nil {
			return s, err
		}
	}
	return s, nil
}

func joinNames(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return fmt.Sprintf("%d inputs", len(names))
}

func (r *replayer) summary(scan *scanResult, snk sink, began time.Time, runShift, recordShift time.Duration, ids *IDMapper) *Summary {
	l := r.led
	elapsed := r.cfg.Now().Sub(began)
	s := &Summary{
		Inputs:            r.names,
		Destination:       snk.describe(),
		Project:           r.cfg.Project,
		Runs:              scan.runs,
		Traces:            scan.traces,
		Records:           scan.records,
		TracesDelivered:   l.tracesDone.Load(),
		RunsDelivered:     l.runsDone.Load(),
		TracesFailed:      l.tracesFailed.Load(),
		RunsFailed:        l.runsFailed.Load(),
		RecordsDelivered:  l.recordsDone.Load(),
		RecordsFailed:     l.recordsFailed.Load(),
		Corrupt:           l.corrupt.Load(),
		Clamped:           l.clamped.Load(),
		Duplicates:        l.dupes.Load(),
		ShiftMicros:       runShift.Microseconds(),
		RecordShiftMicros: recordShift.Microseconds(),
		NewIDs:            ids != nil,
		ElapsedSeconds:    elapsed.Seconds(),
		InputErrors:       scan.inputErrors,
		Confirmed:         "accepted by the collector, which uploads them",
	}
	if r.cfg.Direct {
		s.Confirmed = "confirmed by LangSmith"
	}
	if ids != nil {
		s.IDSeed = ids.Seed()
	}
	if elapsed > 0 {
		s.TracesPerSecond = float64(s.TracesDelivered) / elapsed.Seconds()
		s.RunsPerSecond = float64(s.RunsDelivered) / elapsed.Seconds()
	}
	s.Failures, s.MoreFailures = l.failures()
	return s
}

// replayRuns is the second pass over runs: one bucket at a time, traces are planned and sent by
// cfg.Concurrency workers, each batching whole traces up to the span and byte limits.
func (r *replayer) replayRuns(ctx context.Context, scan *scanResult, snk sink, opts planOptions) {
	jobs := make(chan *traceItems, r.cfg.Concurrency*2)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() { r.runWorker(ctx, jobs, snk, opts) })
	}
	for i := range scan.spill.buckets {
		items, err := scan.spill.readBucket(i)
		if err != nil {
			r.led.note("spill bucket %d: %v", i, err)
			continue
		}
		for _, g := range groupTraces(items, scan.poisoned) {
			jobs <- g
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		r.led.note("interrupted: the traces not sent were written to the failed file as read")
	}
}

func (r *replayer) runWorker(ctx context.Context, jobs <-chan *traceItems, snk sink, opts planOptions) {
	b := &traceBatch{}
	flush := func() {
		if len(b.traces) > 0 {
			snk.sendTraces(ctx, b)
			b = &traceBatch{}
		}
	}
	for g := range jobs {
		switch {
		case ctx.Err() != nil:
			// Interrupted: what was not sent goes to the failed file as read, so replaying
			// that file resumes where this replay stopped.
			r.led.refusedQuietly(g)
			continue
		case g.poison != "":
			r.led.refused(g, g.poison)
			continue
		}
		tp, err := planTrace(g, opts)
		if err != nil {
			r.led.refused(g, err.Error())
			continue
		}
		r.led.planned(tp)
		b.add(tp)
		if b.runs >= r.cfg.BatchSpans || b.bytes >= r.cfg.BatchBytes {
			flush()
		}
	}
	flush()
}

// groupTraces gathers a bucket's items by trace, in the order each trace first appears.
func groupTraces(items []spilled, poisoned map[traceKey]string) []*traceItems {
	byKey := make(map[traceKey]*traceItems)
	var order []*traceItems
	for _, it := range items {
		g := byKey[it.key]
		if g == nil {
			g = &traceItems{key: it.key, poison: poisoned[it.key]}
			byKey[it.key] = g
			order = append(order, g)
		}
		g.items = append(g.items, it)
	}
	for _, g := range order {
		slices.SortStableFunc(g.items, func(a, b spilled) int {
			return cmp.Or(cmp.Compare(a.pos.src, b.pos.src), cmp.Compare(a.pos.n, b.pos.n))
		})
	}
	return order
}

// replayRecords is the second pass over records, in input order, in batches.
func (r *replayer) replayRecords(ctx context.Context, scan *scanResult, snk sink, opts recordOptions) {
	if scan.records == 0 {
		return
	}
	jobs := make(chan *recordBatch, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for b := range jobs {
				if ctx.Err() != nil {
					r.led.recordsUndelivered(b.orig, "not sent: the replay was interrupted")
					continue
				}
				snk.sendRecords(ctx, b)
			}
		})
	}
	b := &recordBatch{}
	err := scan.spill.eachRecord(func(it spilled) error {
		rec, err := prepareRecord(it.raw, it.final, opts)
		if err != nil {
			r.led.recordsUndelivered([][]byte{it.raw}, fmt.Sprintf("%s: %v", it.pos.describe(r.names), err))
			return nil
		}
		b.add(rec.line, it.raw, rec.final)
		if len(b.lines) >= r.cfg.BatchRecords {
			jobs <- b
			b = &recordBatch{}
		}
		return nil
	})
	if len(b.lines) > 0 {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		r.led.note("records: %v", err)
	}
}
