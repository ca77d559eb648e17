// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// deadLetter keeps, on disk, the runs LangSmith refused for good, so that a permanent failure
// is never silent. Each refused request becomes one JSONL file: a header line with the reason,
// then one line per run holding a /runs/batch body ({"post":[run]} or {"patch":[run]}), so a
// line can be re-sent as it is once the cause is fixed.
type deadLetter struct {
	dir string
	seq atomic.Uint64
}

type deadLetterHeader struct {
	Reason string `json:"reason"`
	// Kind is the reason's class (start_time_window, name_too_long, …), as in the metric.
	Kind   string    `json:"kind,omitempty"`
	Status int       `json:"status,omitempty"`
	Runs   int       `json:"runs,omitempty"`
	Spans  int       `json:"spans,omitempty"`
	Time   time.Time `json:"time"`
}

// write stores runs with the reason they were refused and returns the file's path.
func (d *deadLetter) write(reason, kind string, status int, runs []langsmith.Run, now time.Time) (string, error) {
	header, err := json.Marshal(deadLetterHeader{Reason: reason, Kind: kind, Status: status, Runs: len(runs), Time: now.UTC()})
	if err != nil {
		return "", fmt.Errorf("encode dead-letter header: %w", err)
	}
	buf := make([]byte, 0, len(header)+1+len(runs)*1024)
	buf = append(append(buf, header...), '\n')
	for i := range runs {
		buf = langsmith.AppendBatchJSON(buf, runs[i:i+1])
		buf = append(buf, '\n')
	}
	return d.store("runs", buf, now)
}

// writeSpans stores spans that could not even become runs (their identity attributes are
// malformed), as one OTLP/JSON traces document after the header line, so they can be fixed and
// sent to any OTLP receiver again.
func (d *deadLetter) writeSpans(reason string, td ptrace.Traces, now time.Time) (string, error) {
	header, err := json.Marshal(deadLetterHeader{Reason: reason, Kind: reasonUnencodable, Spans: td.SpanCount(), Time: now.UTC()})
	if err != nil {
		return "", fmt.Errorf("encode dead-letter header: %w", err)
	}
	doc, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		return "", fmt.Errorf("encode dead-letter spans: %w", err)
	}
	buf := append(append(header, '\n'), doc...)
	return d.store("spans", append(buf, '\n'), now)
}

// store writes one dead-letter file atomically and returns its path.
func (d *deadLetter) store(kind string, buf []byte, now time.Time) (string, error) {
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return "", fmt.Errorf("create dead-letter directory: %w", err)
	}
	name := fmt.Sprintf("%s-%s-%06d.jsonl", kind, now.UTC().Format("20060102T150405.000000000Z"), d.seq.Add(1))
	// Write to a temporary name first, so a reader never sees half a file.
	tmp, err := os.CreateTemp(d.dir, ".partial-*")
	if err != nil {
		return "", fmt.Errorf("create dead-letter file: %w", err)
	}
	if _, err = tmp.Write(buf); err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	path := filepath.Join(d.dir, name)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("write dead-letter file: %w", err)
	}
	return path, nil
}
