// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// Completion latency is measured on probe traces the harness sends itself, mixed into the load
// at a low rate: the same shape as the load (a root and probeChildren children, children
// exported first as SDKs do, in their own request), with IDs the harness knows. Latency is from
// just before the root's request is sent to the moment the last run of the trace is stored by
// the emulator (seen on its stdout) or, for the pass-through, received by the sink.

const (
	probeChildren = 4
	probeSize     = probeChildren + 1
	probeService  = "loadtest-probe"
)

type probe struct {
	runIDs   []string // LangSmith run IDs of the probe's spans (tracebridge mode)
	sent     time.Time
	done     time.Time
	got      int
	expected int
	failed   bool
}

// tracker maps a probe's key (the LangSmith trace_id, or the OTel trace ID in hex for the
// sink) to its probe.
type tracker struct {
	mu    sync.Mutex
	byKey map[string]*probe
}

func newTracker() *tracker { return &tracker{byKey: map[string]*probe{}} }

func (t *tracker) add(key string, p *probe) {
	t.mu.Lock()
	t.byKey[key] = p
	t.mu.Unlock()
}

// observe records that the trace key now has n runs (cumulative=false: n is the total) or n
// more spans (cumulative=true).
func (t *tracker) observe(key string, n int, cumulative bool, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.byKey[key]
	if !ok {
		return
	}
	if cumulative {
		p.got += n
	} else {
		p.got = max(p.got, n)
	}
	if p.got >= p.expected && p.done.IsZero() {
		p.done = now
	}
}

// resolve asks lookup (the load emulator's /_lt/accepted) when each probe run was accepted and
// completes the probes whose runs all were: at the latest of those times.
func (t *tracker) resolve(lookup func(ids []string) ([]int64, error)) error {
	t.mu.Lock()
	var ids []string
	var ps []*probe
	for _, p := range t.byKey {
		if !p.failed && p.done.IsZero() {
			ids = append(ids, p.runIDs...)
			ps = append(ps, p)
		}
	}
	t.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	times, err := lookup(ids)
	if err != nil {
		return err
	}
	if len(times) != len(ids) {
		return fmt.Errorf("accepted: %d times for %d ids", len(times), len(ids))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	i := 0
	for _, p := range ps {
		var last int64
		all := true
		for range p.runIDs {
			if times[i] == 0 {
				all = false
			}
			last = max(last, times[i])
			i++
		}
		p.got = 0
		if all {
			p.got = p.expected
			p.done = time.Unix(0, last)
		}
	}
	return nil
}

func (t *tracker) keys() map[string]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]bool, len(t.byKey))
	for k := range t.byKey {
		out[k] = true
	}
	return out
}

// latency summarizes probe completion latency, in milliseconds.
type latency struct {
	Probes  int     `json:"probes"`
	Failed  int     `json:"failed"`  // the collector refused the probe's requests
	Missing int     `json:"missing"` // accepted by the collector, never completed downstream
	P50     float64 `json:"p50_ms"`
	P90     float64 `json:"p90_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
}

func (t *tracker) summary() latency {
	t.mu.Lock()
	defer t.mu.Unlock()
	var l latency
	var ds []time.Duration
	for _, p := range t.byKey {
		l.Probes++
		switch {
		case p.failed:
			l.Failed++
		case p.done.IsZero():
			l.Missing++
		default:
			ds = append(ds, p.done.Sub(p.sent))
		}
	}
	slices.Sort(ds)
	if len(ds) > 0 {
		l.P50, l.P90, l.P99 = msOf(quantile(ds, 0.5)), msOf(quantile(ds, 0.9)), msOf(quantile(ds, 0.99))
		l.Max = msOf(ds[len(ds)-1])
	}
	return l
}

// pending counts probes that were sent and have not completed.
func (t *tracker) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.byKey {
		if !p.failed && p.done.IsZero() {
			n++
		}
	}
	return n
}

// prober sends probe traces over OTLP/HTTP.
type prober struct {
	url      string
	client   *http.Client
	tracker  *tracker
	sinkKeys bool // key probes by OTel trace ID (pass-through sink) instead of LangSmith trace_id
	sent     int64
	spans    int64 // probe spans the collector accepted
	resent   int64 // probe spans refused with 503/429 and sent again
}

func newProber(otlpHTTPPort int, t *tracker, sinkKeys bool) *prober {
	return &prober{
		url:      fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpHTTPPort),
		client:   &http.Client{Timeout: 10 * time.Second},
		tracker:  t,
		sinkKeys: sinkKeys,
	}
}

// run sends rate probes a second until ctx ends.
func (p *prober) run(ctx context.Context, rate float64) {
	if rate <= 0 {
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			wg.Go(func() { p.one(context.WithoutCancel(ctx)) })
		}
	}
}

var probeMessages = `[{"role":"user","parts":[{"type":"text","content":"Summarize the last three wallet transfers and flag anything unusual."}]}]`
var probeOutput = `[{"role":"assistant","parts":[{"type":"text","content":"Three transfers, all to known addresses; nothing unusual."}],"finish_reason":"stop"}]`

func (p *prober) one(ctx context.Context) {
	var tid pcommon.TraceID
	var rootID pcommon.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(rootID[:])
	start := time.Now()
	mk := func() (ptrace.Traces, ptrace.SpanSlice) {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", probeService)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("loadtest")
		return td, ss.Spans()
	}
	var runIDs []string
	children, cs := mk()
	for i := range probeChildren {
		s := cs.AppendEmpty()
		s.SetTraceID(tid)
		var sid pcommon.SpanID
		_, _ = rand.Read(sid[:])
		s.SetSpanID(sid)
		s.SetParentSpanID(rootID)
		s.SetName(fmt.Sprintf("chat gpt-4o-mini %d", i))
		s.SetKind(ptrace.SpanKindClient)
		cStart := start.Add(time.Duration(i) * time.Millisecond)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(cStart))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(cStart.Add(time.Millisecond)))
		if p.sinkKeys {
			runIDs = append(runIDs, hex.EncodeToString(sid[:]))
		} else {
			runIDs = append(runIDs, langsmith.RunID(langsmith.IDModeUUIDv7, tid, sid, cStart).String())
		}
		a := s.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o-mini")
		a.PutStr("gen_ai.input.messages", probeMessages)
		a.PutStr("gen_ai.output.messages", probeOutput)
		a.PutInt("gen_ai.usage.input_tokens", 812)
		a.PutInt("gen_ai.usage.output_tokens", 41)
	}
	root, rsl := mk()
	r := rsl.AppendEmpty()
	r.SetTraceID(tid)
	r.SetSpanID(rootID)
	r.SetName("invoke_agent wallet-agent")
	r.SetKind(ptrace.SpanKindServer)
	r.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	r.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(probeChildren*time.Millisecond + time.Millisecond)))
	r.Attributes().PutStr("gen_ai.operation.name", "invoke_agent")
	r.Attributes().PutStr("gen_ai.agent.name", "wallet-agent")

	key := langsmith.RunID(langsmith.IDModeUUIDv7, tid, rootID, start).String()
	if p.sinkKeys { // the pass-through sink records probe spans by span ID
		key = hex.EncodeToString(rootID[:])
	}
	runIDs = append(runIDs, key)
	pr := &probe{expected: probeSize, runIDs: runIDs}
	if err := p.post(ctx, children); err != nil {
		return // load over or refused: not a probe
	}
	p.tracker.mu.Lock()
	p.spans += probeChildren
	p.tracker.mu.Unlock()
	pr.sent = time.Now()
	p.tracker.add(key, pr)
	if err := p.post(ctx, root); err != nil {
		p.tracker.mu.Lock()
		pr.failed = true
		p.tracker.mu.Unlock()
		return
	}
	p.tracker.mu.Lock()
	p.sent++
	p.spans++
	p.tracker.mu.Unlock()
}

// post sends td, and sends it again while the collector answers 503 or 429 (a full queue or
// the memory limiter), as an OTLP exporter retries, for up to a minute.
func (p *prober) post(ctx context.Context, td ptrace.Traces) error {
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		return err
	}
	backoff := 100 * time.Millisecond
	for end := time.Now().Add(time.Minute); ; {
		err := p.postOnce(ctx, body)
		var busy errBusy
		if !errors.As(err, &busy) || time.Now().Add(backoff).After(end) {
			return err
		}
		p.tracker.mu.Lock()
		p.resent += int64(td.SpanCount())
		p.tracker.mu.Unlock()
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// errBusy is a 503 or 429 answer: the collector asks to be sent the data again later.
type errBusy struct{ status int }

func (e errBusy) Error() string { return fmt.Sprintf("probe: HTTP %d", e.status) }

func (p *prober) postOnce(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return errBusy{resp.StatusCode}
	default:
		return fmt.Errorf("probe: HTTP %d", resp.StatusCode)
	}
	return nil
}

func (p *prober) counts() (sent, spans, resent int64) {
	p.tracker.mu.Lock()
	defer p.tracker.mu.Unlock()
	return p.sent, p.spans, p.resent
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
