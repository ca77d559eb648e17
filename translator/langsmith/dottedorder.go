// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// ErrUnresolved is returned for a child span that reaches the translator without the identity
// the exporter's assembler stamps on it (langsmith.span.dotted_order). A child's dotted_order
// needs its ancestors, which only the assembler knows; the exporter resolves such spans first.
var ErrUnresolved = errors.New("run identity unresolved: child span has no " + conventions.LangSmithDottedOrder)

// dottedOrder is what the translator checks in a stamped dotted_order.
type dottedOrder struct {
	first, penultimate, last uuid.UUID
	lastTime                 time.Time
	segments                 int
}

// DottedIdentity is the run identity a dotted_order spells: the trace's root run is its first
// segment, the parent its second to last, the run itself its last, and the last segment's time
// is the run's start.
type DottedIdentity struct {
	TraceID, ParentRunID, RunID uuid.UUID // ParentRunID is uuid.Nil for a single segment
	Start                       time.Time
}

// ParseDottedOrder validates s as the translator does (so as LangSmith does) and returns the
// identity it spells.
func ParseDottedOrder(s string) (DottedIdentity, error) {
	d, err := parseDottedOrder(s)
	if err != nil {
		return DottedIdentity{}, err
	}
	id := DottedIdentity{TraceID: d.first, RunID: d.last, Start: d.lastTime}
	if d.segments > 1 {
		id.ParentRunID = d.penultimate
	}
	return id, nil
}

// parseDottedOrder validates a dotted_order the way LangSmith does (the 400 "invalid 'dotted_order'" answers):
// every segment well formed, and no segment earlier than its parent. A run failing these would
// be rejected with a 400 that loses its whole batch, so the translator refuses it up front.
//
// Every span the assembler stamped comes through here. scanDottedOrder reads a well-formed
// dotted_order in one pass without building a time per segment or decoding the ids of its
// middle segments; anything it does not accept goes through checkDottedOrder, which names what
// is wrong (and is the reference the fast pass is fuzzed against).
func parseDottedOrder(s string) (dottedOrder, error) {
	if d, ok := scanDottedOrder(s); ok {
		return d, nil
	}
	return checkDottedOrder(s)
}

// scanDottedOrder is checkDottedOrder for dotted orders it accepts: segments at fixed
// positions (each DottedSegmentLen long, one '.' between them), times compared as their digits
// (fixed width, so in order as text), ids read as lower-case hex. ok is false for anything
// else, including what checkDottedOrder would accept some other way (it accepts nothing else).
func scanDottedOrder(s string) (d dottedOrder, ok bool) {
	const stride = DottedSegmentLen + 1
	if len(s)%stride != DottedSegmentLen {
		return d, false
	}
	n := len(s)/stride + 1
	var prev string
	for k := range n {
		seg := s[k*stride : k*stride+DottedSegmentLen]
		if k < n-1 && s[k*stride+DottedSegmentLen] != '.' {
			return d, false
		}
		stamp := seg[:21] // YYYYMMDDTHHMMSSffffff
		if !validSegmentTime(seg) || stamp < prev {
			return d, false
		}
		prev = stamp
		var id uuid.UUID
		if !parseLowerUUID(&id, seg[22:]) {
			return d, false
		}
		if k == 0 {
			d.first = id
		}
		d.penultimate, d.last = d.last, id
	}
	d.segments = n
	last := s[len(s)-DottedSegmentLen:] // validated above
	d2 := func(i int) int { return int(last[i]-'0')*10 + int(last[i+1]-'0') }
	us := (d2(15)*100+d2(17))*100 + d2(19)
	d.lastTime = time.Date(d2(0)*100+d2(2), time.Month(d2(4)), d2(6), d2(9), d2(11), d2(13), us*1000, time.UTC)
	return d, true
}

// validSegmentTime reports whether seg starts with a valid YYYYMMDDTHHMMSSffffffZ, as
// parseSegmentTime would, without making the time.
func validSegmentTime(seg string) bool {
	if len(seg) < 22 || seg[8] != 'T' || seg[21] != 'Z' ||
		!digits8(seg[0:8]) || !digits8(seg[9:17]) || !digits8(seg[13:21]) {
		return false
	}
	d2 := func(i int) int { return int(seg[i]-'0')*10 + int(seg[i+1]-'0') }
	year := d2(0)*100 + d2(2)
	month, day := d2(4), d2(6)
	if month < 1 || month > 12 || day < 1 || d2(9) > 23 || d2(11) > 59 || d2(13) > 59 {
		return false
	}
	days := 31
	switch month {
	case 4, 6, 9, 11:
		days = 30
	case 2:
		days = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			days = 29
		}
	}
	return day <= days
}

// digits8 reports whether the eight bytes of w are all ASCII digits: each has the high nibble 3,
// and adding 6 carries out of none of the low nibbles.
func digits8(w string) bool {
	const lsb = 0x0101010101010101
	_ = w[7]
	x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
	return x&(lsb*0xf0) == lsb*0x30 && (x+lsb*6)&(lsb*0xf0) == lsb*0x30
}

// parseLowerUUID reads a canonical 36-character UUID in lower-case hex into id (LangSmith
// matches segment ids against [0-9a-f-]{36}).
func parseLowerUUID(id *uuid.UUID, s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	// Unrolled with constant offsets, which the length check above frees of bounds checks: the
	// loop over a table of offsets checked every index and was most of the cost of a parse,
	// which every stamped span pays for each of its dotted order's ids.
	bad := byte(0)
	pair := func(a, b byte) byte {
		hi, lo := lowerHex[a], lowerHex[b]
		bad |= hi | lo
		return hi<<4 | lo
	}
	id[0], id[1], id[2], id[3] = pair(s[0], s[1]), pair(s[2], s[3]), pair(s[4], s[5]), pair(s[6], s[7])
	id[4], id[5] = pair(s[9], s[10]), pair(s[11], s[12])
	id[6], id[7] = pair(s[14], s[15]), pair(s[16], s[17])
	id[8], id[9] = pair(s[19], s[20]), pair(s[21], s[22])
	id[10], id[11], id[12] = pair(s[24], s[25]), pair(s[26], s[27]), pair(s[28], s[29])
	id[13], id[14], id[15] = pair(s[30], s[31]), pair(s[32], s[33]), pair(s[34], s[35])
	return bad&0xf0 == 0
}

// lowerHex is the value of each lower-case hex digit, 0xff for every other byte.
var lowerHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range 16 {
		t[hexDigits[i]] = byte(i)
	}
	return t
}()

// checkDottedOrder is parseDottedOrder segment by segment, with an error naming the first
// segment that is wrong.
func checkDottedOrder(s string) (dottedOrder, error) {
	var d dottedOrder
	if s == "" {
		return d, errors.New("dotted_order is empty")
	}
	var prevTime time.Time
	for rest := s; ; {
		seg, tail, more := strings.Cut(rest, ".")
		t, ok := parseSegmentTime(seg)
		if !ok {
			return d, fmt.Errorf("dotted_order segment %d %q is not YYYYMMDDTHHMMSSffffffZ<uuid>", d.segments, seg)
		}
		id, err := uuid.Parse(seg[22:])
		if err != nil || strings.ContainsAny(seg[22:], "ABCDEF") {
			// LangSmith matches segment ids against [0-9a-f-]{36}.
			return d, fmt.Errorf("dotted_order segment %d %q has no valid lower-case run id", d.segments, seg)
		}
		if d.segments > 0 && t.Before(prevTime) {
			return d, fmt.Errorf("dotted_order segment %d %q is earlier than its parent segment", d.segments, seg)
		}
		if d.segments == 0 {
			d.first = id
		}
		d.penultimate, d.last = d.last, id
		d.lastTime, prevTime = t, t
		d.segments++
		if !more {
			return d, nil
		}
		rest = tail
	}
}

// parseSegmentTime reads the time of a dotted_order segment. It is ParseDottedSegmentTime
// without the allocations, since every span's stamped dotted_order passes through here.
func parseSegmentTime(seg string) (time.Time, bool) {
	if len(seg) != DottedSegmentLen || seg[8] != 'T' || seg[21] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(seg[0:4])
	month, ok2 := num(seg[4:6])
	day, ok3 := num(seg[6:8])
	hour, ok4 := num(seg[9:11])
	minute, ok5 := num(seg[11:13])
	sec, ok6 := num(seg[13:15])
	us, ok7 := num(seg[15:21])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 ||
		month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, us*1000, time.UTC)
	if t.Day() != day { // 20240230 would silently become March 1st
		return time.Time{}, false
	}
	return t, true
}

// resolveIdentity sets the run's id, trace_id, parent_run_id, dotted_order and start_time from
// the stamped langsmith.* attributes, deriving them only for a root.
func (t *translation) resolveIdentity() error {
	x := &t.idx
	start := t.span.StartTimestamp().AsTime()

	id, hasID, err := uuidAttr(x, slotLSSpanID, conventions.LangSmithSpanID)
	if err != nil {
		return err
	}
	if hasID {
		x.consume(slotLSSpanID)
	}
	traceID, hasTrace, err := uuidAttr(x, slotLSTraceID, conventions.LangSmithTraceID)
	if err != nil {
		return err
	}
	parentID, hasParent, err := uuidAttr(x, slotLSParentID, conventions.LangSmithParentID)
	if err != nil {
		return err
	}
	isRoot := false
	if v, ok := x.get(slotLSIsRoot); ok {
		if b, ok := boolValue(v); ok {
			isRoot = b
			x.consume(slotLSIsRoot)
		}
	}

	run := &t.run
	if dotted, ok := x.str(slotLSDottedOrder); ok {
		d, err := parseDottedOrder(dotted)
		if err != nil {
			return fmt.Errorf("invalid %s: %w", conventions.LangSmithDottedOrder, err)
		}
		// The last segment names the run; an explicit langsmith.span.id must agree with it.
		if hasID && d.last != id {
			return fmt.Errorf("%s ends in run %s, not in this run's id %s", conventions.LangSmithDottedOrder, d.last, id)
		}
		run.ID = d.last
		if hasTrace && d.first != traceID {
			return fmt.Errorf("%s starts with run %s, not with trace id %s", conventions.LangSmithDottedOrder, d.first, traceID)
		}
		switch {
		case d.segments == 1 && hasParent:
			return fmt.Errorf("%s has a single segment but %s is %s", conventions.LangSmithDottedOrder, conventions.LangSmithParentID, parentID)
		case d.segments > 1 && hasParent && parentID != d.penultimate:
			return fmt.Errorf("%s names parent %s but %s is %s", conventions.LangSmithDottedOrder, d.penultimate, conventions.LangSmithParentID, parentID)
		case d.segments > 1:
			run.ParentRunID = d.penultimate
		}
		run.TraceID = d.first
		run.DottedOrder = dotted
		// The assembler may have clamped the segment to the parent's start; LangSmith wants
		// start_time and the segment time equal.
		run.StartTime = d.lastTime
		x.consume(slotLSDottedOrder)
		x.consume(slotLSTraceID)
		x.consume(slotLSParentID)
		return nil
	}

	if !isRoot && (hasParent || !t.span.ParentSpanID().IsEmpty()) {
		return ErrUnresolved
	}
	if !hasID {
		id = RunID(t.opts.IDMode, t.span.TraceID(), t.span.SpanID(), start)
	}
	run.ID = id
	if hasTrace && traceID != id {
		return fmt.Errorf("root run %s has %s %s: a root's trace id must be its own id", id, conventions.LangSmithTraceID, traceID)
	}
	run.TraceID = id
	run.DottedOrder = DottedSegment(start, id)
	run.StartTime = start.Truncate(time.Microsecond).UTC()
	x.consume(slotLSTraceID)
	return nil
}

// uuidAttr reads an identity override. A present but malformed one is an error: guessing an
// identity would put the run in the wrong tree.
func uuidAttr(x *attrIndex, s slot, key string) (uuid.UUID, bool, error) {
	v, ok := x.get(s)
	if !ok {
		return uuid.Nil, false, nil
	}
	if v.Type() != pcommon.ValueTypeStr {
		return uuid.Nil, false, fmt.Errorf("%s is a %s, not a UUID string", key, v.Type())
	}
	str := strings.TrimSpace(v.Str())
	if str == "" {
		return uuid.Nil, false, nil
	}
	id, err := uuid.Parse(str)
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("invalid %s %q: %w", key, str, err)
	}
	return id, true, nil
}

// dottedTimeLayout is the timestamp part of a dotted_order segment without its fraction:
// LangSmith wants exactly six fractional digits, which no time layout yields without a dot.
const dottedTimeLayout = "20060102T150405"

// DottedSegmentLen is the length of one dotted_order segment: 22 time characters and a UUID.
const DottedSegmentLen = 22 + 36

// AppendDottedSegment appends the dotted_order segment of a run that starts at start:
// YYYYMMDDTHHMMSSffffffZ<uuid>, in UTC with microseconds (nanoseconds are truncated, as the
// official Go SDK does).
func AppendDottedSegment(dst []byte, start time.Time, id uuid.UUID) []byte {
	dst = appendMicroTime(dst, start, false)
	return appendUUID(dst, id)
}

// DottedSegment returns AppendDottedSegment's segment as a string.
func DottedSegment(start time.Time, id uuid.UUID) string {
	return string(AppendDottedSegment(make([]byte, 0, DottedSegmentLen), start, id))
}

// ParseDottedSegmentTime reads the start time back out of a dotted_order segment.
func ParseDottedSegmentTime(segment string) (time.Time, error) {
	t, ok := parseSegmentTime(segment)
	if !ok {
		return time.Time{}, fmt.Errorf("dotted_order segment %q is not YYYYMMDDTHHMMSSffffffZ<uuid>", segment)
	}
	return t, nil
}

// ChildSegmentStart is the start of a child's dotted_order segment under a parent whose segment
// starts at parentStart: the child's own start, or the parent's when the child starts earlier
// (clock skew between services), since LangSmith rejects a segment earlier than its parent's.
// clamped says which. The run's start_time must then be the segment's, and a UUIDv7 run id's
// millisecond field with it.
func ChildSegmentStart(start, parentStart time.Time) (seg time.Time, clamped bool) {
	if start.Before(parentStart) {
		return parentStart, true
	}
	return start, false
}

// ChildDottedOrder is the dotted_order of run id, starting at start, under the run whose
// dotted_order is parent: the parent's and one segment more, in one allocation.
func ChildDottedOrder(parent string, start time.Time, id uuid.UUID) string {
	var buf [DottedSegmentLen]byte
	var sb strings.Builder // the builder's buffer becomes the string
	sb.Grow(len(parent) + 1 + DottedSegmentLen)
	sb.WriteString(parent)
	sb.WriteByte('.')
	sb.Write(AppendDottedSegment(buf[:0], start, id))
	return sb.String()
}
