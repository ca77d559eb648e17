package smithemu

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// RunTypes are the run_type values the ingest API accepts.
var RunTypes = []string{"tool", "chain", "llm", "retriever", "embedding", "prompt", "parser"}

const (
	// dottedTimeLayout is one dotted_order segment's timestamp with a dot
	// inserted before the six fractional digits so time.Parse can read it.
	dottedTimeLayout = "20060102T150405.000000"
	// parentTimeLayout is how the backend prints segment times in the
	// "earlier than parent" message.
	parentTimeLayout = "2006-01-02 15:04:05.000000"
)

// dottedFraction matches ts against ^\d{8}T\d{6}(\d*)$ and returns the
// trailing digits: a hand-written match, as dotted_order is read several
// times per ingested run.
func dottedFraction(ts string) (frac string, ok bool) {
	if len(ts) < 15 || ts[8] != 'T' {
		return "", false
	}
	for i := 0; i < len(ts); i++ {
		if i != 8 && (ts[i] < '0' || ts[i] > '9') {
			return "", false
		}
	}
	return ts[15:], true
}

// segment is one parsed <timestamp>Z<uuid> element of a dotted_order.
type segment struct {
	t  time.Time
	id string
}

// validateOp applies the per-run checks of the ingest backend. Messages keep
// the backend's wording so tests on the client side can match on them.
func (s *Server) validateOp(o *op) *apiError {
	if o.kind == opPost {
		if o.str("name") == "" {
			return runFieldError("name", o, "name is required")
		}
		if !o.has("run_type") {
			return runFieldError("run_type", o, "run_type is required")
		}
	}
	for _, f := range []string{"name", "session_name", "status"} {
		if o.has(f) {
			if _, ok := o.fields[f].(string); !ok {
				return runFieldError(f, o, "expected a string, got %s", jsonType(o.fields[f]))
			}
		}
	}
	if name := o.str("name"); s.cfg.MaxNameLength > 0 && utf8.RuneCountInString(name) > s.cfg.MaxNameLength {
		return errNameTooLong(o, name, s.cfg.MaxNameLength)
	}
	if o.has("run_type") {
		rt, _ := o.fields["run_type"].(string)
		if !slices.Contains(RunTypes, rt) {
			return runFieldError("run_type", o, "%s is not a valid run type, expected one of %s",
				jsonValue(o.fields["run_type"]), strings.Join(RunTypes, ", "))
		}
	}
	for _, f := range []string{"trace_id", "parent_run_id", "session_id", "reference_example_id"} {
		if !o.has(f) {
			continue
		}
		str, _ := o.fields[f].(string)
		c, ok := canonicalUUID(str)
		if !ok {
			return runFieldError(f, o, "%s is not a valid UUID", jsonValue(o.fields[f]))
		}
		if c != str {
			o.set(f, c)
		}
	}
	for _, f := range []string{"inputs", "outputs", "extra", "serialized", "input_attachments", "output_attachments"} {
		if o.has(f) {
			if !isJSONObject(o.fields[f]) {
				return runFieldError(f, o, "expected an object, got %s", jsonType(o.fields[f]))
			}
		}
	}
	if o.has("events") {
		if !isJSONArray(o.fields["events"]) {
			return runFieldError("events", o, "expected an array, got %s", jsonType(o.fields["events"]))
		}
	}
	if o.has("error") {
		if _, ok := o.fields["error"].(string); !ok {
			return runFieldError("error", o, "expected a string, got %s", jsonType(o.fields["error"]))
		}
	}
	if o.has("tags") {
		tags, ok := o.fields["tags"].([]any)
		if !ok {
			return runFieldError("tags", o, "expected an array of strings, got %s", jsonType(o.fields["tags"]))
		}
		for _, t := range tags {
			if _, ok := t.(string); !ok {
				return runFieldError("tags", o, "expected an array of strings, found %s", jsonType(t))
			}
		}
	}
	var start time.Time // parsed once here for the window check below
	for _, f := range []string{"start_time", "end_time"} {
		if !o.has(f) {
			continue
		}
		t, err := parseRunTime(o.fields[f])
		if err != nil {
			return runFieldError(f, o, "%v", err)
		}
		if f == "start_time" {
			start = t
		}
	}

	if o.selfDescribing {
		if !o.has("trace_id") {
			return runFieldError("trace_id", o, "trace_id is required")
		}
		if !o.has("dotted_order") {
			return runFieldError("dotted_order", o, "dotted_order is required")
		}
	}
	if o.has("dotted_order") {
		if aerr := validateDottedOrder(o); aerr != nil {
			return aerr
		}
	}

	// The window applies to posts and to patches alike (RUN_POST/PATCH_START_TIME_WINDOW_HOURS);
	// a patch is checked on the start_time it carries.
	if s.cfg.CheckTimeWindow && o.has("start_time") {
		now := s.cfg.Now()
		if d := now.Sub(start); d > s.cfg.TimeWindow || d < -s.cfg.TimeWindow {
			return runFieldError("start_time", o, "start_time %s is outside the accepted window of %s around the current time %s",
				start.UTC().Format(time.RFC3339Nano), s.cfg.TimeWindow, now.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// validateDottedOrder checks format and the invariants linking dotted_order to
// id, trace_id and parent_run_id.
func validateDottedOrder(o *op) *apiError {
	do, ok := o.fields["dotted_order"].(string)
	if !ok {
		return runFieldError("dotted_order", o, "expected a string, got %s", jsonType(o.fields["dotted_order"]))
	}
	segs, err := parseDottedOrder(do)
	if err != nil {
		return runFieldError("dotted_order", o, "%v", err)
	}
	parent := o.str("parent_run_id")
	if parent == "" && len(segs) != 1 {
		return runFieldError("dotted_order", o, "dotted_order must contain a single part for root runs")
	}
	if parent != "" && len(segs) < 2 {
		return runFieldError("dotted_order", o, "dotted_order must contain at least two parts for child runs")
	}
	if last := segs[len(segs)-1].id; last != o.id {
		return runFieldError("dotted_order", o, "run_id %s does not match last part of dotted_order %s", o.id, last)
	}
	if tid := o.str("trace_id"); tid != "" && tid != segs[0].id {
		return runFieldError("dotted_order", o, "trace_id %s does not match first part of dotted_order %s", tid, segs[0].id)
	}
	if parent != "" && parent != segs[len(segs)-2].id {
		return runFieldError("dotted_order", o, "parent_run_id %s does not match second to last part of dotted_order %s",
			parent, segs[len(segs)-2].id)
	}
	for i := 1; i < len(segs); i++ {
		if segs[i].t.Before(segs[i-1].t) {
			return runFieldError("dotted_order", o, "dotted_order has timestamp %s earlier than parent timestamp %s",
				segs[i].t.Format(parentTimeLayout), segs[i-1].t.Format(parentTimeLayout))
		}
	}
	return nil
}

// parseDottedOrder splits a dotted_order into segments, each exactly
// YYYYMMDDTHHMMSSffffffZ<uuid>.
func parseDottedOrder(do string) ([]segment, error) {
	if do == "" {
		return nil, fmt.Errorf("dotted_order is empty")
	}
	parts := strings.Split(do, ".")
	segs := make([]segment, 0, len(parts))
	for i, p := range parts {
		if len(p) < 38 || p[len(p)-37] != 'Z' {
			return nil, fmt.Errorf("invalid dotted_order segment %q at index %d: expected <YYYYMMDDTHHMMSSffffff>Z<run_id>", p, i)
		}
		ts, rawID := p[:len(p)-37], p[len(p)-36:]
		id, ok := canonicalUUID(rawID)
		if !ok {
			return nil, fmt.Errorf("invalid run id %q in dotted_order at index %d", rawID, i)
		}
		frac, matched := dottedFraction(ts)
		if matched && len(frac) > 0 && len(frac) < 6 {
			return nil, fmt.Errorf("invalid timestamp format in dotted_order: cannot parse '.%s' as '.000000'", frac)
		}
		if !matched || len(frac) != 6 {
			// Same text the backend produces by handing the raw segment to
			// an RFC 3339 parser.
			_, perr := time.Parse(time.RFC3339Nano, ts)
			if perr == nil {
				perr = fmt.Errorf("expected 6 fractional digits")
			}
			return nil, fmt.Errorf("invalid timestamp in dotted_order %s at index %d: %w", ts, i, perr)
		}
		t, ok := dottedTime(ts)
		if ok {
			segs = append(segs, segment{t: t, id: id})
			continue
		}
		t, err := time.Parse(dottedTimeLayout, ts[:15]+"."+ts[15:])
		if err != nil {
			return nil, fmt.Errorf("invalid timestamp in dotted_order %s at index %d: %w", ts, i, err)
		}
		segs = append(segs, segment{t: t, id: id})
	}
	return segs, nil
}

// dottedTime reads a segment's timestamp, ts as dottedFraction matched it with six fractional
// digits, when each field is in range: then time.Parse of dottedTimeLayout gives that same time
// (in UTC). Out of range (month 13, February 30, hour 24, second 60, …) it reports false, and
// time.Parse gives the error the rejection quotes.
func dottedTime(ts string) (time.Time, bool) {
	year, month, day := digits(ts[0:4]), digits(ts[4:6]), digits(ts[6:8])
	hour, minute, sec, micro := digits(ts[9:11]), digits(ts[11:13]), digits(ts[13:15]), digits(ts[15:21])
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC), true
}

// digits is the value of a run of decimal digits (dottedFraction checked them).
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn is the number of days of a month, as time.Parse checks a day against it.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoLayouts are the ISO-8601 forms accepted for start_time/end_time; the
// zone-less ones are read as UTC, as the SDKs and backend do.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
}

// parseRunTime reads a run timestamp: an ISO-8601 string or epoch
// milliseconds (the JS SDK sends end_time as a number).
func parseRunTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case string:
		for _, layout := range isoLayouts {
			if ts, err := time.Parse(layout, t); err == nil {
				return ts.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not an ISO-8601 timestamp", t)
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 || t > 1e15 {
			return time.Time{}, fmt.Errorf("%v is not a valid epoch-milliseconds timestamp", t)
		}
		sec, frac := math.Modf(t / 1000)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9/1e3))*1e3).UTC(), nil
	default:
		return time.Time{}, fmt.Errorf("expected an ISO-8601 string or epoch milliseconds, got %s", jsonType(v))
	}
}

func jsonType(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case rawJSON:
		if t.isObject() {
			return "object"
		}
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func jsonValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}
