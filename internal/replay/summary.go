// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Summary is what a replay did. It is printed at the end and, with --report, written as JSON
// for scripts and CI.
type Summary struct {
	Inputs      []string `json:"inputs"`
	Destination string   `json:"destination"`
	Project     string   `json:"project,omitempty"`

	Runs    int64 `json:"runs"`    // read from the inputs
	Traces  int64 `json:"traces"`  // distinct traces among them
	Records int64 `json:"records"` // Langfuse-style records read

	TracesDelivered  int64 `json:"traces_delivered"`
	RunsDelivered    int64 `json:"runs_delivered"`
	TracesFailed     int64 `json:"traces_failed"`
	RunsFailed       int64 `json:"runs_failed"`
	RecordsDelivered int64 `json:"records_delivered"`
	RecordsFailed    int64 `json:"records_failed"`
	Corrupt          int64 `json:"corrupt"`
	Clamped          int64 `json:"clamped"`    // child starts moved up to their parent's
	Duplicates       int64 `json:"duplicates"` // repeated run IDs dropped

	ShiftMicros int64 `json:"shift_us"`
	// SpreadSeconds, when set, says traces were spread over that many seconds before now
	// instead of sharing one shift (ShiftMicros is then 0).
	SpreadSeconds     float64 `json:"spread_seconds,omitempty"`
	RecordShiftMicros int64   `json:"record_shift_us"`
	NewIDs            bool    `json:"new_ids"`
	IDSeed            string  `json:"id_seed,omitempty"`

	ElapsedSeconds  float64 `json:"elapsed_seconds"`
	TracesPerSecond float64 `json:"traces_per_second"`
	RunsPerSecond   float64 `json:"runs_per_second"`

	// Confirmed says what "delivered" means: accepted by the collector, or confirmed by
	// LangSmith (direct).
	Confirmed string `json:"confirmed"`

	FailedFile   string   `json:"failed_file,omitempty"`
	Failures     []string `json:"failures,omitempty"`
	MoreFailures int      `json:"more_failures,omitempty"`
	InputErrors  []string `json:"input_errors,omitempty"`
}

// OK reports whether everything read was delivered.
func (s *Summary) OK() bool {
	return s.TracesFailed == 0 && s.RecordsFailed == 0 && s.Corrupt == 0 && len(s.InputErrors) == 0
}

// Shift is the shift applied to runs.
func (s *Summary) Shift() time.Duration { return time.Duration(s.ShiftMicros) * time.Microsecond }

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) {
	elapsed := time.Duration(s.ElapsedSeconds * float64(time.Second)).Round(time.Millisecond)
	if s.Traces > 0 || s.Records == 0 {
		fmt.Fprintf(w, "Replayed %d/%d traces (%d runs) to %s in %s: %.1f traces/s, %.1f runs/s (%s)\n",
			s.TracesDelivered, s.Traces, s.RunsDelivered, s.Destination, elapsed, s.TracesPerSecond, s.RunsPerSecond, s.Confirmed)
	}
	if s.Records > 0 {
		fmt.Fprintf(w, "Replayed %d/%d records to %s in %s (%s)\n", s.RecordsDelivered, s.Records, s.Destination, elapsed, s.Confirmed)
	}
	if s.Clamped > 0 {
		fmt.Fprintf(w, "Moved %d child runs that started before their parent to their parent's start\n", s.Clamped)
	}
	if s.Duplicates > 0 {
		fmt.Fprintf(w, "Dropped %d repeated runs (same id twice in a trace; the first copy was kept)\n", s.Duplicates)
	}
	if s.NewIDs && s.IDSeed != "" {
		fmt.Fprintf(w, "New run ids from seed %s (--id-seed %s reproduces them)\n", s.IDSeed, s.IDSeed)
	}
	for _, e := range s.InputErrors {
		fmt.Fprintf(w, "Input error: %s\n", e)
	}
	if s.OK() {
		fmt.Fprintln(w, "Done!")
		return
	}
	var parts []string
	if s.TracesFailed > 0 {
		parts = append(parts, plural(s.TracesFailed, "trace")+" ("+plural(s.RunsFailed, "run")+")")
	}
	if s.RecordsFailed > 0 {
		parts = append(parts, plural(s.RecordsFailed, "record"))
	}
	if s.Corrupt > 0 {
		parts = append(parts, plural(s.Corrupt, "corrupt line"))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "Failed: %s\n", strings.Join(parts, ", "))
	}
	for _, f := range s.Failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
	if s.MoreFailures > 0 {
		fmt.Fprintf(w, "  … and %d more\n", s.MoreFailures)
	}
	if s.FailedFile != "" {
		fmt.Fprintf(w, "Wrote them to %s: fix what the lines above say, then replay that file with the same command.\n", s.FailedFile)
		if s.Corrupt > 0 {
			fmt.Fprintln(w, "Corrupt lines are in it as they were read; traces that were sent but not confirmed keep their new ids, so nothing lands twice.")
		}
		if s.ShiftMicros != 0 {
			fmt.Fprintf(w, "To keep their spacing to the traces that landed, add --shift '%s'.\n", FormatShift(s.Shift()))
		}
	}
}

// writeReport writes the summary as JSON.
func (s *Summary) writeReport(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
