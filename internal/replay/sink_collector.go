// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/internal/httpretry"
)

// collectorSink sends spans to a running tracebridge collector over OTLP/HTTP and records to
// its langfuse receiver. It uploads nothing to LangSmith itself: the collector's assembler,
// queue and retry do that, exactly as for live traffic. What the sink confirms is that the
// collector accepted the data; the collector answers 429/503 with Retry-After when its queue is
// full, and the sink backs off.
type collectorSink struct {
	cfg        *Config
	led        *ledger
	client     *http.Client
	tracesURL  string
	recordsURL string
	userAgent  string
	retry      retryPolicy
	enc        *zstd.Encoder
	gate       fatalGate
	// reached is set by the first answer from the collector. Until then a refused connection
	// is most likely a wrong address, not a restart, and is retried only for connectGrace.
	reached atomic.Bool
}

func newCollectorSink(cfg *Config, led *ledger) *collectorSink {
	// EncodeAll on one encoder is safe for concurrent use.
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	p := defaultRetryPolicy(cfg.MaxRetryTime)
	p.now, p.sleep = cfg.Now, cfg.Sleep
	if cfg.RetryInitialInterval > 0 {
		p.initial = cfg.RetryInitialInterval
	}
	return &collectorSink{
		cfg:        cfg,
		led:        led,
		client:     cfg.HTTPClient,
		tracesURL:  strings.TrimRight(cfg.Endpoint, "/") + "/v1/traces",
		recordsURL: strings.TrimRight(cfg.langfuseEndpoint(), "/") + "/api/v1/telemetry/raw",
		userAgent:  "tracebridge-replay/" + cfg.Version,
		retry:      p,
		enc:        enc,
	}
}

func (s *collectorSink) describe() string {
	return "the collector at " + s.cfg.Endpoint
}

func (*collectorSink) start(context.Context) error { return nil }

func (*collectorSink) finish(context.Context) error { return nil }

func (s *collectorSink) sendTraces(ctx context.Context, b *traceBatch) {
	s.sendTraceSlice(ctx, b.traces)
}

// sendTraceSlice sends traces in one request; on 413 it halves them, since the collector's
// body limit is per request and every trace fits alone more often than together.
func (s *collectorSink) sendTraceSlice(ctx context.Context, traces []*tracePlan) {
	if err := s.gate.get(); err != nil {
		for _, tp := range traces {
			s.led.notSent(tp)
		}
		return
	}
	td := batchTraces(traces, s.cfg.Project)
	body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil { // only for invalid UTF-8 in strings, which JSON input cannot hold
		for _, tp := range traces {
			s.led.undelivered(tp, "encode OTLP: "+err.Error())
		}
		return
	}
	status, err := s.post(ctx, s.tracesURL, "application/x-protobuf", s.enc.EncodeAll(body, nil), checkPartialSuccess)
	switch {
	case err == nil:
		for _, tp := range traces {
			s.led.delivered(tp)
		}
	case status == http.StatusRequestEntityTooLarge && len(traces) > 1:
		mid := len(traces) / 2
		s.sendTraceSlice(ctx, traces[:mid])
		s.sendTraceSlice(ctx, traces[mid:])
	case fatalStatus(status) || errors.Is(err, errUnreachable):
		s.refuseAll(err)
		for _, tp := range traces {
			s.led.notSent(tp)
		}
	default:
		for _, tp := range traces {
			s.led.undelivered(tp, err.Error())
		}
	}
}

// refuseAll stops further sends after an answer that refuses the whole replay, and says so once.
func (s *collectorSink) refuseAll(err error) {
	if s.gate.get() == nil {
		s.led.note("the destination refused the replay, nothing more was sent: %v", err)
	}
	s.gate.set(err)
}

func (s *collectorSink) sendRecords(ctx context.Context, b *recordBatch) {
	if err := s.gate.get(); err != nil {
		s.led.recordsUndelivered(b.orig, "not sent: "+err.Error())
		return
	}
	var body bytes.Buffer
	for _, l := range b.lines {
		body.Write(l)
		body.WriteByte('\n')
	}
	status, err := s.post(ctx, s.recordsURL, "application/x-ndjson", s.enc.EncodeAll(body.Bytes(), nil), nil)
	switch {
	case err == nil:
		s.led.recordsDelivered(len(b.lines))
	case status == http.StatusRequestEntityTooLarge && len(b.lines) > 1:
		lo, hi := b.split()
		s.sendRecords(ctx, lo)
		s.sendRecords(ctx, hi)
	case fatalStatus(status) || errors.Is(err, errUnreachable):
		s.refuseAll(err)
		s.led.recordsUndelivered(b.orig, err.Error())
	default:
		s.led.recordsUndelivered(b.final, err.Error())
	}
}

// post sends a zstd-compressed body, retrying what the server asks to be retried, and returns
// the last status (0 when no answer came) and the error that ended the attempts.
func (s *collectorSink) post(ctx context.Context, url, contentType string, body []byte, check func(*http.Response, []byte) error) (int, error) {
	status := 0
	began := s.cfg.Now()
	err := s.retry.do(ctx, func() attempt {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return attempt{err: fmt.Errorf("build request: %w", err)}
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", "zstd")
		req.Header.Set("User-Agent", s.userAgent)
		if s.cfg.LangfuseKey != "" && url == s.recordsURL {
			req.Header.Set("X-API-Key", s.cfg.LangfuseKey)
		}
		resp, err := s.client.Do(req)
		if err != nil {
			status = 0
			if !s.reached.Load() && isDialError(err) && s.cfg.Now().Sub(began) >= connectGrace {
				return attempt{err: fmt.Errorf("%w: %w", errUnreachable, err)}
			}
			// The request may or may not have been processed; a retry is safe because the
			// collector recognizes an identical re-send of a span.
			return attempt{err: fmt.Errorf("POST %s: %w", url, err), retryable: ctx.Err() == nil}
		}
		s.reached.Store(true)
		defer resp.Body.Close()
		respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		status = resp.StatusCode
		switch {
		case status >= 200 && status < 300:
			if check != nil {
				if err := check(resp, respBody); err != nil {
					return attempt{err: err}
				}
			}
			return attempt{}
		case httpretry.OTLPRetryable(status):
			return attempt{err: httpError(url, status, respBody), retryable: true, retryAfter: retryAfterOf(resp.Header, s.cfg.Now())}
		default:
			return attempt{err: httpError(url, status, respBody)}
		}
	})
	return status, err
}

func httpError(url string, status int, body []byte) error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if !isPrintable(msg) {
		msg = fmt.Sprintf("(%d bytes of binary body)", len(body))
	}
	return fmt.Errorf("POST %s: HTTP %d %s: %s", url, status, http.StatusText(status), msg)
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

// connectGrace is how long a destination that never answered is retried before the replay
// stops: long enough for a collector that is still starting, short enough to report a wrong
// address before a long input has been walked for nothing.
const connectGrace = 10 * time.Second

// errUnreachable says the destination never answered.
var errUnreachable = errors.New("the destination is unreachable")

// isDialError reports a failure to connect (refused, no route, unknown host), as opposed to a
// failure after the request may have been read.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// errPartial is a 200 whose body says some spans were rejected.
var errPartial = errors.New("the collector rejected part of the request")

// checkPartialSuccess reads an OTLP success answer: a partial success that rejected spans means
// the batch did not land whole.
func checkPartialSuccess(resp *http.Response, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	er := ptraceotlp.NewExportResponse()
	var err error
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		err = er.UnmarshalJSON(body)
	} else {
		err = er.UnmarshalProto(body)
	}
	if err != nil {
		return nil // an answer we cannot read still said 200
	}
	if n := er.PartialSuccess().RejectedSpans(); n > 0 {
		return fmt.Errorf("%w: %d spans: %s", errPartial, n, er.PartialSuccess().ErrorMessage())
	}
	return nil
}

// retryAfterOf is what the answer's Retry-After asks for, 0 if nothing.
func retryAfterOf(h http.Header, now time.Time) time.Duration {
	d, _ := httpretry.RetryAfter(h.Get("Retry-After"), now)
	return d
}
