// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// profileResult is a CPU profile of the collector taken during the load.
type profileResult struct {
	File    string   `json:"file"`
	Seconds int      `json:"seconds"`
	Top     []string `json:"top"`
	TopCum  []string `json:"top_cum"`
	Error   string   `json:"error,omitempty"`
	binary  string
	heap    bool
}

func grabProfile(ctx context.Context, o options, name string, port int, bin string) *profileResult {
	warm := min(5*time.Second, o.duration/4)
	if o.fixedCount { // a load of a few seconds: profile it from its start
		warm = 500 * time.Millisecond
	}
	secs := min(o.profileSeconds, int((o.duration-warm).Seconds())-1)
	pr := &profileResult{Seconds: secs, File: filepath.Join(o.results, o.stamp+"-"+name+".cpu.pprof"), binary: bin}
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

// grabHeap saves the collector's heap profile (in-use memory at the end of the load).
func grabHeap(ctx context.Context, o options, name string, port int) *profileResult {
	pr := &profileResult{File: filepath.Join(o.results, o.stamp+"-"+name+".heap.pprof"), binary: o.collector, heap: true}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap", port), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.Error = err.Error()
		return pr
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(pr.File, b, 0o600)
	}
	if err != nil {
		pr.Error = err.Error()
	}
	return pr
}

func pprofTop(o options, pr *profileResult, cum bool) []string {
	args := []string{"tool", "pprof", "-top", "-nodecount=25"}
	if pr.heap {
		args = append(args, "-sample_index=inuse_space")
	}
	if cum {
		args = append(args, "-cum")
	}
	args = append(args, pr.binary, pr.File)
	out, err := exec.Command(o.goBin, args...).Output() //nolint:gosec // fixed tool
	if err != nil {
		return []string{"go tool pprof: " + err.Error()}
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return lines
}
