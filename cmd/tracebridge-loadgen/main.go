// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Command tracebridge-loadgen posts load to a collector at a fixed rate for a fixed time, with
// bounded concurrency, and prints what happened as one JSON object on stdout.
//
// -mode raw (default) posts Langfuse-style raw records to the langfuse receiver
// (POST /api/v1/telemetry/raw with X-API-Key). Records come in traces of -records-per-trace:
// that many minus one span records (LLM-like input/output, model and token usage in extra) and
// one trace-level record, which the langsmith exporter turns into the trace's root run, so every
// accepted record becomes exactly one run. With -batch 1 each record is its own
// application/json request; with -batch N > 1 records go as application/x-ndjson bodies of N.
//
// -mode otlp posts OTLP/HTTP protobuf (POST /v1/traces), -batch spans a request, in traces of
// -records-per-trace spans: an agent root (gen_ai.operation.name invoke_agent) and chat children
// with gen_ai messages and token usage, children ending (and sent) before their root, as SDKs
// export them; a trace may straddle two requests. Each request is a marshaled template with its
// IDs, times and token counts written over (spangen.go), about 0.1 µs a span where telemetrygen
// costs tens, so the generator takes little of a small machine's CPU from the collector it
// drives. Request bodies are reused once their request is done.
//
// The schedule is open-loop: request i is due at start + i*batch/rate. When every worker is busy
// the generator falls behind and says so (late_requests, achieved rate) instead of hiding it.
// Nothing is retried unless -retry is given: a non-2xx answer means the records were not kept.
// With -retry a request answered 429 or 503 is sent again, as the OTel SDKs' OTLP exporters do
// (exponential backoff from 100 ms to 2 s, or the answer's Retry-After), until it is accepted,
// refused otherwise, or -retry-for has passed since its first attempt; the status counts are of
// final answers, retried_requests and records_retried count the attempts that were refused.
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	mode            string
	endpoint        string
	path            string
	apiKey          string
	rate            float64
	duration        time.Duration
	batch           int
	concurrency     int
	recordsPerTrace int
	payloadBytes    int
	maxRequests     int64
	timeout         time.Duration
	seed            uint64
	retry           bool
	retryFor        time.Duration
	retryBackoff    time.Duration // first backoff; doubles up to 20 times it
}

// summary is the JSON printed on stdout at the end.
type summary struct {
	Mode            string  `json:"mode"`
	Unit            string  `json:"unit"` // records or spans: what the records_* fields count
	Endpoint        string  `json:"endpoint"`
	Batch           int     `json:"batch"`
	Concurrency     int     `json:"concurrency"`
	TargetRate      float64 `json:"target_records_per_s"`
	DurationS       float64 `json:"duration_s"`
	Requests        int64   `json:"requests"`
	LateRequests    int64   `json:"late_requests"` // sent more than 100 ms after they were due
	RecordsSent     int64   `json:"records_sent"`
	RecordsAccepted int64   `json:"records_accepted"`
	Traces          int64   `json:"traces"`
	Status2xx       int64   `json:"status_2xx"`
	Status4xx       int64   `json:"status_4xx"`
	Status5xx       int64   `json:"status_5xx"`
	Status429       int64   `json:"status_429"`
	Status503       int64   `json:"status_503"`
	Retried         int64   `json:"retried_requests"` // -retry: attempts answered 429/503 and sent again
	RecordsRetried  int64   `json:"records_retried"`
	NetErrors       int64   `json:"net_errors"`
	AchievedRate    float64 `json:"achieved_records_per_s"`
	AcceptedRate    float64 `json:"accepted_records_per_s"`
	LatencyP50Ms    float64 `json:"latency_p50_ms"`
	LatencyP99Ms    float64 `json:"latency_p99_ms"`
	LatencyMaxMs    float64 `json:"latency_max_ms"`
	FirstError      string  `json:"first_error,omitempty"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tracebridge-loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var c config
	fs := flag.NewFlagSet("tracebridge-loadgen", flag.ContinueOnError)
	fs.StringVar(&c.mode, "mode", "raw", "raw (Langfuse-style records) or otlp (OTLP/HTTP protobuf spans)")
	fs.StringVar(&c.endpoint, "endpoint", "http://127.0.0.1:4320", "receiver base URL (loopback)")
	fs.StringVar(&c.path, "path", "", "request path (default /api/v1/telemetry/raw, or /v1/traces with -mode otlp)")
	fs.StringVar(&c.apiKey, "api-key", "tracebridge-local", "X-API-Key")
	fs.Float64Var(&c.rate, "rate", 1000, "records (or spans) per second")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to send")
	fs.IntVar(&c.batch, "batch", 1, "records per request: 1 = one JSON record per request, N > 1 = NDJSON bodies of N records (otlp: spans per request)")
	fs.IntVar(&c.concurrency, "concurrency", 32, "requests in flight at most")
	fs.IntVar(&c.recordsPerTrace, "records-per-trace", 5, "records (or spans) per trace; raw: the last one is the trace-level record, otlp: the root")
	fs.IntVar(&c.payloadBytes, "payload-bytes", 400, "approximate size of each record's input and output text")
	fs.Int64Var(&c.maxRequests, "max-requests", 0, "stop after this many requests (0 = rate x duration)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed (0 = from the clock)")
	fs.BoolVar(&c.retry, "retry", false, "send a request answered 429 or 503 again after a backoff, as OTLP exporters do")
	fs.DurationVar(&c.retryFor, "retry-for", 5*time.Minute, "with -retry: give a request up this long after its first attempt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.rate <= 0 || c.batch < 1 || c.concurrency < 1 || c.recordsPerTrace < 1 || c.duration <= 0 {
		return errors.New("-rate, -batch, -concurrency, -records-per-trace and -duration must be positive")
	}
	switch c.mode {
	case "raw":
		if c.path == "" {
			c.path = "/api/v1/telemetry/raw"
		}
	case "otlp":
		if c.path == "" {
			c.path = "/v1/traces"
		}
	default:
		return fmt.Errorf("unknown -mode %q", c.mode)
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano()) //nolint:gosec // a seed
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := generate(ctx, c)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// generator produces request bodies.
type generator interface {
	body(batch int) ([]byte, string)
	traceCount() int64
	// unfinished is how many more spans or records complete the trace in progress: a trace
	// cut off when the load stops would otherwise wait for a root that never comes.
	unfinished() int
	// recycle takes back a body once its request is done, for body to fill again.
	recycle(body []byte)
}

// recordGen produces the record stream: trace after trace, the trace-level record last.
type recordGen struct {
	rng      *rand.Rand
	perTrace int
	n        int64 // records produced
	traces   int64
	traceID  [16]byte
	text     string
	bufs     freeList
}

func newRecordGen(seed uint64, perTrace, payload, concurrency int) *recordGen {
	words := []string{"wallet", "transfer", "balance", "agent", "policy", "chain", "token", "swap", "quote", "approve"}
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), //nolint:gosec // load data
		byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)}))
	var b bytes.Buffer
	for b.Len() < payload {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return &recordGen{rng: r, perTrace: perTrace, text: b.String(), bufs: newFreeList(concurrency)}
}

func (g *recordGen) traceCount() int64 { return g.traces }

func (g *recordGen) unfinished() int { return unfinished(g.n, g.perTrace) }

func (g *recordGen) recycle(b []byte) { g.bufs.put(b) }

// unfinished is how many more of a stream's items, n sent so far in traces of perTrace items,
// complete the trace in progress.
func unfinished(n int64, perTrace int) int {
	if idx := int(n % int64(perTrace)); idx > 0 {
		return perTrace - idx
	}
	return 0
}

// next appends one record as a JSON object (no newline) to dst.
func (g *recordGen) next(dst []byte) []byte {
	idx := int(g.n % int64(g.perTrace))
	if idx == 0 {
		for i := 0; i < 16; i += 8 {
			v := g.rng.Uint64() | 1
			for j := range 8 {
				g.traceID[i+j] = byte(v >> (8 * j))
			}
		}
		g.traces++
	}
	g.n++
	now := time.Now().UnixNano()
	dst = append(dst, `{"trace_id":"`...)
	dst = hex.AppendEncode(dst, g.traceID[:])
	dst = append(dst, '"')
	if idx == g.perTrace-1 { // trace-level record: no span_id
		dst = append(dst, `,"trace_name":"wallet-agent","user_id":"u-`...)
		dst = strconv.AppendInt(dst, g.n%97, 10)
		dst = append(dst, `","session_id":"sess-`...)
		dst = strconv.AppendInt(dst, g.traces%13, 10)
		dst = append(dst, `","start_time_unix_nano":`...)
		dst = strconv.AppendInt(dst, now-int64(g.perTrace)*int64(time.Millisecond), 10)
		dst = append(dst, `,"end_time_unix_nano":`...)
		dst = strconv.AppendInt(dst, now, 10)
		dst = append(dst, `,"input":"{\"question\":\"`...)
		dst = append(dst, g.text...)
		dst = append(dst, `\"}","output":"{\"answer\":\"`...)
		dst = append(dst, g.text...)
		dst = append(dst, `\"}"}`...)
		return dst
	}
	var span [8]byte
	v := g.rng.Uint64() | 1
	for j := range 8 {
		span[j] = byte(v >> (8 * j))
	}
	dst = append(dst, `,"span_id":"`...)
	dst = hex.AppendEncode(dst, span[:])
	dst = append(dst, `","span_name":"llm:turn-`...)
	dst = strconv.AppendInt(dst, int64(idx), 10)
	dst = append(dst, `","start_time_unix_nano":`...)
	dst = strconv.AppendInt(dst, now-int64(time.Millisecond), 10)
	dst = append(dst, `,"end_time_unix_nano":`...)
	dst = strconv.AppendInt(dst, now, 10)
	dst = append(dst, `,"input":"[{\"role\":\"user\",\"content\":\"`...)
	dst = append(dst, g.text...)
	dst = append(dst, `\"}]","output":"{\"role\":\"assistant\",\"content\":\"`...)
	dst = append(dst, g.text...)
	dst = append(dst, `\"}","level":"INFO","extra":{"model":"gpt-4o-mini","input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(100+g.rng.IntN(900)), 10)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(10+g.rng.IntN(200)), 10)
	dst = append(dst, `,"chain":"ETH"}}`...)
	return dst
}

// body returns the next request body and its content type.
func (g *recordGen) body(batch int) ([]byte, string) {
	b := g.bufs.get(0)
	if batch == 1 {
		return g.next(b), "application/json"
	}
	for range batch {
		b = g.next(b)
		b = append(b, '\n')
	}
	return b, "application/x-ndjson"
}

type job struct {
	body        []byte
	contentType string
	records     int
}

func generate(ctx context.Context, c config) summary {
	url := c.endpoint + c.path
	// An otlp request (~900 B a span) goes out in one write: through net/http's default 4 kB
	// buffer it took eight write calls, and the kernel's loopback work behind each is charged
	// to this process (-20 % of its CPU unthrottled into a discarding server).
	writeBuffer := 0
	if c.mode == "otlp" {
		writeBuffer = 512 << 10
	}
	client := &http.Client{
		Timeout: c.timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        c.concurrency * 2,
			MaxIdleConnsPerHost: c.concurrency * 2,
			MaxConnsPerHost:     c.concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			WriteBufferSize:     writeBuffer,
		},
	}
	s := summary{Mode: c.mode, Unit: "records", Endpoint: url, Batch: c.batch, Concurrency: c.concurrency, TargetRate: c.rate}
	if c.mode == "otlp" {
		s.Unit = "spans"
	}
	total := int64(c.rate * c.duration.Seconds() / float64(c.batch))
	if c.maxRequests > 0 && c.maxRequests < total {
		total = c.maxRequests
	}
	interval := time.Duration(float64(c.batch) / c.rate * float64(time.Second))

	var (
		requests, late, sent, accepted        atomic.Int64
		s2xx, s4xx, s5xx, s429, s503, netErrs atomic.Int64
		retried, recordsRetried               atomic.Int64
		firstErr                              atomic.Value
		latMu                                 sync.Mutex
		lats                                  = make([]time.Duration, 0, total)
	)
	var gen generator = newRecordGen(c.seed, c.recordsPerTrace, c.payloadBytes, c.concurrency)
	if c.mode == "otlp" {
		gen = newSpanGen(c.seed, c.recordsPerTrace, c.concurrency)
	}
	jobs := make(chan job, c.concurrency)
	var wg sync.WaitGroup
	for range c.concurrency {
		wg.Go(func() {
			for j := range jobs {
				t0 := time.Now()
				code, err := postRetrying(ctx, client, url, c, j, func() {
					retried.Add(1)
					recordsRetried.Add(int64(j.records))
				})
				d := time.Since(t0)
				gen.recycle(j.body)
				requests.Add(1)
				sent.Add(int64(j.records))
				switch {
				case err != nil:
					netErrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				case code >= 200 && code < 300:
					s2xx.Add(1)
					accepted.Add(int64(j.records))
				case code >= 500:
					s5xx.Add(1)
					if code == http.StatusServiceUnavailable {
						s503.Add(1)
					}
					firstErr.CompareAndSwap(nil, fmt.Sprintf("HTTP %d", code))
				case code >= 400:
					s4xx.Add(1)
					if code == http.StatusTooManyRequests {
						s429.Add(1)
					}
					firstErr.CompareAndSwap(nil, fmt.Sprintf("HTTP %d", code))
				}
				latMu.Lock()
				lats = append(lats, d)
				latMu.Unlock()
			}
		})
	}

	start := time.Now()
	deadline := start.Add(c.duration)
	timer := time.NewTimer(0)
	<-timer.C
loop:
	for i := int64(0); i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		} else if -d > 100*time.Millisecond {
			late.Add(1)
		}
		if time.Now().After(deadline.Add(time.Second)) {
			break
		}
		body, ct := gen.body(c.batch)
		select {
		case jobs <- job{body: body, contentType: ct, records: c.batch}:
		case <-ctx.Done():
			break loop
		}
	}
	// Finish the trace in progress, so every trace sent is whole.
	if n := gen.unfinished(); n > 0 && ctx.Err() == nil {
		body, ct := gen.body(n)
		jobs <- job{body: body, contentType: ct, records: n}
	}
	close(jobs)
	sendEnd := time.Now()
	wg.Wait()

	elapsed := sendEnd.Sub(start).Seconds()
	s.DurationS = round(elapsed, 3)
	s.Requests, s.LateRequests = requests.Load(), late.Load()
	s.RecordsSent, s.RecordsAccepted, s.Traces = sent.Load(), accepted.Load(), gen.traceCount()
	s.Status2xx, s.Status4xx, s.Status5xx = s2xx.Load(), s4xx.Load(), s5xx.Load()
	s.Status429, s.Status503, s.NetErrors = s429.Load(), s503.Load(), netErrs.Load()
	s.Retried, s.RecordsRetried = retried.Load(), recordsRetried.Load()
	if elapsed > 0 {
		s.AchievedRate = round(float64(s.RecordsSent)/elapsed, 1)
		s.AcceptedRate = round(float64(s.RecordsAccepted)/elapsed, 1)
	}
	slices.Sort(lats)
	s.LatencyP50Ms, s.LatencyP99Ms = ms(quantile(lats, 0.50)), ms(quantile(lats, 0.99))
	if len(lats) > 0 {
		s.LatencyMaxMs = ms(lats[len(lats)-1])
	}
	if v, ok := firstErr.Load().(string); ok {
		s.FirstError = v
	}
	return s
}

// postRetrying posts j, and with -retry posts it again after a backoff while the answer is 429
// or 503; retried is called before each repeat.
func postRetrying(ctx context.Context, client *http.Client, url string, c config, j job, retried func()) (int, error) {
	first := time.Now()
	backoff := c.retryBackoff
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	limit := 20 * backoff
	for {
		code, wait, err := post(ctx, client, url, c.apiKey, j)
		if !c.retry || err != nil || (code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable) {
			return code, err
		}
		if wait <= 0 {
			wait = backoff
			backoff = min(2*backoff, limit)
		}
		if time.Since(first)+wait > c.retryFor {
			return code, nil
		}
		retried()
		select {
		case <-ctx.Done():
			return code, nil
		case <-time.After(wait):
		}
	}
}

// post sends j once and returns the answer's status and Retry-After (0 when absent).
func post(ctx context.Context, client *http.Client, url, apiKey string, j job) (int, time.Duration, error) {
	body := &sentBody{Reader: bytes.NewReader(j.body), closed: make(chan struct{})}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return 0, 0, err
	}
	// The transport may still read the body after Do returns (it closes it when done, perhaps
	// from another goroutine): the buffer goes back to the free list only once it is closed.
	defer body.wait()
	req.ContentLength = int64(len(j.body))
	req.Header.Set("Content-Type", j.contentType)
	if apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	var wait time.Duration
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		wait = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, wait, nil
}

// sentBody is a request body that tells when the transport has closed it, so its buffer can be
// filled again.
type sentBody struct {
	*bytes.Reader
	once   sync.Once
	closed chan struct{}
}

func (b *sentBody) Close() error { //nolint:unparam // io.Closer
	b.once.Do(func() { close(b.closed) })
	return nil
}

func (b *sentBody) wait() { <-b.closed }

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 2) }

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
