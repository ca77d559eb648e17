// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// LangSmith's published per-run limits (https://docs.langchain.com/langsmith/administration-overview, usage limits).
const (
	// MaxNameLength is the longest run name LangSmith takes, in characters; a longer one makes
	// it refuse the whole request with a 422.
	MaxNameLength = 128
	// FullNameKey is the extra.metadata key that keeps a name cut to MaxNameLength whole.
	FullNameKey = "tracebridge.full_name"
)

// CutName cuts a name to MaxNameLength characters, the last one an ellipsis so a reader sees
// it was cut, and reports whether it did. Invalid UTF-8 counts one character per byte, as it
// will once encoded as U+FFFD.
func CutName(name string) (string, bool) {
	if len(name) <= MaxNameLength || utf8.RuneCountInString(name) <= MaxNameLength {
		return name, false
	}
	var b strings.Builder
	b.Grow(MaxNameLength * 2)
	n := 0
	for _, r := range name {
		if n == MaxNameLength-1 {
			break
		}
		b.WriteRune(r)
		n++
	}
	b.WriteRune('…')
	return b.String(), true
}

// ShiftRun moves a run by delta (a whole number of milliseconds): its start and end, every
// dotted_order timestamp, and the millisecond field of every UUIDv7 it names (id, trace_id,
// parent_run_id and the dotted_order's ids). Shifting every run of a trace by one delta keeps
// the tree intact and each UUIDv7's millisecond field equal to its run's start, which
// LangSmith's by-id lookups need. IDs of other versions (span_id mode) are kept.
func ShiftRun(run *Run, delta time.Duration) error {
	do, err := ShiftDottedOrder(run.DottedOrder, delta)
	if err != nil {
		return err
	}
	run.DottedOrder = do
	if !run.StartTime.IsZero() {
		run.StartTime = run.StartTime.Add(delta)
	}
	if !run.EndTime.IsZero() {
		run.EndTime = run.EndTime.Add(delta)
	}
	run.ID = ShiftID(run.ID, delta)
	run.TraceID = ShiftID(run.TraceID, delta)
	if run.ParentRunID != uuid.Nil {
		run.ParentRunID = ShiftID(run.ParentRunID, delta)
	}
	return nil
}

// ShiftDottedOrder moves every segment of a dotted_order by delta, ids as ShiftID does.
func ShiftDottedOrder(dottedOrder string, delta time.Duration) (string, error) {
	if delta%time.Millisecond != 0 {
		return "", fmt.Errorf("shift %s is not a whole number of milliseconds", delta)
	}
	segs := strings.Split(dottedOrder, ".")
	out := make([]byte, 0, len(dottedOrder))
	for i, seg := range segs {
		t, err := ParseDottedSegmentTime(seg)
		if err != nil {
			return "", err
		}
		id, err := uuid.Parse(seg[22:])
		if err != nil {
			return "", fmt.Errorf("dotted_order segment %q: %w", seg, err)
		}
		if i > 0 {
			out = append(out, '.')
		}
		out = AppendDottedSegment(out, t.Add(delta), ShiftID(id, delta))
	}
	return string(out), nil
}

// ShiftID adds delta to a UUIDv7's millisecond field; any other id is returned as it is.
func ShiftID(id uuid.UUID, delta time.Duration) uuid.UUID {
	if id.Version() != 7 {
		return id
	}
	var ms [8]byte
	copy(ms[2:], id[:6])
	v := int64(binary.BigEndian.Uint64(ms[:])) + delta.Milliseconds() //nolint:gosec // 48-bit field
	binary.BigEndian.PutUint64(ms[:], uint64(max(v, 0)))              //nolint:gosec // clamped to ≥ 0
	copy(id[:6], ms[2:])
	return id
}

// TraceStart is the start of a run's trace root: the time of its dotted_order's first segment.
func TraceStart(dottedOrder string) (time.Time, error) {
	first, _, _ := strings.Cut(dottedOrder, ".")
	return ParseDottedSegmentTime(first)
}

// WindowMargin is kept between a run's start_time and the edge of LangSmith's start_time window,
// so that a run found inside it is still inside when its request reaches LangSmith.
const WindowMargin = 5 * time.Minute

// InWindow reports whether start lies within window of now, WindowMargin to spare.
func InWindow(start, now time.Time, window time.Duration) bool {
	d := now.Sub(start)
	return d <= window-WindowMargin && d >= -(window-WindowMargin)
}

// WindowShift is the shift that brings a trace whose root started at root inside the window: a
// whole number of windows (whole seconds), so that every run of the trace, wherever it is
// shifted, gets the same one; 0 when the root is inside already. The root lands at most one
// window ago and at most WindowMargin ahead.
func WindowShift(root, now time.Time, window time.Duration) time.Duration {
	window = window.Truncate(time.Second)
	if window <= 0 || InWindow(root, now, window) {
		return 0
	}
	age := now.Sub(root) + WindowMargin
	k := age / window
	if age < 0 && age%window != 0 {
		k-- // floor, for roots in the future
	}
	return k * window
}
