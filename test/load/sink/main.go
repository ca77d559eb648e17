// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Command sink is the load harness's downstream, run as its own process on loopback so that its
// CPU is measured apart from the collector's. Three modes:
//
//   - strict: the LangSmith emulator (internal/smithemu, as cmd/smithemu serves it: same
//     validation, API key, 24 h time window) without cmd/smithemu's per-trace tree printing,
//     plus a record of when each run's post was accepted. The harness verifies exactly-once from
//     the emulator's own store (GET /_emu/runs).
//   - lite: a LangSmith /runs/multipart endpoint that checks what the harness verifies (API key,
//     zstd, multipart framing with Content-Type and a length on every part, UUID ids,
//     name and run_type present, trace_id / parent_run_id / dotted_order consistent, one post
//     per run: a second post is a 409 and stores nothing, as the service does) and keeps a few
//     bytes per run, so it costs microseconds a run where the strict emulator costs ~20
//     (checking every payload's JSON, building each run's fields, keeping them as text). It does
//     not decode payload JSON: the strict scenario covers that.
//   - otlp: an OTLP/HTTP traces endpoint for the pass-through baseline: checks the protobuf
//     framing, counts spans and records the probes' arrival (scanOTLP, without decoding into
//     pdata), answers 200.
//
// Control routes (all modes): GET /_lt/summary (counts and the exactly-once and tree check),
// POST /_lt/accepted (a JSON array of run IDs, or of probe span IDs in otlp mode → their
// acceptance times in Unix nanoseconds, 0 = never), /debug/pprof/.
//
// Why not bin/smithemu: it prints every completed trace as a tree on stdout, which at load
// rates costs more than the collector it is measuring. The harness can still drive it
// (-downstream bin/smithemu) and reads completions from its stdout.
package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:1984", "listen address")
	mode := fs.String("mode", "lite", "strict, lite or otlp")
	apiKey := fs.String("api-key", "", "required x-api-key (strict and lite; empty = none)")
	probeService := fs.String("probe-service", "loadtest-probe", "otlp: service.name of the spans whose arrival is recorded")
	storm429 := fs.Float64("storm-429", 0, "lite: fraction of multipart requests answered 429, at random")
	storm503 := fs.Float64("storm-503", 0, "lite: fraction of multipart requests answered 503, at random")
	latency := fs.Duration("latency", 0, "lite: time each multipart request takes to answer (a slow LangSmith)")
	stormRA := fs.Int("storm-retry-after", 0, "lite: Retry-After seconds on the storm's 429s (0 = none, as LangSmith's multipart)")
	sizeRuns := fs.Int("runs", 0, "lite: runs to size the store for at start (the harness passes a scenario's span count; it grows past that as needed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := &server{mode: *mode, apiKey: *apiKey, probeService: *probeService,
		runs: make(map[uuid.UUID]liteRun, max(*sizeRuns, 0)), accepted: map[string]int64{}, status: map[int]int64{},
		storm429: *storm429, storm503: *storm503, stormRA: *stormRA, latency: *latency}
	var err error
	if s.zdec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(4)); err != nil {
		return err
	}
	switch *mode {
	case "strict":
		cfg := smithemu.DefaultConfig()
		if *apiKey != "" {
			cfg.APIKeys = map[string]string{*apiKey: ""}
		}
		cfg.CheckTimeWindow = true
		cfg.OnAccepted = s.recordAccepted
		s.emu = smithemu.New(cfg)
	case "lite", "otlp":
		// One thread running Go is plenty (the sink takes a fifth of a core at 60k runs/s), and
		// with a second P each request the poller readied woke an idle thread: futex calls were
		// a tenth of the sink's CPU in a 1M-span lite run, a thirtieth with one. (otlp: the
		// pass-through's few large requests cost a few µs a span, most of it gzip.)
		runtime.GOMAXPROCS(1)
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	srv := &http.Server{Addr: *addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(os.Stderr, "sink (%s) listening on %s\n", *mode, *addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-errc:
		return err
	case <-sig:
		return srv.Close()
	}
}

type server struct {
	mode, apiKey, probeService string
	// A rate-limit storm: random 429s and 503s, independent of the rate (test/load storm-*).
	storm429, storm503 float64
	stormRA            int
	stormed            int64 // requests answered by the storm
	latency            time.Duration
	emu                *smithemu.Server
	zdec               *zstd.Decoder

	mu       sync.Mutex
	runs     map[uuid.UUID]liteRun // lite (values without pointers: the GC skips them)
	accepted map[string]int64      // strict: run id → accepted; otlp: probe span id → received
	status   map[int]int64
	errors   []string
	conflict int64 // runs refused as duplicates (409)
	posted   int   // lite: runs posted
	patches  int64
	requests int64
	queries  int64 // POST /runs/query (not in requests)
	bodyRaw  int64
	bodyZ    int64
	encZstd  int64
	spans    atomic.Int64 // otlp
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_lt/accepted" && r.Method == http.MethodPost:
		s.lookup(w, r)
		return
	case r.URL.Path == "/_lt/summary":
		s.summary(w, r.URL.Query().Get("counts") != "")
		return
	case strings.HasPrefix(r.URL.Path, "/debug/pprof/"):
		if strings.TrimPrefix(r.URL.Path, "/debug/pprof/") == "profile" {
			pprof.Profile(w, r)
		} else {
			pprof.Index(w, r)
		}
		return
	}
	switch s.mode {
	case "otlp":
		s.otlp(w, r)
	case "strict":
		s.strict(w, r)
	default:
		s.lite(w, r)
	}
}

func (s *server) answer(w http.ResponseWriter, status int, msg string) {
	s.mu.Lock()
	s.status[status]++
	if status >= 400 && len(s.errors) < 5 {
		s.errors = append(s.errors, fmt.Sprintf("%d %s", status, msg))
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

// stormAnswer answers the request 429 or 503 at the storm's rates, before reading the body as
// a load balancer or rate limiter does, and reports whether it did.
func (s *server) stormAnswer(w http.ResponseWriter) bool {
	if s.storm429 == 0 && s.storm503 == 0 {
		return false
	}
	status := 0
	switch x := rand.Float64(); { //nolint:gosec // load pattern, not security
	case x < s.storm429:
		status = http.StatusTooManyRequests
		if s.stormRA > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(s.stormRA))
		}
	case x < s.storm429+s.storm503:
		status = http.StatusServiceUnavailable
	default:
		return false
	}
	s.mu.Lock()
	s.status[status]++
	s.stormed++
	s.requests++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error":"storm"}`)
	return true
}

// strict passes the request to the emulator, which reports the posts of each request it
// stored to recordAccepted.
func (s *server) strict(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/runs/multipart") {
		if strings.HasSuffix(r.URL.Path, "/runs/query") {
			s.mu.Lock()
			s.queries++
			s.mu.Unlock()
		}
		s.emu.ServeHTTP(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	s.emu.ServeHTTP(sw, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[sw.status]++
	s.requests++
}

// recordAccepted records when the emulator stored the posts of a request (before it answered,
// as the runs became visible), the first time for each run: the emulator hands over the ids it
// read, so the body is neither decompressed nor split a second time here.
func (s *server) recordAccepted(ids []string) {
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, seen := s.accepted[id]; !seen {
			s.accepted[id] = now
		}
	}
}

// query answers the v1 run query by id (POST /runs/query, as internal/smithemu serves it with
// its checks: the key, a JSON body, at most 100 UUIDs in "id", limit 1..100): the runs it lists
// are those whose post was stored. The sink has one key, so one workspace.
func (s *server) query(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.queries++
	s.mu.Unlock()
	if s.apiKey != "" && r.Header.Get("X-Api-Key") != s.apiKey {
		s.answer(w, http.StatusUnauthorized, "Invalid token")
		return
	}
	var q struct {
		ID     []string `json:"id"`
		Select []string `json:"select"`
		Limit  *int     `json:"limit"`
		Cursor *string  `json:"cursor"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.answer(w, http.StatusUnprocessableEntity, fmt.Sprintf("invalid run query: %v", err))
		return
	}
	limit := 100
	if q.Limit != nil {
		limit = *q.Limit
	}
	if len(q.ID) == 0 || len(q.ID) > 100 || limit < 1 || limit > 100 || q.Cursor != nil {
		s.answer(w, http.StatusUnprocessableEntity, "invalid run query: 1 to 100 ids, limit 1 to 100, no cursor")
		return
	}
	type found struct {
		ID string `json:"id"`
	}
	out := []found{}
	s.mu.Lock()
	for _, v := range q.ID {
		id, err := uuid.Parse(v)
		if err != nil {
			s.mu.Unlock()
			s.answer(w, http.StatusUnprocessableEntity, "invalid run query: id "+v+" is not a UUID")
			return
		}
		if s.runs[id].posts > 0 && len(out) < limit {
			out = append(out, found{ID: id.String()})
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"runs": out, "cursors": map[string]any{"next": nil, "prev": nil}})
}

func (s *server) otlp(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		s.answer(w, http.StatusNotFound, "not found")
		return
	}
	now := time.Now().UnixNano()
	sc := liteScratchPool.Get().(*liteScratch)
	defer liteScratchPool.Put(sc)
	raw, body, err := s.liteBody(r, sc)
	if err != nil {
		s.answer(w, http.StatusBadRequest, err.Error())
		return
	}
	spans, probes, err := scanOTLP(body, s.probeService, sc.probes[:0])
	sc.probes = probes
	if err != nil {
		s.answer(w, http.StatusBadRequest, err.Error())
		return
	}
	s.spans.Add(int64(spans))
	s.mu.Lock()
	s.requests++
	s.status[http.StatusOK]++
	s.bodyRaw += int64(len(body))
	s.bodyZ += int64(len(raw))
	for _, id := range probes {
		key := hex.EncodeToString(id[:])
		if _, seen := s.accepted[key]; !seen {
			s.accepted[key] = now
		}
	}
	s.mu.Unlock()
	resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *server) lookup(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := make([]int64, len(ids))
	s.mu.Lock()
	for i, id := range ids {
		if s.mode == "lite" {
			if u, err := uuid.Parse(id); err == nil {
				if rs := s.runs[u]; rs.posts > 0 {
					out[i] = rs.at
				}
			}
			continue
		}
		out[i] = s.accepted[id]
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// Summary is GET /_lt/summary.
type Summary struct {
	Mode          string         `json:"mode"`
	Requests      int64          `json:"requests"`
	ByStatus      map[string]int `json:"by_status"`
	Errors        []string       `json:"first_errors,omitempty"`
	ZstdRequests  int64          `json:"zstd_requests"`
	BodyMiB       float64        `json:"decoded_body_mib"`
	WireMiB       float64        `json:"wire_body_mib"`
	Spans         int64          `json:"spans,omitempty"`       // otlp
	Runs          int            `json:"runs"`                  // lite: runs with a post
	PostsNot1     int            `json:"posts_not_1"`           // lite: patched but never posted
	Patches       int64          `json:"patches"`               // lite
	Conflicts     int64          `json:"conflicts"`             // runs refused as duplicates (409)
	MissingParent int            `json:"missing_parent"`        // lite
	BadRoot       int            `json:"bad_root"`              // lite
	Traces        int            `json:"traces"`                // lite
	TraceSizes    map[string]int `json:"trace_sizes,omitempty"` // lite: runs per trace → traces
	Stormed       int64          `json:"stormed,omitempty"`     // lite: requests answered by the storm
	Queries       int64          `json:"queries,omitempty"`     // run queries (POST /runs/query), not in requests
}

// summary answers GET /_lt/summary; with countsOnly (?counts=1, for polling while the pipeline
// drains) it skips the pass over every stored run.
func (s *server) summary(w http.ResponseWriter, countsOnly bool) {
	s.mu.Lock()
	sum := Summary{Mode: s.mode, Requests: s.requests, ByStatus: map[string]int{}, Errors: s.errors,
		ZstdRequests: s.encZstd, BodyMiB: float64(s.bodyRaw) / (1 << 20), WireMiB: float64(s.bodyZ) / (1 << 20),
		Spans: s.spans.Load(), Patches: s.patches, Conflicts: s.conflict, Stormed: s.stormed, Queries: s.queries}
	for k, v := range s.status {
		sum.ByStatus[strconv.Itoa(k)] = int(v)
	}
	sum.Runs = s.posted
	if s.mode == "lite" && !countsOnly {
		sum.Runs = 0
		perTrace := map[uuid.UUID]int{}
		for id, rs := range s.runs {
			if rs.posts != 1 {
				sum.PostsNot1++
				continue
			}
			sum.Runs++
			perTrace[rs.trace]++
			if !rs.hasParent {
				if id != rs.trace {
					sum.BadRoot++
				}
			} else if p := s.runs[rs.parent]; p.posts == 0 {
				sum.MissingParent++
			}
		}
		sum.Traces = len(perTrace)
		sum.TraceSizes = map[string]int{}
		for _, n := range perTrace {
			sum.TraceSizes[strconv.Itoa(n)]++
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(sum)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
