// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the JSON written to test/load/results/<timestamp>.json.
type report struct {
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	Note       string         `json:"note"`
	Machine    machine        `json:"machine"`
	Options    map[string]any `json:"options"`
	Scenarios  []*result      `json:"scenarios"`
	Targets    []target       `json:"targets"`
}

type machine struct {
	CPUs         int        `json:"cpus"`
	GOMAXPROCS   string     `json:"gomaxprocs_env"`
	GoVersion    string     `json:"go_version"`
	Kernel       string     `json:"kernel"`
	GitRevision  string     `json:"git_revision"`
	GitDirty     bool       `json:"git_dirty"`
	Collector    string     `json:"collector_binary"` // path, size and modification time: rebuild (make build) before comparing runs
	LoadAvgStart [3]float64 `json:"loadavg_start"`
	LoadAvgEnd   [3]float64 `json:"loadavg_end"`
}

func machineInfo(collector string) machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), GOMAXPROCS: os.Getenv("GOMAXPROCS")}
	if st, err := os.Stat(collector); err == nil {
		m.Collector = fmt.Sprintf("%s, %d bytes, built %s", collector, st.Size(), st.ModTime().UTC().Format(time.RFC3339))
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.GitRevision = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		m.GitDirty = len(strings.TrimSpace(string(out))) > 0
	}
	return m
}

func optionsJSON(o options) map[string]any {
	return map[string]any{
		"scenarios": o.scenarios, "duration": o.duration.String(), "rate_scale": o.rateScale,
		"probe_rate": o.probeRate, "tg_procs": o.tgProcs, "tg_workers": o.tgWorkers, "otlp_batch": o.otlpBatch, "otlp_client": o.otlpClient,
		"otlp_transport": o.transport, "ndjson_batch": o.ndjsonBatch, "raw_concurrency": o.rawConcurrency,
		"storage": o.storage, "baseline_compression": o.baselineCompr, "exporter_yaml": o.exporterYAML, "collector_env": o.collectorEnv, "drain_timeout": o.drainTimeout.String(),
	}
}

// target is one goal of the issue and whether this run met it.
type target struct {
	Scenario string  `json:"scenario"`
	What     string  `json:"what"`
	Goal     string  `json:"goal"`
	Value    float64 `json:"value"`
	Met      bool    `json:"met"`
}

func evaluateTargets(selected []scenario, by map[string]*result) []target {
	var out []target
	for _, sc := range selected {
		r := by[sc.Name]
		if r == nil {
			continue
		}
		zeroLoss := r.Lost == 0 && r.Refused == 0 && r.ClientRejected == 0 && len(r.Errors) == 0 &&
			(r.Verify == nil || r.Verify.OK)
		if sc.MinRate > 0 {
			// Sustained: the clients offered the rate, the pipeline delivered it (drain included)
			// and nothing was lost.
			v := r.DeliveredPerS
			out = append(out, target{sc.Name, "delivered/s, zero loss, verified", fmt.Sprintf("≥ %.0f", sc.MinRate*0.98), v,
				v >= sc.MinRate*0.98 && zeroLoss})
		}
		if sc.Mode == modeTracebridge && sc.MinRate == 0 {
			out = append(out, target{sc.Name, "zero loss, verified", "0 lost", float64(r.Lost), zeroLoss})
		}
		if sc.MaxRatio > 0 && r.CPURatio > 0 {
			out = append(out, target{sc.Name, "CPU per span / pass-through", fmt.Sprintf("≤ %.1f×", sc.MaxRatio), r.CPURatio,
				r.CPURatio <= sc.MaxRatio})
		}
		if sc.MaxRSS > 0 {
			out = append(out, target{sc.Name, "peak RSS MiB", fmt.Sprintf("≤ %.0f", sc.MaxRSS), r.RSSPeakMiB, r.RSSPeakMiB <= sc.MaxRSS})
		}
		if sc.MaxDrain > 0 {
			out = append(out, target{sc.Name, "seconds to settle after the load", fmt.Sprintf("≤ %.0f", sc.MaxDrain), r.DrainSeconds,
				r.DrainSeconds <= sc.MaxDrain && zeroLoss})
		}
		if sc.MaxP99 > 0 {
			ok := r.Latency.P99 <= sc.MaxP99 && r.Latency.Probes > 0 && r.Latency.Missing == 0
			out = append(out, target{sc.Name, "p99 completion ms", fmt.Sprintf("≤ %.0f", sc.MaxP99), r.Latency.P99, ok})
		}
	}
	return out
}

func printSummaryLine(r *result) {
	check := "-"
	if r.Verify != nil {
		check = "ok"
		if !r.Verify.OK {
			check = strings.Join(r.Verify.Problems, "; ")
		}
	}
	fmt.Printf("  offered %.0f/s, accepted %d, delivered %d (%.0f/s), lost %d (refused %d, client dropped %d; %d resent after a 503), drain %.1fs; collector %.1f%% of a core, %.3f CPU-s/100k, peak RSS %.0f MiB; p50/p99 %.0f/%.0f ms (%d probes); check: %s; load avg %.2f→%.2f\n",
		r.OfferedPerS, r.Accepted, r.Delivered, r.DeliveredPerS, r.Lost, r.Refused, r.ClientDropped, r.Resent, r.DrainSeconds, r.CPUPctLoad, r.CPUPer100k,
		r.RSSPeakMiB, r.Latency.P50, r.Latency.P99, r.Latency.Probes, check, r.LoadAvgStart[0], r.LoadAvgEnd[0])
}

func printTable(w io.Writer, rep *report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = io.WriteString(tw, "scenario\toffered/s\tdelivered/s\tlost (refused/client)\tdrain s\tCPU s/100k\t× base\tCPU %core\tRSS peak MiB\tp50 ms\tp99 ms\tmachine busy %\tload avg\tcheck\t\n")
	for _, r := range rep.Scenarios {
		ratio := "-"
		if r.CPURatio > 0 {
			ratio = fmt.Sprintf("%.2f", r.CPURatio)
		}
		check := "-"
		if r.Verify != nil {
			check = "ok"
			if !r.Verify.OK {
				check = "FAIL"
			}
		}
		if len(r.Errors) > 0 {
			check = "ERR"
		}
		lat50, lat99 := "-", "-"
		if r.Latency.Probes > 0 {
			lat50, lat99 = fmt.Sprintf("%.0f", r.Latency.P50), fmt.Sprintf("%.0f", r.Latency.P99)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%d (%d/%d)\t%.1f\t%.3f\t%s\t%.0f\t%.0f\t%s\t%s\t%.0f\t%.2f\t%s\t\n",
			r.Name, r.OfferedPerS, r.DeliveredPerS, r.Lost, r.Refused, r.ClientDropped, r.DrainSeconds, r.CPUPer100k, ratio, r.CPUPctLoad,
			r.RSSPeakMiB, lat50, lat99, r.MachineBusyPct, r.LoadAvgStart[0], check)
	}
	_ = tw.Flush()
	if len(rep.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets:")
		for _, t := range rep.Targets {
			mark := "MET   "
			if !t.Met {
				mark = "MISSED"
			}
			fmt.Fprintf(w, "  %s %-16s %-34s %-8s got %.2f\n", mark, t.Scenario, t.What, t.Goal, t.Value)
		}
	}
	for _, r := range rep.Scenarios {
		printProfile(w, "CPU profile of the collector, "+r.Name, r.Profile, 20)
		printProfile(w, "in-use heap of the collector at the end of the load, "+r.Name, r.HeapProfile, 12)
		printProfile(w, "CPU profile of the downstream, "+r.Name, r.DownProfile, 10)
	}
}

// printProfile prints the head of a pprof -top listing: its summary lines and n functions.
func printProfile(w io.Writer, title string, pr *profileResult, n int) {
	if pr == nil || len(pr.Top) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s (%s):\n", title, pr.File)
	rows := 0
	for _, l := range pr.Top {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Time:") ||
			strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Dropped") || strings.HasPrefix(l, "Showing top") {
			continue
		}
		fmt.Fprintln(w, "  "+l)
		if strings.HasPrefix(strings.TrimSpace(l), "flat") {
			continue
		}
		if rows++; rows > n {
			break
		}
	}
}
