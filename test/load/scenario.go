// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tracebridge/tracebridge/internal/proccpu"
)

type sample struct {
	cpu                     time.Duration
	accepted, sent, refused float64
}

// timePoint is one point of a scenario's timeline, every 2 s of the load.
type timePoint struct {
	T            float64 `json:"t"`
	CPUPct       float64 `json:"cpu_pct"`
	RSSMiB       float64 `json:"rss_mib"`
	AcceptedPerS float64 `json:"accepted_per_s"`
	SentPerS     float64 `json:"sent_per_s"`
	RefusedPerS  float64 `json:"refused_per_s"`
	QueueSize    float64 `json:"queue_size"` // exporter queue: spans (requests with `sizer: requests`)
	Parked       float64 `json:"parked"`     // spans waiting in the assembler
}

// downstream is what the collector exports to: the harness's sink process (lite or strict
// LangSmith, or OTLP for the pass-through) or a cmd/smithemu binary.
type downstream struct {
	kind string // otlp, lite, strict, smithemu
	port int
	proc *proc
}

// downstreamOf names the downstream a tracebridge scenario runs into: its own (lite when it names
// none), or the -downstream flag's, which replaces every scenario's (overridden says so, for the
// header: a lite scenario measured into the strict emulator is easy to take for a lite figure).
func downstreamOf(sc scenario, o options) (kind string, overridden bool) {
	own := sc.Downstream
	if own == "" {
		own = "lite"
	}
	if o.downstream != "" {
		return o.downstream, o.downstream != own
	}
	return own, false
}

func startDownstream(ctx context.Context, sc scenario, o options, work string, port int, tr *tracker) (*downstream, error) {
	d := &downstream{port: port}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var err error
	switch sc.Mode {
	case modePassthrough:
		d.kind = "otlp"
		d.proc, err = startProc(work, "sink-otlp", o.sinkBin, []string{"-mode", "otlp", "-addr", addr, "-probe-service", probeService}, nil, nil)
	default:
		d.kind, _ = downstreamOf(sc, o)
		switch d.kind {
		case "lite", "strict":
			args := append([]string{"-mode", d.kind, "-addr", addr, "-api-key", emuAPIKey, "-latency", sc.SinkLatency.String()}, sc.Storm.args()...)
			if d.kind == "lite" && sc.Spans > 0 {
				// The store sized once: growing its map to a million runs took 8 % of the sink's CPU.
				args = append(args, "-runs", strconv.FormatInt(sc.Spans, 10))
			}
			d.proc, err = startProc(work, "sink-"+d.kind, o.sinkBin, args, nil, nil)
		default: // a cmd/smithemu binary: completions come from its stdout
			bin := d.kind
			d.kind = "smithemu"
			d.proc, err = startProc(work, "smithemu", bin, []string{"-addr", addr, "-api-key", emuAPIKey}, nil, &emuWatcher{tracker: tr})
		}
	}
	if err != nil {
		return nil, err
	}
	ready := fmt.Sprintf("http://%s/_lt/summary", addr)
	if d.kind == "smithemu" {
		ready = fmt.Sprintf("http://%s/_emu/projects", addr)
	}
	if err := waitHTTP(ctx, ready, d.proc, 15*time.Second); err != nil {
		d.proc.stop(5 * time.Second)
		return nil, err
	}
	return d, nil
}

// sinkSummary is test/load/sink's GET /_lt/summary.
type sinkSummary struct {
	Mode          string         `json:"mode"`
	Requests      int64          `json:"requests"`
	ByStatus      map[string]int `json:"by_status"`
	Errors        []string       `json:"first_errors,omitempty"`
	ZstdRequests  int64          `json:"zstd_requests"`
	BodyMiB       float64        `json:"decoded_body_mib"`
	WireMiB       float64        `json:"wire_body_mib"`
	Spans         int64          `json:"spans,omitempty"`
	Runs          int            `json:"runs"`
	PostsNot1     int            `json:"posts_not_1"`
	Patches       int64          `json:"patches"`
	Conflicts     int64          `json:"conflicts"`
	MissingParent int            `json:"missing_parent"`
	BadRoot       int            `json:"bad_root"`
	Traces        int            `json:"traces"`
	TraceSizes    map[string]int `json:"trace_sizes,omitempty"`
	Stormed       int64          `json:"stormed,omitempty"`
	Queries       int64          `json:"queries,omitempty"` // POST /runs/query, not in Requests
}

func (d *downstream) summary(ctx context.Context, countsOnly bool) (*sinkSummary, error) {
	if d.kind == "smithemu" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	url := fmt.Sprintf("http://127.0.0.1:%d/_lt/summary", d.port)
	if countsOnly {
		url += "?counts=1"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var s sinkSummary
	return &s, json.NewDecoder(resp.Body).Decode(&s)
}

// acceptedTimes asks the sink when each run (or probe span) was accepted.
func (d *downstream) acceptedTimes(ctx context.Context, ids []string) ([]int64, error) {
	body, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/_lt/accepted", d.port), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST /_lt/accepted: HTTP %d", resp.StatusCode)
	}
	var out []int64
	return out, json.NewDecoder(resp.Body).Decode(&out)
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

	ds, err := startDownstream(ctx, sc, o, work, p.downstream, tr)
	if err != nil {
		r.fail("downstream: %v", err)
		return r
	}
	defer ds.proc.stop(10 * time.Second)
	r.Downstream = ds.kind

	cfgPath := filepath.Join(work, "collector.yaml")
	if err := writeFile(cfgPath, collectorConfig(sc.Mode, p, project, work, r.Storage, o.baselineCompr, o.exporterYAML)); err != nil {
		r.fail("%v", err)
		return r
	}
	var env []string
	if o.collectorEnv != "" {
		env = strings.Split(o.collectorEnv, ",")
	}
	col, err := startProc(work, "collector", o.collector, []string{"--config", cfgPath}, env, nil)
	if err != nil {
		r.fail("%v", err)
		return r
	}
	defer col.stop(30 * time.Second)
	if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/", p.health), col, 30*time.Second); err != nil {
		r.fail("collector: %v", err)
		return r
	}
	time.Sleep(time.Second) // let start-up settle before the first readings

	m0, err := scrape(ctx, p.metrics)
	if err != nil {
		r.fail("metrics: %v", err)
	}
	r.LoadAvgStart = loadAvg()
	cpu0, dsCPU0, self0 := col.cpuTime(), ds.proc.cpuTime(), proccpu.Self()
	mb0, mt0 := machineCPU()
	t0 := time.Now()

	// RSS of the collector, sampled during the load.
	samplerCtx, stopSampler := context.WithCancel(ctx)
	var rssSum, rssN float64
	var samplerWG sync.WaitGroup
	samplerWG.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		var prev sample
		prev.cpu = cpu0
		for i := 1; ; i++ {
			select {
			case <-samplerCtx.Done():
				return
			case <-tick.C:
			}
			rss, _, err := procMem(col.pid())
			if err == nil {
				rssSum += float64(rss)
				rssN++
			}
			if i%4 != 0 {
				continue
			}
			// Every 2 s, a timeline point: the collector's CPU and RSS, and what it holds.
			cur := sample{cpu: col.cpuTime()}
			pt := timePoint{T: time.Since(t0).Seconds(), RSSMiB: float64(rss) / (1 << 20),
				CPUPct: 100 * (cur.cpu - prev.cpu).Seconds() / 2}
			if m, err := scrape(ctx, p.metrics); err == nil {
				cur.accepted, cur.sent, cur.refused = m.get(mAccepted), m.get(mSent), m.get(mRefused)
				pt.AcceptedPerS = (cur.accepted - prev.accepted) / 2
				pt.SentPerS = (cur.sent - prev.sent) / 2
				pt.RefusedPerS = (cur.refused - prev.refused) / 2
				pt.QueueSize = m.get(mQueueSize)
				pt.Parked = m.get(mParked)
			}
			prev = cur
			r.Timeline = append(r.Timeline, pt)
		}
	})

	// Load: probes, the clients, and the profile.
	loadCtx, stopLoad := context.WithTimeout(ctx, o.duration)
	defer stopLoad()
	pr := newProber(p.otlpHTTP, tr, ds.kind == "otlp")
	var probeWG sync.WaitGroup
	probeWG.Go(func() { pr.run(loadCtx, o.probeRate) })
	var profWG sync.WaitGroup
	if o.selectedProfile[sc.Name] {
		profWG.Go(func() { r.Profile = grabProfile(ctx, o, sc.Name, p.pprof, o.collector) })
		if o.profileDown && ds.kind != "smithemu" {
			profWG.Go(func() { r.DownProfile = grabProfile(ctx, o, sc.Name+"-downstream", p.downstream, o.sinkBin) })
		}
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
	stopLoad()
	probeWG.Wait()
	t1 := time.Now()
	cpu1 := col.cpuTime()
	mb1, mt1 := machineCPU()
	if o.selectedProfile[sc.Name] {
		r.HeapProfile = grabHeap(ctx, o, sc.Name, p.pprof)
	}
	stopSampler()
	samplerWG.Wait()
	r.LoadSeconds = t1.Sub(t0).Seconds()

	var killed *restartResult
	if sc.KillAfter > 0 {
		var acceptedAtKill float64
		killed, acceptedAtKill, col, err = killAndRestart(ctx, sc, ds, col, p, work, cfgPath, env, m0)
		if err != nil {
			r.fail("restart: %v", err)
			return r
		}
		defer func() { col.stop(30 * time.Second) }()
		m0 = metrics{sum: map[string]float64{mAccepted: -acceptedAtKill}}
		r.Restart = killed
	}

	// Drain: until the collector holds nothing and the downstream has stopped receiving.
	var m2 metrics
	var earlier int64
	if killed != nil {
		earlier = killed.AcceptedAtKill
	}
	r.Drained, m2 = drain(ctx, ds, p.metrics, o.drainTimeout, o.drainQuiet, earlier)
	t2 := time.Now()
	r.DrainSeconds = t2.Sub(t1).Seconds()
	cpu2 := col.cpuTime()
	if _, hwm, err := procMem(col.pid()); err == nil {
		r.RSSPeakMiB = float64(hwm) / (1 << 20)
	}
	if rssN > 0 {
		r.RSSAvgMiB = rssSum / rssN / (1 << 20)
	}
	if mt1 > mt0 {
		r.MachineBusyPct = 100 * (mb1 - mb0) / (mt1 - mt0)
	}
	r.OtherCPU["downstream"] = (ds.proc.cpuTime() - dsCPU0).Seconds()

	// Probe completions: asked from the sink, or already read from smithemu's stdout.
	for end := time.Now().Add(5 * time.Second); ; {
		if ds.kind != "smithemu" {
			if err := tr.resolve(func(ids []string) ([]int64, error) { return ds.acceptedTimes(ctx, ids) }); err != nil {
				r.fail("probe acceptance: %v", err)
				break
			}
		}
		if tr.pending() == 0 || time.Now().After(end) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.Latency = tr.summary()
	r.LoadAvgEnd = loadAvg()

	// Counts.
	r.Metrics = map[string]float64{}
	for _, name := range []string{mAccepted, mRefused, mSent, mSendFailed, mEnqueueFailed, mRunsSent, mConflicted,
		mDeadLettered, mOrphans, mEvictions, mBytesZ, mBytesRaw, mQueueSize, mParked,
		mThrottled, mGateWaits, mGateWaitTime, mRunQueries, mAlreadyThere} {
		r.Metrics[strings.TrimPrefix(name, "otelcol_")] = m2.get(name) - m0.get(name)
	}
	r.Accepted = int64(m2.get(mAccepted) - m0.get(mAccepted))
	r.Refused = int64(m2.get(mRefused) - m0.get(mRefused))
	_, probeSpans, probeResent := pr.counts()
	r.Generated, r.Resent = probeSpans, probeResent
	for _, c := range clients {
		r.OtherCPU[c.name] = c.cpuTime().Seconds()
		n, rejected, retried, raw, err := clientCount(c)
		if err != nil {
			r.fail("%s: %v", c.name, err)
		}
		r.Generated += n
		r.ClientRejected += rejected
		r.Resent += retried
		if raw != nil {
			r.Loadgen = raw
		}
	}
	r.OtherCPU["harness"] = (proccpu.Self() - self0).Seconds()
	r.CPUSeconds = (cpu2 - cpu0).Seconds()
	if r.Accepted > 0 {
		r.CPUPer100k = r.CPUSeconds / float64(r.Accepted) * 1e5
	}
	if d := t1.Sub(t0).Seconds(); d > 0 {
		r.CPUPctLoad = 100 * (cpu1 - cpu0).Seconds() / d
		r.OfferedPerS = float64(r.Generated) / d
	}

	// Exactly once, as trees.
	sum, err := ds.summary(ctx, false)
	if err != nil {
		r.fail("downstream summary: %v", err)
	}
	r.Sink = sum
	if killed != nil && sum != nil {
		killed.Requests = sum.Requests - killed.Requests
		killed.Conflicts = sum.Conflicts - killed.Conflicts
		killed.Queries = sum.Queries - killed.Queries
		killed.Window = int64(sum.Runs) - int64(killed.RunsAtKill)
		killed.WindowRequests = (killed.Window + 99) / 100
		if killed.WindowRequests > 0 {
			killed.Ratio = float64(killed.Requests+killed.Queries) / float64(killed.WindowRequests)
		}
	}
	switch ds.kind {
	case "otlp":
		if sum != nil {
			r.Delivered = sum.Spans
			if n := sum.Requests - int64(sum.ByStatus["200"]); n > 0 {
				r.fail("sink refused %d requests: %v", n, sum.Errors)
			}
		}
	case "lite":
		if sum != nil {
			v := verifyFromSummary(sum)
			r.Verify = &v
		}
	default: // strict, smithemu: the emulator's own store
		v, err := verifyRuns(ctx, p.downstream, project, spansPerTrace, tr.keys(), probeSize)
		if err != nil {
			r.fail("verify: %v", err)
		} else {
			r.Verify = &v
		}
		if er, err := fetchRequests(ctx, p.downstream); err == nil {
			r.Emulator = &er
			v.Conflicts = int64(er.ByStatus["409"])
		}
	}
	// The receivers count every refusal, also of requests a retrying client (or probe) sent again.
	r.Refused = max(0, r.Refused-r.Resent)
	r.ClientDropped = max(0, r.Generated-r.Accepted-r.Refused)
	if r.Verify != nil {
		judge(r.Verify, r.Accepted, int64(r.Metrics["exporter_langsmith_assembly_orphans"]), r.ClientDropped+r.Refused, spansPerTrace)
		r.Delivered = int64(r.Verify.Runs)
		if extra := r.Delivered - r.Accepted; extra > 0 && r.Verify.OK {
			r.Delivered -= extra // synthesized roots are not delivered spans
		}
	}
	r.Lost = r.Generated - r.Delivered
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
	// After the load, so that pprof's own CPU does not land in the figures.
	for _, pr := range []*profileResult{r.Profile, r.DownProfile, r.HeapProfile} {
		if pr != nil && pr.Error == "" {
			pr.Top = pprofTop(o, pr, false)
			pr.TopCum = pprofTop(o, pr, true)
		}
	}
	return r
}

// verifyFromSummary takes the lite sink's counts for judge.
func verifyFromSummary(s *sinkSummary) verifyResult {
	v := verifyResult{Runs: s.Runs, Traces: s.Traces, PostsNot1: s.PostsNot1, MissingParent: s.MissingParent,
		BadRoot: s.BadRoot, Patched: int(s.Patches), Conflicts: s.Conflicts, TraceSizes: s.TraceSizes}
	if n := s.Requests - int64(s.ByStatus["202"]) - int64(s.ByStatus["409"]) - s.Stormed; n > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d requests refused: %v", n, s.Errors))
	}
	return v
}

// drain polls until the collector's queue, in-flight requests and assembly buffer are empty and
// the downstream holds as many runs (or spans) as the receivers accepted; then the pipeline is
// drained. If that count is never reached (something was lost, or roots were synthesized), it
// settles for nothing new downstream for quiet: the assembler keeps uploads the queue refused
// (pending-out, in no metric) and offers them again each second, so quiet must be a few seconds.
// earlier is what receivers accepted before a restart, which the scrape no longer counts.
func drain(ctx context.Context, ds *downstream, metricsPort int, timeout, quiet time.Duration, earlier int64) (bool, metrics) {
	deadline := time.Now().Add(timeout)
	var last metrics
	lastSeen := int64(-1)
	var quietSince time.Time
	for time.Now().Before(deadline) && ctx.Err() == nil {
		m, err := scrape(ctx, metricsPort)
		if err == nil {
			last = m
			// What the downstream holds: runs posted (lite sink, or the exporter's post count for
			// the emulators), or spans received (pass-through sink).
			seen := int64(m.sumWhere(mRunsSent, `operation="post"`))
			if s, err := ds.summary(ctx, true); err == nil && s != nil && ds.kind != "strict" {
				seen = int64(s.Runs) + s.Spans
			}
			empty := m.get(mQueueSize) == 0 && m.get(mInFlight) == 0 && m.get(mParked) == 0
			if empty && seen >= int64(m.get(mAccepted))+earlier {
				return true, last
			}
			if seen != lastSeen || !empty {
				quietSince = time.Now()
			}
			lastSeen = seen
			if empty && time.Since(quietSince) >= quiet {
				return true, last
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false, last
}

// killAndRestart waits sc.KillAfter, kills the collector with SIGKILL, and starts it again on
// the same configuration and file_storage. The result holds the downstream's counts at the kill
// (runSenario turns them into deltas) and what the receivers had accepted.
func killAndRestart(ctx context.Context, sc scenario, ds *downstream, col *proc, p ports, work, cfgPath string,
	env []string, m0 metrics,
) (*restartResult, float64, *proc, error) {
	time.Sleep(sc.KillAfter)
	mk, err := scrape(ctx, p.metrics)
	if err != nil {
		return nil, 0, col, fmt.Errorf("metrics before the kill: %w", err)
	}
	at, err := ds.summary(ctx, true)
	if err != nil {
		return nil, 0, col, fmt.Errorf("downstream before the kill: %w", err)
	}
	if at == nil { // a cmd/smithemu binary as -downstream keeps no counts to diff after the restart
		return nil, 0, col, fmt.Errorf("a kill scenario needs the load sink's counts at the kill; %s gives none: drop -downstream", ds.kind)
	}
	killedAt := time.Now()
	_ = syscall.Kill(-col.pid(), syscall.SIGKILL)
	col.wait(10 * time.Second)
	accepted := mk.get(mAccepted) - m0.get(mAccepted)
	res := &restartResult{AcceptedAtKill: int64(accepted), RunsAtKill: at.Runs, Requests: at.Requests, Conflicts: at.Conflicts, Queries: at.Queries}
	col2, err := startProc(work, "collector-restarted", col.cmd.Path, []string{"--config", cfgPath}, env, nil)
	if err != nil {
		return nil, 0, col, err
	}
	if err := waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/", p.health), col2, 30*time.Second); err != nil {
		return nil, 0, col2, fmt.Errorf("restarted collector: %w", err)
	}
	res.Seconds = time.Since(killedAt).Seconds()
	return res, accepted, col2, nil
}
