// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// emuWatcher reads the emulator's stdout, where cmd/smithemu prints every trace as it completes
// ("trace <trace_id>  project=<p>  runs=<n>", then one indented line per run), before it answers
// the request that completed it. A probe trace counts as accepted when its header shows all its
// runs: that is the time its last run was stored. The harness only parses header lines, so
// reading keeps up with thousands of traces a second.
type emuWatcher struct {
	tracker *tracker
	mu      sync.Mutex
	partial []byte
	headers int64
}

func (w *emuWatcher) Write(b []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	data := b
	if len(w.partial) > 0 {
		w.partial = append(w.partial, b...)
		data = w.partial
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := data[:i]
		data = data[i+1:]
		if !bytes.HasPrefix(line, []byte("trace ")) {
			continue
		}
		w.headers++
		f := bytes.Fields(line)
		if len(f) < 4 || !bytes.HasPrefix(f[3], []byte("runs=")) {
			continue
		}
		n, err := strconv.Atoi(string(f[3][len("runs="):]))
		if err != nil {
			continue
		}
		w.tracker.observe(string(f[1]), n, false, now)
	}
	w.partial = append(w.partial[:0], data...)
	return len(b), nil
}

func (w *emuWatcher) traces() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.headers
}

// slimRun is the part of an emulator run the checks need.
type slimRun struct {
	ID          string `json:"id"`
	TraceID     string `json:"trace_id"`
	ParentRunID string `json:"parent_run_id"`
	Posts       int    `json:"posts"`
	Patches     int    `json:"patches"`
}

// verifyResult is the exactly-once and tree check over everything the emulator stored.
type verifyResult struct {
	Runs          int      `json:"runs"`
	Expected      int64    `json:"expected"` // spans the receivers accepted
	Traces        int      `json:"traces"`
	Roots         int      `json:"roots"`
	PostsNot1     int      `json:"posts_not_1"`    // runs posted twice (or only patched)
	Patched       int      `json:"patched"`        // runs with at least one patch (informational)
	MissingParent int      `json:"missing_parent"` // parent_run_id that is not a stored run
	BadRoot       int      `json:"bad_root"`       // parentless run whose id is not its trace_id
	BadTraces     int      `json:"bad_traces"`     // traces whose run count differs from the generator's
	OK            bool     `json:"ok"`
	Problems      []string `json:"problems,omitempty"`
	FetchSeconds  float64  `json:"fetch_seconds"`
}

// verifyRuns streams GET /_emu/runs?project= and checks: run count == spans accepted, every run
// posted exactly once, every parent present, every root its own trace, and every trace of the
// expected size (perTrace > 0; probe traces have probeSize runs).
func verifyRuns(ctx context.Context, emuPort int, project string, expected int64, perTrace int, probeKeys map[string]bool, probeSize int) (verifyResult, error) {
	v := verifyResult{Expected: expected}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/_emu/runs?project=%s", emuPort, project), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("GET /_emu/runs: HTTP %d", resp.StatusCode)
	}
	dec := json.NewDecoder(resp.Body)
	if _, err := dec.Token(); err != nil {
		return v, fmt.Errorf("decode runs: %w", err)
	}
	ids := make(map[string]struct{}, expected)
	var parents []string
	perTraceCount := map[string]int{}
	for dec.More() {
		var r slimRun
		if err := dec.Decode(&r); err != nil {
			return v, fmt.Errorf("decode run: %w", err)
		}
		v.Runs++
		ids[r.ID] = struct{}{}
		perTraceCount[r.TraceID]++
		if r.Posts != 1 {
			v.PostsNot1++
		}
		if r.Patches > 0 {
			v.Patched++
		}
		if r.ParentRunID == "" {
			v.Roots++
			if r.ID != r.TraceID {
				v.BadRoot++
			}
		} else {
			parents = append(parents, r.ParentRunID)
		}
	}
	for _, p := range parents {
		if _, ok := ids[p]; !ok {
			v.MissingParent++
		}
	}
	v.Traces = len(perTraceCount)
	sizes := map[int]int{}
	for tid, n := range perTraceCount {
		want := perTrace
		if probeKeys[tid] {
			want = probeSize
		}
		if perTrace > 0 && n != want {
			v.BadTraces++
			sizes[n]++
		}
	}
	v.FetchSeconds = time.Since(t0).Seconds()
	if int64(v.Runs) != expected {
		v.Problems = append(v.Problems, fmt.Sprintf("%d runs stored, %d spans accepted", v.Runs, expected))
	}
	if v.PostsNot1 > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d runs with posts != 1", v.PostsNot1))
	}
	if v.MissingParent > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d runs whose parent is missing", v.MissingParent))
	}
	if v.BadRoot > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d roots whose id is not their trace_id", v.BadRoot))
	}
	if v.BadTraces > 0 {
		keys := make([]int, 0, len(sizes))
		for k := range sizes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		desc := ""
		for _, k := range keys {
			desc += fmt.Sprintf(" %d×%d runs", sizes[k], k)
		}
		v.Problems = append(v.Problems, fmt.Sprintf("%d traces not of %d runs:%s", v.BadTraces, perTrace, desc))
	}
	v.OK = len(v.Problems) == 0
	return v, nil
}

// emuRequests summarises the emulator's request log.
type emuRequests struct {
	Requests  int            `json:"requests"`
	ByStatus  map[string]int `json:"by_status"`
	Encodings map[string]int `json:"content_encodings"`
	Posts     int            `json:"posts"`
	Patches   int            `json:"patches"`
	BodyMiB   float64        `json:"decoded_body_mib"`
	Errors    []string       `json:"first_errors,omitempty"`
}

func fetchRequests(ctx context.Context, emuPort int) (emuRequests, error) {
	out := emuRequests{ByStatus: map[string]int{}, Encodings: map[string]int{}}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/_emu/requests", emuPort), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	var recs []struct {
		Path      string            `json:"path"`
		Status    int               `json:"status"`
		Headers   map[string]string `json:"headers"`
		BodyBytes int               `json:"body_bytes"`
		Posts     int               `json:"posts"`
		Patches   int               `json:"patches"`
		Error     string            `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
		return out, err
	}
	var body int64
	for _, r := range recs {
		if r.Path == "/info" {
			continue
		}
		out.Requests++
		out.ByStatus[strconv.Itoa(r.Status)]++
		enc := r.Headers["content-encoding"]
		if enc == "" {
			enc = "identity"
		}
		out.Encodings[enc]++
		out.Posts += r.Posts
		out.Patches += r.Patches
		body += int64(r.BodyBytes)
		if r.Error != "" && len(out.Errors) < 3 {
			out.Errors = append(out.Errors, fmt.Sprintf("%d %s", r.Status, r.Error))
		}
	}
	out.BodyMiB = float64(body) / (1 << 20)
	return out, nil
}
