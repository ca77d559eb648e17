// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package redrive re-sends the langsmith exporter's dead-letter directory to LangSmith, run by
// run, optionally repairing what LangSmith refused (names over 128 characters, start times
// outside its window). Run IDs are kept (or shifted deterministically), so LangSmith's 409 on a
// second re-drive means "already delivered" and never a duplicate.
package redrive // import "github.com/tracebridge/tracebridge/internal/redrive"

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Config says where to send and what to repair.
type Config struct {
	// Endpoint is LangSmith's API base (https://api.smith.langchain.com, https://host/api/v1).
	Endpoint string
	APIKey   string
	TenantID string
	// CutNames cuts names over 128 characters, keeping the whole name in metadata.
	CutNames bool
	// ShiftWindow, when positive, moves each trace whose root started more than this far from
	// now by a whole number of windows (times, dotted_order and UUIDv7 ids), as the exporter's
	// `shift` policy does.
	ShiftWindow time.Duration
	// Prune removes the runs that landed from their files, and files left empty.
	Prune bool
	// Client sends the requests (nil = a client with a 30 s timeout).
	Client *http.Client
	// Attempts bounds the tries of one run on 429, 5xx and network errors (0 = 3).
	Attempts int
	// Now is the clock of the window shift (nil = time.Now).
	Now func() time.Time
}

// Result is one run's outcome.
type Result struct {
	File   string
	RunID  string
	Name   string
	Status int    // the last answer's status, 0 for a network error
	Answer string // the refusal's text
	// Landed is true for 2xx and 409 (already there).
	Landed   bool
	Repaired []string // what was changed: name_cut, start_time_shifted
}

// Summary is the outcome of a re-drive.
type Summary struct {
	Results []Result
}

// Landed, AlreadyThere and Refused count the results.
func (s *Summary) Landed() (landed, already, refused int) {
	for _, r := range s.Results {
		switch {
		case r.Landed && r.Status == http.StatusConflict:
			already++
		case r.Landed:
			landed++
		default:
			refused++
		}
	}
	return landed, already, refused
}

// WriteText prints what landed and what is still refused, and why.
func (s *Summary) WriteText(w io.Writer) {
	landed, already, refused := s.Landed()
	for _, r := range s.Results {
		if r.Landed {
			continue
		}
		fmt.Fprintf(w, "still refused: %s run %s (%s): HTTP %d: %s\n", filepath.Base(r.File), r.RunID, r.Name, r.Status, r.Answer)
	}
	repaired := map[string]int{}
	for _, r := range s.Results {
		for _, k := range r.Repaired {
			repaired[k]++
		}
	}
	fmt.Fprintf(w, "re-drive: %d runs landed, %d were already there, %d still refused", landed, already, refused)
	if len(repaired) > 0 {
		kinds := make([]string, 0, len(repaired))
		for k, n := range repaired {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, " (repaired: %s)", strings.Join(kinds, ", "))
	}
	fmt.Fprintln(w)
}

// Run re-sends every runs-*.jsonl file of dir.
func Run(ctx context.Context, dir string, cfg Config) (*Summary, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("no LangSmith endpoint")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	files, err := filepath.Glob(filepath.Join(dir, "runs-*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(files)
	sum := &Summary{}
	now := cfg.Now()
	for _, path := range files {
		if err := redriveFile(ctx, path, cfg, now, sum); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func redriveFile(ctx context.Context, path string, cfg Config, now time.Time, sum *Summary) error {
	header, lines, err := readFile(path)
	if err != nil {
		return err
	}
	var keep [][]byte
	for _, line := range lines {
		body, res, err := repairLine(line, cfg, now)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res.File = path
		res.Status, res.Answer, err = send(ctx, cfg, body)
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("re-drive interrupted: %w", ctx.Err())
		}
		res.Landed = (res.Status >= 200 && res.Status < 300) || res.Status == http.StatusConflict
		sum.Results = append(sum.Results, res)
		// A repaired run that landed leaves its file even without Prune: a later re-drive would
		// repair it again with another shift, under new ids, and make a second run.
		if !res.Landed || (!cfg.Prune && len(res.Repaired) == 0) {
			keep = append(keep, line)
		}
	}
	if len(keep) == len(lines) {
		return nil
	}
	if len(keep) == 0 {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove %s: %w", path, err)
		}
		return nil
	}
	out := append(append([]byte{}, header...), '\n')
	for _, l := range keep {
		out = append(append(out, l...), '\n')
	}
	tmp := path + ".partial"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	return nil
}

// readFile splits a dead-letter file into its header line and its run lines.
func readFile(path string) ([]byte, [][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open dead letter: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20) // one run may be up to LangSmith's request limit
	var header []byte
	var lines [][]byte
	for first := true; sc.Scan(); first = false {
		line := bytes.TrimSpace(sc.Bytes())
		if first {
			header = append([]byte{}, line...)
			continue
		}
		if len(line) > 0 {
			lines = append(lines, append([]byte{}, line...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return header, lines, nil
}

// send posts one /runs/batch body, retrying 429, 5xx and network errors a few times.
func send(ctx context.Context, cfg Config, body []byte) (int, string, error) {
	var status int
	var answer string
	var lastErr error
	for attempt := 0; attempt < cfg.Attempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return status, answer, ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.Endpoint, "/")+"/runs/batch", bytes.NewReader(body))
		if err != nil {
			return 0, "", fmt.Errorf("build request: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		if cfg.APIKey != "" {
			req.Header.Set("X-API-Key", cfg.APIKey)
		}
		if cfg.TenantID != "" {
			req.Header.Set("X-Tenant-Id", cfg.TenantID)
		}
		resp, err := cfg.Client.Do(req)
		if err != nil {
			status, answer, lastErr = 0, err.Error(), err
			continue
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status, answer, lastErr = resp.StatusCode, strings.TrimSpace(string(raw)), nil
		if status != http.StatusTooManyRequests && status < 500 {
			break
		}
	}
	return status, answer, lastErr
}

// repairLine applies the configured repairs to one {"post":[run]} or {"patch":[run]} line.
func repairLine(line []byte, cfg Config, now time.Time) ([]byte, Result, error) {
	var body map[string][]map[string]any
	if err := json.Unmarshal(line, &body); err != nil {
		return nil, Result{}, fmt.Errorf("a run line is not a /runs/batch body: %w", err)
	}
	var res Result
	changed := false
	for _, runs := range body {
		for _, run := range runs {
			res.RunID, _ = run["id"].(string)
			res.Name, _ = run["name"].(string)
			if cfg.CutNames && cutName(run) {
				res.Repaired = append(res.Repaired, "name_cut")
				changed = true
			}
			if cfg.ShiftWindow > 0 {
				shifted, err := shiftRun(run, cfg.ShiftWindow, now)
				if err != nil {
					return nil, res, err
				}
				if shifted {
					res.Repaired = append(res.Repaired, "start_time_shifted")
					changed = true
				}
			}
		}
	}
	if !changed {
		return line, res, nil
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, res, fmt.Errorf("encode repaired run: %w", err)
	}
	return out, res, nil
}
