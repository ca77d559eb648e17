// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// position says where an item was read, for messages a user can act on.
type position struct {
	src     int  // index into the input names
	n       int  // 1-based line (NDJSON) or array element
	element bool // n counts array elements, not lines
}

func (p position) describe(names []string) string {
	name := "input"
	if p.src >= 0 && p.src < len(names) {
		name = names[p.src]
	}
	if p.element {
		return fmt.Sprintf("%s element %d", name, p.n)
	}
	return fmt.Sprintf("%s line %d", name, p.n)
}

// scanItem is one run or record as read. raw is only valid during the callback: the reader
// reuses its buffer.
type scanItem struct {
	raw []byte // a compact JSON object; for a corrupt item, the text as read
	pos position
	err error // non-nil: the item is corrupt and raw is what could be read of it
}

// errStopped is returned by scanInput when the rest of an input cannot be read: a JSON array
// with a syntax error cannot be resynchronised.
var errStopped = errors.New("the rest of the input could not be read")

// maxLine bounds one NDJSON line, so a file without newlines cannot exhaust memory.
const maxLine = 256 << 20

// scanInput reads every item of r, a JSON array of objects or NDJSON (one object per line),
// optionally gzip-compressed, and calls fn for each. The format is told from the first byte,
// not the file name, so stdin works the same way. A corrupt NDJSON line is reported through fn
// and reading goes on; a corrupt array element ends the input with errStopped.
func scanInput(r io.Reader, src int, fn func(scanItem) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("open gzip stream: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	first, err := firstByte(br)
	if errors.Is(err, io.EOF) {
		return nil // an empty input holds nothing
	}
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if first == '[' {
		return scanArray(br, src, fn)
	}
	return scanLines(br, src, fn)
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xef: // a UTF-8 byte order mark
			if rest, _ := br.Peek(2); len(rest) == 2 && rest[0] == 0xbb && rest[1] == 0xbf {
				_, _ = br.Discard(2)
				continue
			}
		}
		return b, br.UnreadByte()
	}
}

func scanLines(br *bufio.Reader, src int, fn func(scanItem) error) error {
	var long []byte
	var compact bytes.Buffer
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it.
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
				if len(long) > maxLine {
					return fmt.Errorf("line %d is longer than %d bytes", n, maxLine)
				}
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read line %d: %w", n, err)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			it := scanItem{raw: t, pos: position{src: src, n: n}}
			// Compacting validates too, and makes every payload a function of its value
			// alone, so later stages copy it instead of compacting it again.
			compact.Reset()
			if t[0] != '{' || json.Compact(&compact, t) != nil {
				it.err = lineError(t)
			} else {
				it.raw = compact.Bytes()
			}
			if ferr := fn(it); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// lineError says what is wrong with a line that is not one JSON object.
func lineError(t []byte) error {
	var v any
	if err := json.Unmarshal(t, &v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return fmt.Errorf("a %s, not a JSON object", jsonKind(t[0]))
}

func jsonKind(b byte) string {
	switch b {
	case '[':
		return "JSON array"
	case '"':
		return "JSON string"
	case 'n':
		return "JSON null"
	case 't', 'f':
		return "JSON boolean"
	default:
		return "JSON number"
	}
}

func scanArray(br *bufio.Reader, src int, fn func(scanItem) error) error {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil { // the '['
		return fmt.Errorf("read array start: %w", err)
	}
	var compact bytes.Buffer
	for n := 1; dec.More(); n++ {
		pos := position{src: src, n: n, element: true}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if ferr := fn(scanItem{pos: pos, err: fmt.Errorf("invalid JSON: %w", err)}); ferr != nil {
				return ferr
			}
			return fmt.Errorf("%s: %w", pos.describe(nil), errStopped)
		}
		compact.Reset()
		if err := json.Compact(&compact, raw); err != nil { // Decode validated it already
			return fmt.Errorf("compact element %d: %w", n, err)
		}
		it := scanItem{raw: compact.Bytes(), pos: pos}
		if b := compact.Bytes(); len(b) == 0 || b[0] != '{' {
			it.err = fmt.Errorf("a %s, not a JSON object", jsonKind(b[0]))
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// looseString reads a JSON string, number or null as text; any other value reads as "". Input
// files come from many writers, and an ID written as a number is still an ID.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || b[0] == 'n' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f':
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = looseString(v)
	default:
		*s = looseString(b)
	}
	return nil
}

// finalMark is written on the runs of a trace that was sent but not confirmed: the run already
// has its new ID and shifted times, and a re-run must keep both so that whatever landed is
// recognized as a duplicate.
type finalMark struct {
	Final bool   `json:"final"`
	Error string `json:"error,omitempty"`
}

// finalKey is the top-level member that carries a finalMark.
const finalKey = "tracebridge_replay"

// itemHeader is what the first pass reads of every item: enough to classify it, file it under
// its trace and find the latest start.
type itemHeader struct {
	ID          looseString     `json:"id"`
	TraceID     looseString     `json:"trace_id"`
	ParentRunID looseString     `json:"parent_run_id"`
	DottedOrder looseString     `json:"dotted_order"`
	RunType     json.RawMessage `json:"run_type"`
	StartTime   json.RawMessage `json:"start_time"`
	EndTime     json.RawMessage `json:"end_time"`
	Replay      *finalMark      `json:"tracebridge_replay"`

	// LangfuseRecord fields (models/langfuse_record.py of the /telemetry/raw API).
	SpanID     json.RawMessage `json:"span_id"`
	SpanName   json.RawMessage `json:"span_name"`
	TraceName  json.RawMessage `json:"trace_name"`
	StartNanos json.RawMessage `json:"start_time_unix_nano"`
	EndNanos   json.RawMessage `json:"end_time_unix_nano"`
}

// Format forces how items are read.
type Format string

const (
	FormatAuto    Format = "auto"    // each item by its fields
	FormatRuns    Format = "runs"    // LangSmith run-list items
	FormatRecords Format = "records" // Langfuse-style records
)

// isRecord tells a Langfuse-style record from a run. Records have span_*/trace_name/…_unix_nano
// fields and no run_type or start_time; everything else is read as a run.
func (h *itemHeader) isRecord(f Format) bool {
	switch f {
	case FormatRuns:
		return false
	case FormatRecords:
		return true
	}
	if h.RunType != nil || h.StartTime != nil {
		return false
	}
	return h.SpanID != nil || h.SpanName != nil || h.TraceName != nil || h.StartNanos != nil || h.EndNanos != nil
}
