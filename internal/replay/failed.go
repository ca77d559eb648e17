// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tracebridge/tracebridge/internal/jsonline"
)

// failedFile collects what did not land, as NDJSON the same command reads back: runs of
// failed traces, failed records, and corrupt lines as they were read (to be fixed by hand). It
// is created on the first failure only, so a clean replay leaves no file behind.
type failedFile struct {
	path string

	mu    sync.Mutex
	f     *os.File
	w     *bufio.Writer
	lines int
	err   error // the first write error; later writes are skipped
}

func newFailedFile(path string) *failedFile { return &failedFile{path: path} }

// write appends lines, each without its newline, as one unit: a trace's runs stay together.
func (f *failedFile) write(lines ...[]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return
	}
	if f.f == nil {
		if dir := filepath.Dir(f.path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				f.err = fmt.Errorf("create directory of the failed-trace file: %w", err)
				return
			}
		}
		file, err := os.OpenFile(f.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			f.err = fmt.Errorf("create the failed-trace file: %w", err)
			return
		}
		f.f, f.w = file, bufio.NewWriterSize(file, 256<<10)
	}
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		_, _ = f.w.Write(l) // a bufio.Writer keeps its first error; WriteByte reports it
		if err := f.w.WriteByte('\n'); err != nil {
			f.err = fmt.Errorf("write the failed-trace file: %w", err)
			return
		}
		f.lines++
	}
}

// close flushes the file; it reports whether one was written.
func (f *failedFile) close() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return false, f.err
	}
	err := errors.Join(f.err, f.w.Flush(), f.f.Sync(), f.f.Close())
	f.f = nil
	if err != nil {
		return true, fmt.Errorf("close the failed-trace file: %w", err)
	}
	return true, nil
}

// finalRunJSON is a run in final form: the run as read, with its replayed identity and times
// and the final mark. Every other member is kept as it was.
func finalRunJSON(tp *tracePlan, p *runPlan, reason string) ([]byte, error) {
	members := map[string]json.RawMessage{}
	if err := json.Unmarshal(p.raw, &members); err != nil {
		return nil, fmt.Errorf("re-read run %s: %w", p.oldID, err)
	}
	set := func(k string, v any) {
		b, _ := json.Marshal(v)
		members[k] = b
	}
	set("id", p.id.String())
	set("trace_id", tp.traceID.String())
	if p.parent != nil {
		set("parent_run_id", p.parent.id.String())
	} else {
		members["parent_run_id"] = json.RawMessage("null")
	}
	set("start_time", formatTime(p.start))
	if p.end.IsZero() {
		members["end_time"] = json.RawMessage("null")
	} else {
		set("end_time", formatTime(p.end))
	}
	set("dotted_order", p.dotted)
	if evs := p.in.events(); len(evs) > 0 && p.shift != 0 {
		set("events", shiftedEvents(evs, p))
	}
	set(finalKey, finalMark{Final: true, Error: reason})
	return jsonline.Compact(members)
}

// shiftedEvents rewrites event times with the run's shift, so a final run is final throughout.
func shiftedEvents(evs []runEvent, p *runPlan) []runEvent {
	out := make([]runEvent, len(evs))
	for i, e := range evs {
		out[i] = e
		if t, ok, err := parseTime(e.Time); err == nil && ok {
			out[i].Time, _ = json.Marshal(formatTime(t.Add(p.shift)))
		}
	}
	return out
}
