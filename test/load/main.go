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
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
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

	// Targets (0 = none).
	MinRate  float64 // delivered spans (or accepted records) per second, with zero loss
	MaxRatio float64
	MaxRSS   float64 // MiB
	MaxP99   float64 // ms
}

var scenarios = []scenario{
	{Name: "otlp-10k-base", Mode: modePassthrough, Load: loadOTLP, Rate: 10_000, Default: true},
	{Name: "otlp-10k", Mode: modeTracebridge, Load: loadOTLP, Rate: 10_000, Baseline: "otlp-10k-base", Default: true,
		MaxRatio: 2, MaxRSS: 250, MaxP99: 2000},
	{Name: "otlp-20k-base", Mode: modePassthrough, Load: loadOTLP, Rate: 20_000, Default: true},
	{Name: "otlp-20k", Mode: modeTracebridge, Load: loadOTLP, Rate: 20_000, Baseline: "otlp-20k-base", Profile: true, Default: true,
		MinRate: 20_000, MaxRatio: 2, MaxP99: 2000},
	{Name: "raw-ndjson-20k", Mode: modeTracebridge, Load: loadRawNDJSON, Rate: 20_000, Default: true, MinRate: 20_000},
	{Name: "raw-single-3k", Mode: modeTracebridge, Load: loadRawSingle, Rate: 3_000, Default: true, MinRate: 3_000},
	{Name: "otlp-10k-storage", Mode: modeTracebridge, Load: loadOTLP, Rate: 10_000, Storage: true, Baseline: "otlp-10k-base",
		MaxRatio: 2, MaxRSS: 250, MaxP99: 2000},
}

type options struct {
	scenarios       string
	duration        time.Duration
	rateScale       float64
	probeRate       float64
	collector       string
	smithemu        string
	telemetrygen    string
	loadgen         string
	tgProcs         int
	tgWorkers       int
	tgBatch         int
	transport       string
	ndjsonBatch     int
	rawConcurrency  int
	storage         bool
	profile         string
	profileSeconds  int
	results         string
	work            string
	drainTimeout    time.Duration
	baselineCompr   string
	listOnly        bool
	stamp           string
	goBin           string
	selectedProfile map[string]bool
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
	flag.Float64Var(&o.rateScale, "rate-scale", 1, "multiply every scenario's rate (e.g. 0.5 for a quick look)")
	flag.Float64Var(&o.probeRate, "probe-rate", 20, "latency probe traces per second (5 spans each)")
	flag.StringVar(&o.collector, "collector", "bin/otelcol-tracebridge", "collector binary")
	flag.StringVar(&o.smithemu, "smithemu", "bin/smithemu", "emulator binary")
	flag.StringVar(&o.telemetrygen, "telemetrygen", ".tools/telemetrygen", "telemetrygen binary (v0.161.0)")
	flag.StringVar(&o.loadgen, "loadgen", "bin/tracebridge-loadgen", "tracebridge-loadgen binary (built when missing)")
	flag.IntVar(&o.tgProcs, "tg-procs", 2, "telemetrygen processes (each its own SDK and batch span processor, like separate services)")
	flag.IntVar(&o.tgWorkers, "tg-workers", 4, "telemetrygen workers per process")
	flag.IntVar(&o.tgBatch, "tg-batch", 100, "telemetrygen --batch-size (spans per export request)")
	flag.StringVar(&o.transport, "otlp", "http", "telemetrygen transport: http or grpc")
	flag.IntVar(&o.ndjsonBatch, "ndjson-batch", 100, "records per NDJSON request")
	flag.IntVar(&o.rawConcurrency, "raw-concurrency", 32, "tracebridge-loadgen requests in flight")
	flag.BoolVar(&o.storage, "storage", false, "use file_storage for the exporter's queue and assembly in every tracebridge scenario")
	flag.StringVar(&o.profile, "profile", "auto", "scenarios to CPU-profile: auto (those marked), none, or names")
	flag.IntVar(&o.profileSeconds, "profile-seconds", 20, "CPU profile length")
	flag.StringVar(&o.results, "results", "test/load/results", "results directory")
	flag.StringVar(&o.work, "work", "tmp/loadtest", "directory for configs and process logs")
	flag.DurationVar(&o.drainTimeout, "drain-timeout", 60*time.Second, "how long to wait for the pipeline to drain after the load")
	flag.StringVar(&o.baselineCompr, "baseline-compression", "gzip", "otlp_http compression of the pass-through baseline (its default is gzip)")
	flag.BoolVar(&o.listOnly, "list", false, "list the scenarios and exit")
	flag.Parse()

	if o.listOnly {
		for _, s := range scenarios {
			def := ""
			if s.Default {
				def = " (default)"
			}
			fmt.Printf("%-18s %-12s %-11s %7.0f/s%s\n", s.Name, s.Mode, s.Load, s.Rate, def)
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
	o.goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(o.goBin); err != nil {
		o.goBin = "go"
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
		StartedAt: time.Now().UTC(), Machine: machineInfo(), Options: optionsJSON(o),
		Note: "figures from a shared 2-core machine are indicative; take final figures on a quiet machine",
	}
	rep.Machine.LoadAvgStart = loadAvg()
	fmt.Printf("tracebridge load test: %d scenario(s), %s each, work dir %s\n", len(selected), o.duration, o.work)
	fmt.Printf("machine: %d CPUs, load average %.2f %.2f %.2f at start\n", runtime.NumCPU(),
		rep.Machine.LoadAvgStart[0], rep.Machine.LoadAvgStart[1], rep.Machine.LoadAvgStart[2])

	byName := map[string]*result{}
	for _, sc := range selected {
		if ctx.Err() != nil {
			break
		}
		fmt.Printf("\n== %s (%s, %s, %.0f/s) ==\n", sc.Name, sc.Mode, sc.Load, sc.Rate*o.rateScale)
		r := runScenario(ctx, sc, o)
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

// prepareBinaries checks the binaries and builds tracebridge-loadgen when it is missing.
func prepareBinaries(o *options, selected []scenario) error {
	needOTLP, needRaw := false, false
	for _, s := range selected {
		if s.Load == loadOTLP {
			needOTLP = true
		} else {
			needRaw = true
		}
	}
	for _, b := range []struct{ path, hint string }{
		{o.collector, "run make build"},
		{o.smithemu, "run make build"},
	} {
		if _, err := os.Stat(b.path); err != nil {
			return fmt.Errorf("%s: %w (%s)", b.path, err, b.hint)
		}
	}
	if needOTLP {
		if _, err := os.Stat(o.telemetrygen); err != nil {
			return fmt.Errorf("%s: %w (GOBIN=$PWD/.tools go install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v0.161.0)", o.telemetrygen, err)
		}
	}
	if needRaw {
		if _, err := os.Stat(o.loadgen); err != nil {
			fmt.Printf("building %s\n", o.loadgen)
			cmd := exec.Command(o.goBin, "build", "-o", o.loadgen, "./cmd/tracebridge-loadgen") //nolint:gosec // fixed package
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("build tracebridge-loadgen: %w", err)
			}
		}
	}
	for _, p := range []*string{&o.collector, &o.smithemu, &o.telemetrygen, &o.loadgen} {
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
	TargetRate float64 `json:"target_rate"`

	LoadSeconds  float64    `json:"load_seconds"`
	DrainSeconds float64    `json:"drain_seconds"` // after the clients stopped, until the pipeline was empty
	Drained      bool       `json:"drained"`
	LoadAvgStart [3]float64 `json:"loadavg_start"`
	LoadAvgEnd   [3]float64 `json:"loadavg_end"`

	Generated      int64   `json:"generated"`       // spans (otlp) or records (raw) the clients produced, probes included
	ClientRejected int64   `json:"client_rejected"` // raw: records answered non-2xx
	Accepted       int64   `json:"accepted"`        // spans the receivers accepted
	Refused        int64   `json:"refused"`         // spans the receivers refused
	Delivered      int64   `json:"delivered"`       // runs stored by the emulator, or spans received by the sink
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

	Latency  latency            `json:"latency"`
	Verify   *verifyResult      `json:"verify,omitempty"`
	Emulator *emuRequests       `json:"emulator_requests,omitempty"`
	Metrics  map[string]float64 `json:"collector_metrics"`
	Loadgen  json.RawMessage    `json:"loadgen,omitempty"`
	Profile  *profileResult     `json:"profile,omitempty"`
	Errors   []string           `json:"errors,omitempty"`
	Logs     string             `json:"logs"`
}

func (r *result) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Errors = append(r.Errors, msg)
	fmt.Println("  error:", msg)
}

func runScenario(ctx context.Context, sc scenario, o options) *result {
	r := &result{Name: sc.Name, Mode: sc.Mode, Load: sc.Load, Storage: sc.Storage || (o.storage && sc.Mode == modeTracebridge),
		TargetRate: sc.Rate * o.rateScale, OtherCPU: map[string]float64{}}
	work := filepath.Join(o.work, sc.Name)
	r.Logs = work
	if err := os.MkdirAll(work, 0o750); err != nil {
		r.fail("%v", err)
		return r
	}
	p, err := newPorts()
	if err != nil {
		r.fail("ports: %v", err)
		return r
	}
	project := "loadtest-" + sc.Name
	tr := newTracker()

	// Downstream: the emulator as its own process, or the sink in the harness.
	var emu *proc
	var sk *sink
	if sc.Mode == modeTracebridge {
		emu, err = startProc(work, "smithemu", o.smithemu,
			[]string{"-addr", fmt.Sprintf("127.0.0.1:%d", p.downstream), "-api-key", emuAPIKey},
			nil, &emuWatcher{tracker: tr})
		if err != nil {
			r.fail("%v", err)
			return r
		}
		defer emu.stop(10 * time.Second)
		if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/_emu/projects", p.downstream), emu, 15*time.Second); err != nil {
			r.fail("emulator: %v", err)
			return r
		}
	} else {
		sk, err = startSink(p.downstream, tr)
		if err != nil {
			r.fail("sink: %v", err)
			return r
		}
		defer sk.close()
	}

	cfgPath := filepath.Join(work, "collector.yaml")
	if err := writeFile(cfgPath, collectorConfig(sc.Mode, p, project, work, r.Storage, o.baselineCompr)); err != nil {
		r.fail("%v", err)
		return r
	}
	col, err := startProc(work, "collector", o.collector, []string{"--config", cfgPath}, nil, nil)
	if err != nil {
		r.fail("%v", err)
		return r
	}
	defer col.stop(30 * time.Second)
	if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/", p.health), col, 30*time.Second); err != nil {
		r.fail("collector: %v", err)
		return r
	}
	time.Sleep(time.Second) // let start-up settle before the baseline readings

	m0, err := scrape(ctx, p.metrics)
	if err != nil {
		r.fail("metrics: %v", err)
	}
	r.LoadAvgStart = loadAvg()
	cpu0 := col.cpuTime()
	emuCPU0 := time.Duration(0)
	if emu != nil {
		emuCPU0 = emu.cpuTime()
	}
	self0 := selfCPU()
	mb0, mt0 := machineCPU()
	t0 := time.Now()

	// RSS sampler.
	samplerCtx, stopSampler := context.WithCancel(ctx)
	var rssSum, rssN float64
	var samplerWG sync.WaitGroup
	samplerWG.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-samplerCtx.Done():
				return
			case <-tick.C:
				if rss, _, err := procMem(col.pid()); err == nil {
					rssSum += float64(rss)
					rssN++
				}
			}
		}
	})

	// Load: probes, clients, and the profile.
	loadCtx, stopLoad := context.WithTimeout(ctx, o.duration)
	defer stopLoad()
	pr := newProber(p.otlpHTTP, tr, sc.Mode == modePassthrough)
	var probeWG sync.WaitGroup
	probeWG.Go(func() { pr.run(loadCtx, o.probeRate) })

	var profWG sync.WaitGroup
	if o.selectedProfile[sc.Name] {
		profWG.Go(func() { r.Profile = grabProfile(ctx, o, sc.Name, p.pprof) })
	}

	clients, err := startClients(sc, o, p, work)
	if err != nil {
		r.fail("%v", err)
		stopLoad()
	}
	deadline := time.Now().Add(o.duration + 60*time.Second)
	for _, c := range clients {
		if !c.wait(time.Until(deadline)) {
			r.fail("%s did not finish in time; stopped", c.name)
			c.stop(5 * time.Second)
		}
	}
	probeWG.Wait()
	t1 := time.Now()
	cpu1 := col.cpuTime()
	mb1, mt1 := machineCPU()
	stopSampler()
	samplerWG.Wait()
	r.LoadSeconds = t1.Sub(t0).Seconds()

	// Drain: wait until the collector holds nothing and has stopped sending.
	var m2 metrics
	r.Drained, m2 = drain(ctx, sc.Mode, p.metrics, sk, o.drainTimeout)
	t2 := time.Now()
	r.DrainSeconds = t2.Sub(t1).Seconds()
	cpu2 := col.cpuTime()
	if _, hwm, err := procMem(col.pid()); err == nil {
		r.RSSPeakMiB = float64(hwm) / (1 << 20)
	}
	if rssN > 0 {
		r.RSSAvgMiB = rssSum / rssN / (1 << 20)
	}
	// Probes still in flight downstream get a few more seconds.
	for end := time.Now().Add(5 * time.Second); tr.pending() > 0 && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	r.LoadAvgEnd = loadAvg()
	if mt1 > mt0 {
		r.MachineBusyPct = 100 * (mb1 - mb0) / (mt1 - mt0)
	}

	// Counts.
	r.Metrics = map[string]float64{}
	for _, name := range []string{mAccepted, mRefused, mSent, mSendFailed, mEnqueueFailed, mRunsSent, mConflicted,
		mDeadLettered, mOrphans, mEvictions, mBytesZ, mBytesRaw, mQueueSize, mParked} {
		r.Metrics[strings.TrimPrefix(name, "otelcol_")] = m2.get(name) - m0.get(name)
	}
	r.Accepted = int64(m2.get(mAccepted) - m0.get(mAccepted))
	r.Refused = int64(m2.get(mRefused) - m0.get(mRefused))
	_, probeSpans := pr.counts()
	r.Generated = probeSpans
	for _, c := range clients {
		r.OtherCPU[c.name] = c.cpuTime().Seconds()
		n, rejected, raw, err := clientCount(sc, c)
		if err != nil {
			r.fail("%s: %v", c.name, err)
		}
		r.Generated += n
		r.ClientRejected += rejected
		if raw != nil {
			r.Loadgen = raw
		}
	}
	if emu != nil {
		r.OtherCPU["smithemu"] = (emu.cpuTime() - emuCPU0).Seconds()
	}
	r.OtherCPU["harness"] = (selfCPU() - self0).Seconds()
	r.CPUSeconds = (cpu2 - cpu0).Seconds()
	if r.Accepted > 0 {
		r.CPUPer100k = r.CPUSeconds / float64(r.Accepted) * 1e5
	}
	if d := t1.Sub(t0).Seconds(); d > 0 {
		r.CPUPctLoad = 100 * (cpu1 - cpu0).Seconds() / d
		r.OfferedPerS = float64(r.Generated) / d
	}
	r.Latency = tr.summary()

	if sc.Mode == modeTracebridge {
		perTrace := spansPerTrace
		if sc.Load != loadOTLP {
			perTrace = 5 // tracebridge-loadgen -records-per-trace
		}
		v, err := verifyRuns(ctx, p.downstream, project, r.Accepted, perTrace, tr.keys(), probeSize)
		if err != nil {
			r.fail("verify: %v", err)
		} else {
			r.Verify = &v
			r.Delivered = int64(v.Runs)
		}
		if er, err := fetchRequests(ctx, p.downstream); err == nil {
			r.Emulator = &er
		}
	} else {
		r.Delivered = sk.spans.Load()
		if n := sk.bad.Load(); n > 0 {
			r.fail("sink rejected %d requests", n)
		}
	}
	r.Lost = r.Generated - r.ClientRejected - r.Delivered
	if sc.Load == loadOTLP {
		r.Lost = r.Generated - r.Delivered
	}
	if d := t2.Sub(t0).Seconds(); d > 0 {
		r.DeliveredPerS = float64(r.Delivered) / d
	}
	if !r.Drained {
		r.fail("pipeline did not drain within %s", o.drainTimeout)
	}
	if col.exited() {
		r.fail("collector exited during the run:\n%s", col.tail(20))
	}
	profWG.Wait()
	if r.Profile != nil && r.Profile.Error == "" {
		// After the load, so that pprof's own CPU does not land in the figures.
		r.Profile.Top = pprofTop(o, r.Profile.File, false)
		r.Profile.TopCum = pprofTop(o, r.Profile.File, true)
	}
	return r
}

// drain polls the collector's metrics until its queue, in-flight requests and assembly buffer
// are empty and nothing more was sent for a second.
func drain(ctx context.Context, mode string, metricsPort int, sk *sink, timeout time.Duration) (bool, metrics) {
	deadline := time.Now().Add(timeout)
	var last metrics
	var lastSent float64 = -1
	stable := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		m, err := scrape(ctx, metricsPort)
		if err == nil {
			last = m
			sent := m.get(mSent) + m.get(mSendFailed)
			if sk != nil {
				sent = float64(sk.spans.Load())
			}
			empty := m.get(mQueueSize) == 0 && m.get(mInFlight) == 0 && m.get(mParked) == 0
			if mode == modePassthrough {
				empty = empty && float64(sk.spans.Load()) >= m.get(mAccepted)
			} else {
				empty = empty && sent >= m.get(mAccepted)
			}
			if empty && sent == lastSent {
				stable++
			} else {
				stable = 0
			}
			lastSent = sent
			if stable >= 2 {
				return true, last
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false, last
}

var tgGenerated = regexp.MustCompile(`traces generated.*"traces": (\d+)`)

// startClients starts the load generators of a scenario.
func startClients(sc scenario, o options, p ports, work string) ([]*proc, error) {
	rate := sc.Rate * o.rateScale
	secs := strconv.Itoa(int(o.duration.Seconds())) + "s"
	switch sc.Load {
	case loadOTLP:
		perWorker := rate / float64(o.tgProcs*o.tgWorkers)
		endpoint := fmt.Sprintf("127.0.0.1:%d", p.otlpHTTP)
		if o.transport == "grpc" {
			endpoint = fmt.Sprintf("127.0.0.1:%d", p.otlpGRPC)
		}
		var out []*proc
		for i := range o.tgProcs {
			args := []string{"traces",
				"--otlp-endpoint", endpoint, "--otlp-insecure",
				"--duration", secs, "--rate", strconv.FormatFloat(perWorker, 'f', 2, 64),
				"--workers", strconv.Itoa(o.tgWorkers),
				"--child-spans", strconv.Itoa(spansPerTrace - 1), "--span-duration", "20ms",
				"--batch-size", strconv.Itoa(o.tgBatch),
				"--allow-export-failures",
				"--service", fmt.Sprintf("agent-svc-%d", i),
			}
			if o.transport == "http" {
				args = append(args, "--otlp-http")
			}
			for _, a := range genAIAttributes {
				args = append(args, "--telemetry-attributes", a)
			}
			c, err := startProc(work, fmt.Sprintf("telemetrygen-%d", i), o.telemetrygen, args, nil, nil)
			if err != nil {
				return out, err
			}
			out = append(out, c)
		}
		return out, nil
	default:
		batch := o.ndjsonBatch
		conc := o.rawConcurrency
		if sc.Load == loadRawSingle {
			batch = 1
		}
		args := []string{
			"-endpoint", fmt.Sprintf("http://127.0.0.1:%d", p.raw), "-api-key", rawAPIKey,
			"-rate", strconv.FormatFloat(rate, 'f', 2, 64), "-duration", secs,
			"-batch", strconv.Itoa(batch), "-concurrency", strconv.Itoa(conc), "-records-per-trace", "5",
		}
		outPath := filepath.Join(work, "loadgen.json")
		f, err := os.Create(outPath)
		if err != nil {
			return nil, err
		}
		c, err := startProc(work, "loadgen", o.loadgen, args, nil, f)
		_ = f.Close() // the child holds its own descriptor
		if err != nil {
			return nil, err
		}
		return []*proc{c}, nil
	}
}

// genAIAttributes are what telemetrygen can put on its spans: every span of a trace gets the
// same string and int attributes (no per-span roles, floats, events or deeper trees).
var genAIAttributes = []string{
	`gen_ai.operation.name="chat"`,
	`gen_ai.provider.name="openai"`,
	`gen_ai.request.model="gpt-4o-mini"`,
	`gen_ai.response.model="gpt-4o-mini-2024-07-18"`,
	`gen_ai.input.messages="[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"You are a wallet assistant. Answer briefly and never move funds without confirmation.\"}]},{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"What did I spend on gas this week, and which transfer was the largest?\"}]}]"`,
	`gen_ai.output.messages="[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"You spent 0.012 ETH on gas across 9 transactions; the largest transfer was 1.5 ETH to 0xabc on Tuesday.\"}],\"finish_reason\":\"stop\"}]"`,
	`gen_ai.usage.input_tokens=812`,
	`gen_ai.usage.output_tokens=41`,
	`gen_ai.conversation.id="conv-42"`,
	`user.id="user-7"`,
}

// clientCount reads what a finished client produced.
func clientCount(sc scenario, c *proc) (generated, rejected int64, raw json.RawMessage, err error) {
	if sc.Load == loadOTLP {
		b, err := os.ReadFile(c.log)
		if err != nil {
			return 0, 0, nil, err
		}
		ms := tgGenerated.FindAllSubmatch(b, -1)
		if len(ms) == 0 {
			return 0, 0, nil, errors.New("no 'traces generated' line in its log")
		}
		for _, m := range ms {
			n, _ := strconv.ParseInt(string(m[1]), 10, 64)
			generated += n * spansPerTrace
		}
		return generated, 0, nil, nil
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(c.log), "loadgen.json"))
	if err != nil {
		return 0, 0, nil, err
	}
	var s struct {
		RecordsSent     int64 `json:"records_sent"`
		RecordsAccepted int64 `json:"records_accepted"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, 0, nil, fmt.Errorf("loadgen output: %w", err)
	}
	return s.RecordsSent, s.RecordsSent - s.RecordsAccepted, json.RawMessage(b), nil
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profileResult is a CPU profile of the collector taken during the load.
type profileResult struct {
	File    string   `json:"file"`
	Seconds int      `json:"seconds"`
	Top     []string `json:"top"`
	TopCum  []string `json:"top_cum"`
	Error   string   `json:"error,omitempty"`
}

func grabProfile(ctx context.Context, o options, name string, port int) *profileResult {
	warm := min(5*time.Second, o.duration/4)
	secs := min(o.profileSeconds, int((o.duration-warm).Seconds())-1)
	pr := &profileResult{Seconds: secs, File: filepath.Join(o.results, o.stamp+"-"+name+".cpu.pprof")}
	if secs < 1 {
		pr.Error = "load too short to profile"
		return pr
	}
	select {
	case <-ctx.Done():
		return pr
	case <-time.After(warm):
	}
	reqCtx, cancel := context.WithTimeout(ctx, time.Duration(secs+30)*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet,
		fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", port, secs), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.Error = err.Error()
		return pr
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		pr.Error = fmt.Sprintf("HTTP %d %v", resp.StatusCode, err)
		return pr
	}
	if err := os.WriteFile(pr.File, b, 0o600); err != nil {
		pr.Error = err.Error()
		return pr
	}
	return pr
}

func pprofTop(o options, file string, cum bool) []string {
	args := []string{"tool", "pprof", "-top", "-nodecount=25"}
	if cum {
		args = append(args, "-cum")
	}
	args = append(args, o.collector, file)
	out, err := exec.Command(o.goBin, args...).Output() //nolint:gosec // fixed tool
	if err != nil {
		return []string{"go tool pprof: " + err.Error()}
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return lines
}
