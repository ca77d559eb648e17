// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package redrive // import "github.com/tracebridge/tracebridge/internal/redrive"

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// runTimeLayout is how the exporter writes run times (microseconds, UTC).
const runTimeLayout = "2006-01-02T15:04:05.000000Z"

// cutName cuts a run's name as the exporter does, keeping the whole name in extra.metadata.
func cutName(run map[string]any) bool {
	name, _ := run["name"].(string)
	cut, ok := langsmith.CutName(name)
	if !ok {
		return false
	}
	run["name"] = cut
	extra, _ := run["extra"].(map[string]any)
	if extra == nil {
		extra = map[string]any{}
		run["extra"] = extra
	}
	meta, _ := extra["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		extra["metadata"] = meta
	}
	meta[langsmith.FullNameKey] = name
	return true
}

// shiftRun moves a run of a trace whose root started outside the window as the exporter's
// `shift` policy does: the shift depends only on the root's start, so every run of the trace,
// in whichever file, moves by the same amount, and a second re-drive computes the same ids.
func shiftRun(run map[string]any, window time.Duration, now time.Time) (bool, error) {
	do, _ := run["dotted_order"].(string)
	root, err := langsmith.TraceStart(do)
	if err != nil {
		return false, fmt.Errorf("run %v: %w", run["id"], err)
	}
	delta := langsmith.WindowShift(root, now, window)
	if delta == 0 {
		return false, nil
	}
	if run["dotted_order"], err = langsmith.ShiftDottedOrder(do, delta); err != nil {
		return false, fmt.Errorf("run %v: %w", run["id"], err)
	}
	for _, k := range []string{"id", "trace_id", "parent_run_id"} {
		s, ok := run[k].(string)
		if !ok {
			continue
		}
		id, err := uuid.Parse(s)
		if err != nil {
			return false, fmt.Errorf("run %v: %s: %w", run["id"], k, err)
		}
		run[k] = langsmith.ShiftID(id, delta).String()
	}
	for _, k := range []string{"start_time", "end_time"} {
		s, ok := run[k].(string)
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false, fmt.Errorf("run %v: %s: %w", run["id"], k, err)
		}
		run[k] = t.Add(delta).UTC().Format(runTimeLayout)
	}
	return true, nil
}
