// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// scanResult is what the first pass learned.
type scanResult struct {
	spill   *spill
	runs    int64
	records int64
	traces  int64 // distinct trace keys
	// latestRun and latestRecord are the latest starts of the items that are not final: the
	// points --shift-to-now moves to now.
	latestRun, latestRecord time.Time
	earliestRun             time.Time
	// poisoned names traces a corrupt line belongs to, with the reason: they are held back whole.
	poisoned    map[traceKey]string
	inputErrors []string
}

// scanInputs is the first pass: it reads every input once, classifies each item, files runs
// under their trace's bucket and records in order, and finds the latest starts. It keeps only
// a set of trace keys in memory.
func scanInputs(ctx context.Context, cfg *Config, names []string, led *ledger) (*scanResult, error) {
	size := int64(0)
	for _, in := range cfg.Inputs {
		if in == "-" {
			size = -1
			break
		}
		fi, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", in, err)
		}
		size += fi.Size()
	}
	sp, err := newSpill(cfg.TempDir, bucketCount(size))
	if err != nil {
		return nil, err
	}
	res := &scanResult{spill: sp, poisoned: map[traceKey]string{}}
	keys := map[traceKey]struct{}{}
	for i, in := range cfg.Inputs {
		if err := ctx.Err(); err != nil {
			sp.remove()
			return nil, err
		}
		err := scanOne(cfg, in, i, func(it scanItem) error {
			return res.add(cfg, names, led, keys, it)
		})
		if errors.Is(err, errStopped) {
			res.inputErrors = append(res.inputErrors, fmt.Sprintf("%s: %v", names[i], err))
			continue
		}
		if err != nil {
			sp.remove()
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
	}
	res.traces = int64(len(keys))
	if err := sp.seal(); err != nil {
		sp.remove()
		return nil, err
	}
	return res, nil
}

func scanOne(cfg *Config, in string, idx int, fn func(scanItem) error) error {
	r := cfg.Stdin
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return scanInput(r, idx, fn)
}

// traceIDInText finds a trace_id in text that is not valid JSON, so that a corrupt run can
// still hold its trace back.
var traceIDInText = regexp.MustCompile(`"trace_id"\s*:\s*"([^"]{1,64})"`)

func (res *scanResult) add(cfg *Config, names []string, led *ledger, keys map[traceKey]struct{}, it scanItem) error {
	if it.err == nil {
		var h itemHeader
		if err := json.Unmarshal(it.raw, &h); err != nil {
			it.err = fmt.Errorf("unreadable item: %w", err)
		} else {
			return res.addItem(cfg, keys, it, &h)
		}
	}
	led.corruptItem(it)
	if m := traceIDInText.FindSubmatch(it.raw); m != nil {
		k := keyOf(string(m[1]))
		if _, ok := res.poisoned[k]; !ok {
			res.poisoned[k] = fmt.Sprintf("trace %s held back: a run of it at %s is corrupt; fix that line in the failed file and replay it",
				m[1], it.pos.describe(names))
		}
	}
	return nil
}

func (res *scanResult) addItem(cfg *Config, keys map[traceKey]struct{}, it scanItem, h *itemHeader) error {
	final := h.Replay != nil && h.Replay.Final
	if h.isRecord(cfg.Format) {
		res.records++
		if !final {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(h.StartNanos)), 10, 64); err == nil {
				if t := time.Unix(0, n).UTC(); t.After(res.latestRecord) {
					res.latestRecord = t
				}
			}
		}
		return res.spill.addRecord(it.pos, final, it.raw)
	}
	key, err := traceKeyOf(h)
	if err != nil {
		// Filed under its own key, the run fails with its trace in the second pass, with the
		// same message as every other planning error.
		key = keyOf("\x00orphan\x00" + string(h.ID) + strconv.Itoa(it.pos.n))
	}
	res.runs++
	keys[key] = struct{}{}
	if !final {
		start, ok, _ := parseTime(h.StartTime)
		if !ok {
			start, _, _ = parseTime(h.EndTime)
		}
		if start.After(res.latestRun) {
			res.latestRun = start
		}
		if !start.IsZero() && (res.earliestRun.IsZero() || start.Before(res.earliestRun)) {
			res.earliestRun = start
		}
	}
	return res.spill.addRun(key, it.pos, final, it.raw)
}

// traceKeyOf names a run's trace: its trace_id, else the first dotted_order segment's run,
// else the run itself when it has no parent.
func traceKeyOf(h *itemHeader) (traceKey, error) {
	if t := strings.TrimSpace(string(h.TraceID)); t != "" {
		return keyOf(t), nil
	}
	if d := strings.TrimSpace(string(h.DottedOrder)); len(d) >= 58 {
		first, _, _ := strings.Cut(d, ".")
		if len(first) == 58 {
			return keyOf(first[22:]), nil
		}
	}
	if strings.TrimSpace(string(h.ParentRunID)) == "" {
		return keyOf(strings.TrimSpace(string(h.ID))), nil
	}
	return traceKey{}, fmt.Errorf("run %s has a parent but no trace_id", h.ID)
}
