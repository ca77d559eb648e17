// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Command load is tracebridge's end-to-end load harness (`make loadtest`, or
// `go run ./test/load -h`). For each scenario it starts the built otelcol-tracebridge and, as
// separate processes on loopback, the LangSmith emulator (or, for the pass-through baseline, an
// OTLP sink inside the harness), drives load for a fixed time with telemetrygen (OTLP) or
// tracebridge-loadgen (raw records), waits for the pipeline to drain, checks that every span
// reached the emulator exactly once as a correct tree, stops everything, and prints one table.
// Results are also written as JSON to test/load/results/<timestamp>.json.
//
// Measured on the collector process alone: CPU seconds per 100k spans (utime+stime deltas from
// /proc/<pid>/stat), peak RSS (VmHWM), and, from probe traces mixed into the load, the latency
// from a root span being sent to the last run of its trace being stored downstream. The same
// load through the same binary configured as a plain pass-through (otlp → memory_limiter, batch
// → otlp_http) gives the baseline that the CPU figure is divided by, so the ratio holds on a
// noisy machine.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	modeTracebridge = "tracebridge"
	modePassthrough = "passthrough"

	loadOTLP      = "otlp"
	loadRawNDJSON = "raw-ndjson"
	loadRawSingle = "raw-single"

	spansPerTrace = 5 // telemetrygen: a root and --child-spans 4
)

// scenario is one run: a collector configuration, a load and its targets.
type scenario struct {
	Name     string
	Mode     string
	Load     string
	Rate     float64 // spans/s (otlp) or records/s (raw), before -rate-scale
	Storage  bool    // file_storage for the exporter's queue and assembly
	Baseline string  // pass-through scenario whose CPU per span this one is divided by
	Profile  bool
	Default  bool
	// Downstream of a tracebridge scenario: lite (default) or strict; see test/load/sink.
	Downstream string
	// Client of an otlp scenario: telemetrygen (default) or loadgen (tracebridge-loadgen -mode
	// otlp, for rates telemetrygen cannot reach beside the collector on a small machine).
	Client string
	// Duration overrides the default load time (-duration given on the command line wins).
	Duration time.Duration
	// Storm makes the lite downstream answer at random: 429 and 503 fractions of the multipart
	// requests, and the Retry-After seconds of its 429s (0 = none, as LangSmith's multipart).
	Storm *storm
	// SinkLatency slows every multipart answer of the lite downstream, so uploads queue up.
	SinkLatency time.Duration
	// Spans, when set, makes the load a fixed number of spans sent as fast as the collector
	// takes them (tracebridge-loadgen with no schedule: Batch spans a request, Concurrency
	// requests in flight), instead of Rate for the load time; the load time is then a cap.
	Spans       int64
	Batch       int // spans per OTLP request (default -otlp-batch)
	Concurrency int // loadgen requests in flight (default 8)
	// KillAfter, when set, kills the collector with SIGKILL this long after the load ended
	// (uploads still queued), restarts it on the same file_storage, and counts what the
	// restarted collector sent.
	KillAfter time.Duration

	// Targets (0 = none).
	MinRate  float64 // delivered spans (or accepted records) per second, with zero loss
	MaxRatio float64
	MaxRSS   float64 // MiB
	MaxP99   float64 // ms
	MaxDrain float64 // seconds from the end of the load until everything is delivered
}

type storm struct {
	TooMany, Unavailable float64
	RetryAfter           int
}

// args are the sink's flags for the storm.
func (st *storm) args() []string {
	if st == nil {
		return []string{}
	}
	return []string{"-storm-429", strconv.FormatFloat(st.TooMany, 'f', -1, 64),
		"-storm-503", strconv.FormatFloat(st.Unavailable, 'f', -1, 64), "-storm-retry-after", strconv.Itoa(st.RetryAfter)}
}

var scenarios = []scenario{
	{Name: "otlp-10k-base", Mode: modePassthrough, Load: loadOTLP, Rate: 10_000, Default: true},
	// 60 s: the exporter's identity cache (resolved_max_traces 100k = 500k spans) fills at
	// 10k spans/s in 50 s, so a shorter run would report a peak RSS below the steady state.
	{Name: "otlp-10k", Mode: modeTracebridge, Load: loadOTLP, Rate: 10_000, Baseline: "otlp-10k-base", Default: true,
		Duration: 60 * time.Second, MaxRatio: 2, MaxRSS: 250, MaxP99: 2000},
	{Name: "otlp-20k-base", Mode: modePassthrough, Load: loadOTLP, Client: "loadgen", Rate: 20_000, Default: true},
	{Name: "otlp-20k", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Rate: 20_000, Baseline: "otlp-20k-base", Profile: true, Default: true,
		MinRate: 20_000, MaxRatio: 2, MaxP99: 2000},
	{Name: "otlp-20k-tg-base", Mode: modePassthrough, Load: loadOTLP, Rate: 20_000},
	{Name: "otlp-20k-tg", Mode: modeTracebridge, Load: loadOTLP, Rate: 20_000, Baseline: "otlp-20k-tg-base",
		MinRate: 20_000, MaxRatio: 2, MaxP99: 2000},
	{Name: "raw-ndjson-20k", Mode: modeTracebridge, Load: loadRawNDJSON, Rate: 20_000, Default: true, MinRate: 20_000},
	// One record (span) per request: the raw endpoint's real-life pattern, and the stock
	// pass-through taking one OTLP/HTTP span per request at the same rate and concurrency, so
	// the ratio shows what tracebridge adds to a collector's per-request cost.
	{Name: "otlp-single-3k-base", Mode: modePassthrough, Load: loadOTLP, Client: "loadgen", Rate: 3_000, Batch: 1, Concurrency: 32, Default: true},
	{Name: "raw-single-3k", Mode: modeTracebridge, Load: loadRawSingle, Rate: 3_000, Default: true, MinRate: 3_000,
		Baseline: "otlp-single-3k-base"},
	{Name: "otlp-3k-strict", Mode: modeTracebridge, Load: loadOTLP, Rate: 3_000, Downstream: "strict", Default: true,
		MaxP99: 2000},
	// A 25,000-run burst (5 s at 5,000 spans/s), healthy and under a rate-limit storm: the
	// drain column is the seconds to settle after the load; the target is 60 s (issue #16).
	{Name: "burst-25k", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Rate: 5_000, Duration: 5 * time.Second},
	{Name: "storm-25k", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Rate: 5_000, Duration: 5 * time.Second,
		Storm: &storm{TooMany: 0.5, Unavailable: 0.1, RetryAfter: 1}, MaxDrain: 60},
	{Name: "storm-25k-no-retry-after", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Rate: 5_000, Duration: 5 * time.Second,
		Storm: &storm{TooMany: 0.5, Unavailable: 0.1}},
	// kill -9 while the burst is being delivered (a slow downstream keeps it queued), restart
	// on the same file_storage: nothing lost or doubled, and what the recovery costs.
	{Name: "kill-25k", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Rate: 5_000, Duration: 5 * time.Second,
		Storage: true, SinkLatency: 300 * time.Millisecond, KillAfter: time.Second},
	// LLM-heavy spans, unthrottled (issue 18): 100k spans in 5-span agent traces (an
	// invoke_agent root, four chat children with ~455 B of gen_ai semconv input/output messages,
	// model, provider and token usage), 50 traces (250 spans) per OTLP/HTTP request, 4 requests in
	// flight, as fast as the collector takes them. The pass-through and tracebridge into the
	// strict emulator make the CPU-per-span pair; -lite is the same load into the light sink,
	// for the sustained rate.
	{Name: "otlp-llm-100k-base", Mode: modePassthrough, Load: loadOTLP, Client: "loadgen", Spans: 100_000, Batch: 250, Concurrency: 4,
		Duration: 180 * time.Second},
	{Name: "otlp-llm-100k", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Spans: 100_000, Batch: 250, Concurrency: 4,
		Duration: 180 * time.Second, Downstream: "strict", Baseline: "otlp-llm-100k-base", MaxRatio: 1.5},
	{Name: "otlp-llm-100k-lite", Mode: modeTracebridge, Load: loadOTLP, Client: "loadgen", Spans: 100_000, Batch: 250, Concurrency: 4,
		Duration: 180 * time.Second, Baseline: "otlp-llm-100k-base", MinRate: 50_000, MaxRatio: 1.5},
	{Name: "otlp-10k-storage", Mode: modeTracebridge, Load: loadOTLP, Rate: 10_000, Storage: true, Baseline: "otlp-10k-base",
		MaxRatio: 2, MaxRSS: 250, MaxP99: 2000},
}

type options struct {
	scenarios       string
	duration        time.Duration
	durationSet     bool
	spans           int64 // when set, the span count of every fixed-count scenario
	rateScale       float64
	probeRate       float64
	collector       string
	sinkBin         string
	downstream      string
	telemetrygen    string
	loadgen         string
	tgProcs         int
	tgWorkers       int
	otlpBatch       int
	otlpClient      string
	transport       string
	ndjsonBatch     int
	rawConcurrency  int
	storage         bool
	profile         string
	profileSeconds  int
	profileDown     bool
	results         string
	work            string
	drainTimeout    time.Duration
	drainQuiet      time.Duration
	exporterYAML    string
	collectorEnv    string
	baselineCompr   string
	listOnly        bool
	stamp           string
	goBin           string
	selectedProfile map[string]bool
	fixedCount      bool // this scenario sends a fixed number of spans, unthrottled
}

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run() (int, error) {
	var o options
	flag.StringVar(&o.scenarios, "scenarios", "default", "comma-separated scenario names, or default or all (-list shows them)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "load time per scenario")
	flag.Int64Var(&o.spans, "spans", 0, "span count of every fixed-count scenario instead of its own (e.g. 1000000 for a load long enough to profile)")
	flag.Float64Var(&o.rateScale, "rate-scale", 1, "multiply every scenario's rate (e.g. 0.5 for a quick look)")
	flag.Float64Var(&o.probeRate, "probe-rate", 20, "latency probe traces per second (5 spans each)")
	flag.StringVar(&o.collector, "collector", "bin/otelcol-tracebridge", "collector binary")
	flag.StringVar(&o.downstream, "downstream", "", "downstream of every tracebridge scenario, instead of each scenario's own: lite, strict (see test/load/sink), or the path of a cmd/smithemu binary such as bin/smithemu (completions read from its stdout)")
	flag.StringVar(&o.telemetrygen, "telemetrygen", ".tools/telemetrygen", "telemetrygen binary (v0.161.0)")
	flag.StringVar(&o.loadgen, "loadgen", "", "tracebridge-loadgen binary (default: built from ./cmd/tracebridge-loadgen into the work directory)")
	flag.IntVar(&o.tgProcs, "tg-procs", 2, "telemetrygen processes (each its own SDK and batch span processor, like separate services)")
	flag.IntVar(&o.tgWorkers, "tg-workers", 4, "telemetrygen workers per process")
	flag.IntVar(&o.otlpBatch, "otlp-batch", 512, "spans per OTLP request (telemetrygen --batch-size; 512 is the OTel SDKs' default)")
	flag.StringVar(&o.otlpClient, "otlp-client", "", "OTLP client of every otlp scenario, instead of each scenario's own: telemetrygen or loadgen")
	flag.StringVar(&o.transport, "otlp", "http", "telemetrygen transport: http or grpc")
	flag.IntVar(&o.ndjsonBatch, "ndjson-batch", 100, "records per NDJSON request")
	flag.IntVar(&o.rawConcurrency, "raw-concurrency", 32, "tracebridge-loadgen requests in flight")
	flag.BoolVar(&o.storage, "storage", false, "use file_storage for the exporter's queue and assembly in every tracebridge scenario")
	flag.StringVar(&o.profile, "profile", "auto", "scenarios to CPU-profile: auto (those marked), none, or names")
	flag.IntVar(&o.profileSeconds, "profile-seconds", 20, "CPU profile length")
	flag.BoolVar(&o.profileDown, "profile-downstream", false, "also profile the downstream process (sink or emulator) of profiled scenarios")
	flag.StringVar(&o.results, "results", "test/load/results", "results directory")
	flag.StringVar(&o.work, "work", "tmp/loadtest", "directory for configs and process logs")
	flag.DurationVar(&o.drainTimeout, "drain-timeout", 60*time.Second, "how long to wait for the pipeline to drain after the load")
	flag.DurationVar(&o.drainQuiet, "drain-quiet", 10*time.Second, "when the downstream never reaches the accepted count: drained = collector empty and nothing new downstream for this long")
	flag.StringVar(&o.baselineCompr, "baseline-compression", "gzip", "otlp_http compression of the pass-through baseline (its default is gzip)")
	flag.BoolVar(&o.listOnly, "list", false, "list the scenarios and exit")
	flag.StringVar(&o.exporterYAML, "exporter-yaml", "", "extra YAML under the langsmith exporter, to try settings (e.g. $'assembly:\\n  resolved_max_traces: 10000')")
	flag.StringVar(&o.collectorEnv, "collector-env", "", "comma-separated KEY=VALUE environment of the collector (e.g. GOMEMLIMIT=300MiB)")
	flag.Parse()
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "duration" {
			o.durationSet = true
		}
	})

	if o.listOnly {
		for _, s := range scenarios {
			def := ""
			if s.Default {
				def = " (default)"
			}
			client := s.Client
			if client == "" && s.Load == loadOTLP {
				client = "telemetrygen"
			} else if client == "" {
				client = "loadgen"
			}
			down := s.Downstream
			if s.Mode == modePassthrough {
				down = "otlp sink"
			} else if down == "" {
				down = "lite"
			}
			rate := fmt.Sprintf("%7.0f/s", s.Rate)
			if s.Spans > 0 {
				rate = fmt.Sprintf("%d spans, unthrottled", s.Spans)
			}
			fmt.Printf("%-18s %-12s %-11s %-13s %-10s %s%s\n", s.Name, s.Mode, s.Load, client, down, rate, def)
		}
		return 0, nil
	}
	selected, err := selectScenarios(o.scenarios)
	if err != nil {
		return 2, err
	}
	o.selectedProfile = map[string]bool{}
	switch o.profile {
	case "auto":
		for _, s := range selected {
			o.selectedProfile[s.Name] = s.Profile
		}
	case "none", "":
	default:
		for n := range strings.SplitSeq(o.profile, ",") {
			o.selectedProfile[strings.TrimSpace(n)] = true
		}
	}
	o.goBin = "go"
	if p, err := exec.LookPath("go"); err == nil {
		o.goBin = p
	}
	if err := prepareBinaries(&o, selected); err != nil {
		return 2, err
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	defer stopAll() // whatever happens, nothing the harness started outlives it

	o.stamp = time.Now().UTC().Format("20060102T150405Z")
	o.work = filepath.Join(o.work, o.stamp)
	if err := os.MkdirAll(o.work, 0o750); err != nil {
		return 2, err
	}
	if err := os.MkdirAll(o.results, 0o750); err != nil {
		return 2, err
	}
	rep := report{
		StartedAt: time.Now().UTC(), Machine: machineInfo(o.collector), Options: optionsJSON(o),
		Note: "figures from a shared 2-core machine are indicative; take final figures on a quiet machine",
	}
	rep.Machine.LoadAvgStart = loadAvg()
	fmt.Printf("tracebridge load test: %d scenario(s), %s each, work dir %s\n", len(selected), o.duration, o.work)
	fmt.Printf("collector: %s\n", rep.Machine.Collector)
	fmt.Printf("machine: %d CPUs, load average %.2f %.2f %.2f at start\n", runtime.NumCPU(),
		rep.Machine.LoadAvgStart[0], rep.Machine.LoadAvgStart[1], rep.Machine.LoadAvgStart[2])

	byName := map[string]*result{}
	for _, sc := range selected {
		if ctx.Err() != nil {
			break
		}
		so := o
		if sc.Duration > 0 && !o.durationSet {
			so.duration = sc.Duration
		}
		if sc.Spans > 0 && o.spans > 0 {
			sc.Spans = o.spans
		}
		so.fixedCount = sc.Spans > 0
		rate := fmt.Sprintf("%.0f/s", sc.Rate*o.rateScale)
		if sc.Spans > 0 {
			rate = fmt.Sprintf("%d spans unthrottled, at most", sc.Spans)
		}
		into := "the pass-through's OTLP sink"
		if sc.Mode != modePassthrough {
			kind, overridden := downstreamOf(sc, o)
			into = kind
			if overridden {
				into += " (-downstream, not the scenario's own)"
			}
		}
		fmt.Printf("\n== %s (%s, %s via %s, %s, %s, into %s) ==\n", sc.Name, sc.Mode, sc.Load, clientOf(sc, o), rate, so.duration, into)
		r := runScenario(ctx, sc, so)
		stopAll()
		if b := byName[sc.Baseline]; b != nil && b.CPUPer100k > 0 && r.CPUPer100k > 0 {
			r.CPURatio = r.CPUPer100k / b.CPUPer100k
		}
		byName[sc.Name] = r
		rep.Scenarios = append(rep.Scenarios, r)
		printSummaryLine(r)
	}
	rep.Machine.LoadAvgEnd = loadAvg()
	rep.FinishedAt = time.Now().UTC()
	rep.Targets = evaluateTargets(selected, byName)

	fmt.Println()
	printTable(os.Stdout, &rep)
	path := filepath.Join(o.results, o.stamp+".json")
	if b, err := json.MarshalIndent(rep, "", "  "); err == nil {
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return 1, err
		}
		fmt.Printf("\nresults: %s   logs: %s\n", path, o.work)
	}
	if ctx.Err() != nil {
		return 130, errors.New("interrupted")
	}
	for _, r := range rep.Scenarios {
		if len(r.Errors) > 0 {
			return 1, nil
		}
	}
	return 0, nil
}

func selectScenarios(spec string) ([]scenario, error) {
	var out []scenario
	switch spec {
	case "default", "":
		for _, s := range scenarios {
			if s.Default {
				out = append(out, s)
			}
		}
		return out, nil
	case "all":
		return scenarios, nil
	}
	for n := range strings.SplitSeq(spec, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, s := range scenarios {
			if s.Name == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q (try -list)", n)
		}
	}
	return out, nil
}

// prepareBinaries checks the collector and telemetrygen and builds the harness's own programs
// (the sink and, unless -loadgen names one, tracebridge-loadgen) into the work directory.
func prepareBinaries(o *options, selected []scenario) error {
	needTG := false
	for _, s := range selected {
		if clientOf(s, *o) == "telemetrygen" {
			needTG = true
		}
	}
	if _, err := os.Stat(o.collector); err != nil {
		return fmt.Errorf("%s: %w (run make build)", o.collector, err)
	}
	o.sinkBin = filepath.Join(o.work, "bin", "lt-sink")
	builds := [][2]string{{o.sinkBin, "./test/load/sink"}}
	if o.loadgen == "" {
		o.loadgen = filepath.Join(o.work, "bin", "tracebridge-loadgen")
		builds = append(builds, [2]string{o.loadgen, "./cmd/tracebridge-loadgen"})
	}
	for _, b := range builds {
		cmd := exec.Command(o.goBin, "build", "-o", b[0], b[1]) //nolint:gosec // fixed packages
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b[1], err)
		}
	}
	switch o.downstream {
	case "", "lite", "strict":
	default:
		if _, err := os.Stat(o.downstream); err != nil {
			return fmt.Errorf("-downstream %s: %w", o.downstream, err)
		}
		if abs, err := filepath.Abs(o.downstream); err == nil {
			o.downstream = abs
		}
	}
	if needTG {
		if _, err := os.Stat(o.telemetrygen); err != nil {
			return fmt.Errorf("%s: %w (GOBIN=$PWD/.tools go install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v0.161.0)", o.telemetrygen, err)
		}
	}
	for _, p := range []*string{&o.collector, &o.sinkBin, &o.telemetrygen, &o.loadgen} {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	return nil
}

// result is one scenario's figures.
type result struct {
	Name       string  `json:"name"`
	Mode       string  `json:"mode"`
	Load       string  `json:"load"`
	Storage    bool    `json:"storage"`
	Downstream string  `json:"downstream"`
	TargetRate float64 `json:"target_rate"`

	LoadSeconds  float64        `json:"load_seconds"`
	DrainSeconds float64        `json:"drain_seconds"` // after the clients stopped, until the pipeline was empty
	Drained      bool           `json:"drained"`
	Restart      *restartResult `json:"restart,omitempty"`
	LoadAvgStart [3]float64     `json:"loadavg_start"`
	LoadAvgEnd   [3]float64     `json:"loadavg_end"`

	Generated      int64   `json:"generated"`       // spans (otlp) or records (raw) the clients produced, probes included
	ClientRejected int64   `json:"client_rejected"` // raw: records answered non-2xx
	Accepted       int64   `json:"accepted"`        // spans the receivers accepted
	Refused        int64   `json:"refused"`         // spans the receivers refused and the client did not send again
	Resent         int64   `json:"resent"`          // spans refused (503) and sent again by a retrying client; not lost
	Delivered      int64   `json:"delivered"`       // runs stored by the emulator, or spans received by the sink
	ClientDropped  int64   `json:"client_dropped"`  // generated - accepted - refused: lost before the collector (telemetrygen's batch span processor drops when its queue is full)
	Lost           int64   `json:"lost"`            // generated - delivered
	OfferedPerS    float64 `json:"offered_per_s"`   // generated / load time
	DeliveredPerS  float64 `json:"delivered_per_s"` // delivered / (load + drain time)

	CPUSeconds     float64            `json:"cpu_seconds"`      // collector, load start to drained
	CPUPer100k     float64            `json:"cpu_s_per_100k"`   // per 100k accepted spans
	CPUPctLoad     float64            `json:"cpu_pct_of_core"`  // collector CPU during the load window, % of one core
	CPURatio       float64            `json:"cpu_ratio"`        // CPUPer100k / the baseline's
	RSSPeakMiB     float64            `json:"rss_peak_mib"`     // VmHWM
	RSSAvgMiB      float64            `json:"rss_avg_mib"`      // VmRSS sampled every 500 ms during the load
	MachineBusyPct float64            `json:"machine_busy_pct"` // all CPUs, % of the machine, load window
	OtherCPU       map[string]float64 `json:"other_cpu_seconds"`

	Latency     latency            `json:"latency"`
	Verify      *verifyResult      `json:"verify,omitempty"`
	Emulator    *emuRequests       `json:"emulator_requests,omitempty"`
	Sink        *sinkSummary       `json:"sink,omitempty"`
	Metrics     map[string]float64 `json:"collector_metrics"`
	Loadgen     json.RawMessage    `json:"loadgen,omitempty"`
	Profile     *profileResult     `json:"profile,omitempty"`
	DownProfile *profileResult     `json:"downstream_profile,omitempty"`
	HeapProfile *profileResult     `json:"heap_profile,omitempty"`
	Timeline    []timePoint        `json:"timeline,omitempty"`
	Errors      []string           `json:"errors,omitempty"`
	Logs        string             `json:"logs"`
}

func (r *result) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Errors = append(r.Errors, msg)
	fmt.Println("  error:", msg)
}

// restartResult is what a kill-* scenario measured around the SIGKILL.
type restartResult struct {
	AcceptedAtKill int64 `json:"accepted_at_kill"`
	RunsAtKill     int   `json:"runs_stored_at_kill"`
	// Window is the runs not yet stored at the kill; WindowRequests the requests they need
	// at 100 runs a request.
	Window         int64 `json:"window_runs"`
	WindowRequests int64 `json:"window_requests"`
	// Requests and Conflicts are what the restarted collector sent: requests, and runs
	// refused as already there (409).
	Requests  int64 `json:"requests_after_restart"`
	Conflicts int64 `json:"conflicts_after_restart"`
	// Queries are the run queries (POST /runs/query) the restarted collector sent to find
	// which runs of a refused request LangSmith had; Ratio is (Requests+Queries)/WindowRequests.
	Queries int64   `json:"queries_after_restart"`
	Ratio   float64 `json:"requests_per_needed"`
	Seconds float64 `json:"restart_seconds"` // SIGKILL to healthy again
}
