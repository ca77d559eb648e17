// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter"
	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langfuse"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// host is the smallest component.Host: the in-process exporter uses no extensions.
type host struct{}

func (host) GetExtensions() map[component.ID]component.Component { return nil }

// directSink runs the langsmith exporter in-process: the same assembly, queue, retry,
// multipart encoding and answer classification as the collector, for machines without one.
type directSink struct {
	cfg     *Config
	led     *ledger
	exp     exporter.Traces
	watch   *deliveries // the exporter's observer
	deadDir string
	started bool

	// gate trips on an answer that refuses the whole replay, or when LangSmith never answers;
	// sendCtx is canceled with it, releasing a send blocked on the exporter's full queue.
	gate       fatalGate
	sendCtx    context.Context
	cancelSend context.CancelCauseFunc
	stopDog    chan struct{}
	dogDone    chan struct{}
}

func newDirectSink(ctx context.Context, cfg *Config, led *ledger) (*directSink, error) {
	deadDir, err := os.MkdirTemp(cfg.TempDir, "tracebridge-replay-dead-letters-*")
	if err != nil {
		return nil, fmt.Errorf("create dead-letter directory: %w", err)
	}
	d := &directSink{cfg: cfg, led: led, deadDir: deadDir}
	d.watch = newDeliveries(cfg.Now, d.trip)
	f := langsmithexporter.NewFactoryWithObserver(d.watch)
	ecfg := f.CreateDefaultConfig().(*langsmithexporter.Config)
	ecfg.ClientConfig.Endpoint = cfg.Endpoint
	ecfg.ClientConfig.Timeout = cfg.RequestTimeout
	ecfg.APIKey = configopaque.String(cfg.APIKey)
	if cfg.Project != "" {
		ecfg.Project = cfg.Project
	}
	// Refused runs reach the replay through the observer; the directory keeps the exporter from
	// logging each refusal as data dropped.
	ecfg.DeadLetterDirectory = deadDir
	// Upload concurrency is the queue's consumers. A full queue keeps released spans in the
	// assembler until its small caps are reached; it then refuses with a retryable error, which
	// consume retries: a slow LangSmith becomes backpressure on the reader, in bounded memory.
	q := exporterhelper.NewDefaultQueueConfig()
	q.NumConsumers = cfg.Concurrency
	q.QueueSize = int64(cfg.Concurrency) * 4
	ecfg.QueueConfig = configoptional.Some(q)
	ecfg.Assembly.MaxSpans = 20_000
	ecfg.Assembly.MaxBytes = 64 << 20
	// Retry until the drain timeout decides: exporterhelper's own limit would drop runs
	// silently, while the watch reports whatever is still unconfirmed then.
	ecfg.RetryConfig.MaxElapsedTime = 0
	if cfg.RetryInitialInterval > 0 {
		ecfg.RetryConfig.InitialInterval = cfg.RetryInitialInterval
		ecfg.RetryConfig.MaxInterval = max(ecfg.RetryConfig.InitialInterval, time.Second)
	}
	if err := ecfg.Validate(); err != nil {
		_ = os.RemoveAll(deadDir)
		return nil, fmt.Errorf("langsmith exporter configuration: %w", err)
	}

	set := exporter.Settings{
		ID: component.NewID(f.Type()),
		TelemetrySettings: component.TelemetrySettings{
			Logger:         cfg.Logger,
			TracerProvider: tracenoop.NewTracerProvider(),
			MeterProvider:  metricnoop.NewMeterProvider(),
			Resource:       pcommon.NewResource(),
		},
		BuildInfo: component.BuildInfo{Command: "tracebridge-replay", Description: "tracebridge replay", Version: cfg.Version},
	}
	exp, err := f.CreateTraces(ctx, set, ecfg)
	if err != nil {
		_ = os.RemoveAll(deadDir)
		return nil, fmt.Errorf("create langsmith exporter: %w", err)
	}
	d.exp = exp
	return d, nil
}

// trip stops the replay's sends after err, reporting it once.
func (s *directSink) trip(err error) {
	if s.gate.get() == nil {
		s.led.note("LangSmith refused the replay, nothing more was sent: %v", err)
	}
	s.gate.set(err)
	if s.cancelSend != nil {
		s.cancelSend(err)
	}
}

// watchdog trips the gate when LangSmith has never answered for connectGrace.
func (s *directSink) watchdog() {
	defer close(s.dogDone)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stopDog:
			return
		case <-t.C:
			if err := s.watch.unreachable(connectGrace); err != nil && s.gate.get() == nil {
				s.trip(err)
			}
		}
	}
}

func (s *directSink) describe() string { return "LangSmith at " + s.cfg.Endpoint + " (direct)" }

func (s *directSink) start(ctx context.Context) error {
	if err := s.exp.Start(ctx, host{}); err != nil {
		return fmt.Errorf("start langsmith exporter: %w", err)
	}
	s.started = true
	s.sendCtx, s.cancelSend = context.WithCancelCause(ctx)
	s.stopDog, s.dogDone = make(chan struct{}), make(chan struct{})
	go s.watchdog()
	return nil
}

func (s *directSink) sendTraces(_ context.Context, b *traceBatch) {
	if err := s.gate.get(); err != nil {
		for _, tp := range b.traces {
			s.led.notSent(tp)
		}
		return
	}
	for _, tp := range b.traces {
		ids := make([]uuid.UUID, len(tp.runs))
		for i, p := range tp.runs {
			ids[i] = p.id
		}
		s.watch.expect(ids, func(reason string) {
			if reason == "" {
				s.led.delivered(tp)
			} else {
				s.led.undelivered(tp, reason)
			}
		})
	}
	s.consume(batchTraces(b.traces, s.cfg.Project))
}

func (s *directSink) sendRecords(_ context.Context, b *recordBatch) {
	if err := s.gate.get(); err != nil {
		s.led.recordsUndelivered(b.orig, "not sent: "+err.Error())
		return
	}
	recs := make([]langfuse.Record, 0, len(b.lines))
	for _, l := range b.lines {
		r, err := langfuse.DecodeRecords(l, langfuse.FormatNDJSON, 1)
		if err == nil { // validated when prepared
			recs = append(recs, r...)
		}
	}
	td := langfuse.RecordsToTraces(recs, langfuse.Options{
		TenantProject: s.cfg.Project,
		ReceivedAt:    s.cfg.Now(),
	})
	// The exporter derives a record's run ID from its span; the trace-level records and the
	// roots it synthesizes are not tracked, since their IDs depend on what else arrives.
	var ids []uuid.UUID
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				ids = append(ids, langsmith.RunID(langsmith.IDModeUUIDv7, span.TraceID(), span.SpanID(), span.StartTimestamp().AsTime()))
			}
		}
	}
	for i := range recs {
		if recs[i].IsTraceLevel() && i < len(ids) {
			ids[i] = uuid.Nil
		}
	}
	s.watch.expect(nonNil(ids), func(reason string) {
		if reason == "" {
			s.led.recordsDelivered(len(b.lines))
		} else {
			s.led.recordsUndelivered(b.final, reason)
		}
	})
	s.consume(td)
}

func nonNil(ids []uuid.UUID) []uuid.UUID {
	out := ids[:0]
	for _, id := range ids {
		if id != uuid.Nil {
			out = append(out, id)
		}
	}
	return out
}

// consume hands spans to the exporter, retrying while its assembly buffer is full. An error
// here means the exporter did not keep the spans; the watch then settles them as refused. The
// exporter moves spans out of what it is given (it declares MutatesData), so each attempt gets
// its own copy and td stays whole for the run IDs of a refusal.
func (s *directSink) consume(td ptrace.Traces) {
	ctx := s.sendCtx
	p := defaultRetryPolicy(s.cfg.MaxRetryTime)
	p.now, p.sleep = s.cfg.Now, s.cfg.Sleep
	err := p.do(ctx, func() attempt {
		batch := ptrace.NewTraces()
		td.CopyTo(batch)
		err := s.exp.ConsumeTraces(ctx, batch)
		if err == nil {
			return attempt{}
		}
		return attempt{err: err, retryable: ctx.Err() == nil && !consumererror.IsPermanent(err)}
	})
	if err == nil {
		return
	}
	ids := make([]uuid.UUID, 0, td.SpanCount())
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				if v, ok := span.Attributes().Get(conventions.LangSmithSpanID); ok {
					if id, perr := uuid.Parse(v.Str()); perr == nil {
						ids = append(ids, id)
						continue
					}
				}
				ids = append(ids, langsmith.RunID(langsmith.IDModeUUIDv7, span.TraceID(), span.SpanID(), span.StartTimestamp().AsTime()))
			}
		}
	}
	if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	s.watch.refuse(ids, "the exporter did not take the spans: "+err.Error())
}

// finish waits until every run is confirmed or refused, or the drain timeout passes, then shuts
// the exporter down (which flushes what it still holds, once) and reports what is left.
func (s *directSink) finish(ctx context.Context) error {
	defer os.RemoveAll(s.deadDir)
	if !s.started {
		return nil
	}
	wait, cancel := context.WithTimeout(s.sendCtx, s.cfg.DrainTimeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for s.watch.pending() > 0 && wait.Err() == nil {
		select {
		case <-wait.Done():
		case <-s.watch.idle:
		case <-tick.C:
		}
	}
	close(s.stopDog)
	<-s.dogDone
	stop, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancelStop()
	err := s.exp.Shutdown(stop)
	reason := "not confirmed by LangSmith within the drain timeout (" + s.cfg.DrainTimeout.String() + ")"
	switch {
	case ctx.Err() != nil:
		reason = "not confirmed by LangSmith before the replay was interrupted"
	case s.gate.get() != nil:
		reason = "not confirmed by LangSmith: " + s.gate.get().Error()
	}
	s.watch.abandon(reason)
	s.cancelSend(nil)
	if err != nil {
		return fmt.Errorf("shut down langsmith exporter: %w", err)
	}
	return nil
}
