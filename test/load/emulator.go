// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
	Runs          int            `json:"runs"`
	Expected      int64          `json:"expected"` // spans the receivers accepted
	Traces        int            `json:"traces"`
	Roots         int            `json:"roots"`
	PostsNot1     int            `json:"posts_not_1"`    // runs posted twice (or only patched)
	Patched       int            `json:"patched"`        // runs with at least one patch (informational)
	MissingParent int            `json:"missing_parent"` // parent_run_id that is not a stored run
	BadRoot       int            `json:"bad_root"`       // parentless run whose id is not its trace_id
	BadTraces     int            `json:"bad_traces"`     // traces whose run count differs from the generator's
	Conflicts     int64          `json:"conflicts"`      // duplicate posts the downstream refused with 409 (harmless re-sends)
	TraceSizes    map[string]int `json:"trace_sizes"`    // runs per trace → traces
	OK            bool           `json:"ok"`
	Problems      []string       `json:"problems,omitempty"`
	Notes         []string       `json:"notes,omitempty"`
	FetchSeconds  float64        `json:"fetch_seconds"`
}

// verifyRuns streams GET /_emu/runs?project= and counts what judge checks: runs, runs not posted
// exactly once, missing parents, roots that are not their own trace, runs per trace.
func verifyRuns(ctx context.Context, emuPort int, project string, perTrace int, probeKeys map[string]bool, probeSize int) (verifyResult, error) {
	var v verifyResult
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
	ids := map[string]struct{}{}
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
	v.TraceSizes = map[string]int{}
	for tid, n := range perTraceCount {
		if probeKeys[tid] && n == probeSize {
			n = perTrace // probes have their own size; count them as well-formed
		}
		v.TraceSizes[strconv.Itoa(n)]++
	}
	v.FetchSeconds = time.Since(t0).Seconds()
	return v, nil
}

// emuRequests summarizes the emulator's request log.
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

// judge decides the exactly-once and tree check. Every span the receivers accepted must be a
// run, once; extra runs can only be roots synthesized for orphans (spans whose parent never
// came: the exporter's orphans metric) or for raw traces whose trace-level record was refused. Traces of the wrong size are a failure unless some spans
// were refused or never reached the collector (notAccepted), or were orphaned.
func judge(v *verifyResult, accepted, orphans, notAccepted int64, perTrace int) {
	v.Expected = accepted
	extra := int64(v.Runs) - accepted
	switch {
	case extra < 0:
		v.Problems = append(v.Problems, fmt.Sprintf("%d accepted spans missing: %d runs stored, %d spans accepted", -extra, v.Runs, accepted))
	case extra > orphans+notAccepted:
		v.Problems = append(v.Problems, fmt.Sprintf("%d runs stored, %d spans accepted (%d orphans)", v.Runs, accepted, orphans))
	case extra > 0:
		v.Notes = append(v.Notes, fmt.Sprintf("%d roots synthesized (%d orphans; %d spans refused or dropped before the collector)", extra, orphans, notAccepted))
	}
	if v.PostsNot1 > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d runs not posted exactly once", v.PostsNot1))
	}
	if v.MissingParent > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d runs whose parent is missing", v.MissingParent))
	}
	if v.BadRoot > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d roots whose id is not their trace_id", v.BadRoot))
	}
	if v.Conflicts > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%d duplicate posts refused with 409 (re-sends)", v.Conflicts))
	}
	v.BadTraces = 0
	var odd []string
	for size, n := range v.TraceSizes {
		if size != strconv.Itoa(perTrace) {
			v.BadTraces += n
			odd = append(odd, fmt.Sprintf("%d×%s", n, size))
		}
	}
	if v.BadTraces > 0 {
		msg := fmt.Sprintf("%d traces not of %d runs (%s)", v.BadTraces, perTrace, strings.Join(odd, ", "))
		if notAccepted > 0 || orphans > 0 {
			v.Notes = append(v.Notes, msg+fmt.Sprintf(": %d spans were refused or never reached the collector", notAccepted))
		} else {
			v.Problems = append(v.Problems, msg)
		}
	}
	v.OK = len(v.Problems) == 0
}
