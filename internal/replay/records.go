// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tracebridge/tracebridge/internal/jsonline"
	"github.com/tracebridge/tracebridge/translator/langfuse"
)

// recordOptions are what a replay changes in Langfuse-style records.
type recordOptions struct {
	shift time.Duration
	ids   *IDMapper // nil: keep the record's IDs
}

// preparedRecord is one record ready to send.
type preparedRecord struct {
	line   []byte // as sent: shifted, re-identified, without the final mark
	final  []byte // final form, for the failed file
	record langfuse.Record
}

// prepareRecord shifts and re-identifies a record (unless it is final) and validates the result
// with the langfuse translator's own decoder, the one the receiver runs: a record that would
// make the receiver refuse its whole batch is caught here, alone.
func prepareRecord(raw []byte, final bool, opts recordOptions) (*preparedRecord, error) {
	members := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, fmt.Errorf("invalid record: %w", err)
	}
	if m, ok := members[finalKey]; ok {
		var mark finalMark
		_ = json.Unmarshal(m, &mark)
		final = final || mark.Final
		delete(members, finalKey)
	}
	if !final {
		if opts.shift != 0 {
			for _, k := range [...]string{"start_time_unix_nano", "end_time_unix_nano"} {
				if err := shiftNanos(members, k, opts.shift); err != nil {
					return nil, err
				}
			}
		}
		if opts.ids != nil {
			reidentify(members, opts.ids)
		}
	}
	line, err := jsonline.Compact(members)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	recs, err := langfuse.DecodeRecords(line, langfuse.FormatNDJSON, 1)
	if err != nil {
		return nil, fmt.Errorf("invalid record: %w", err)
	}
	members[finalKey], _ = json.Marshal(finalMark{Final: true})
	finalLine, err := jsonline.Compact(members)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return &preparedRecord{line: line, final: finalLine, record: recs[0]}, nil
}

// shiftNanos adds d to an integer nanosecond field, leaving null and absent fields alone.
func shiftNanos(members map[string]json.RawMessage, key string, d time.Duration) error {
	raw, ok := members[key]
	if !ok || isNull(raw) {
		return nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return fmt.Errorf("%s %s is not an integer of nanoseconds", key, raw)
	}
	members[key] = strconv.AppendInt(nil, n+d.Nanoseconds(), 10)
	return nil
}

// reidentify gives the record a new trace ID and span ID. The span ID is mapped within its old
// trace, so records that shared a trace still share one.
func reidentify(members map[string]json.RawMessage, ids *IDMapper) {
	str := func(k string) (string, bool) {
		var s string
		if raw, ok := members[k]; ok && json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
			return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "")), true
		}
		return "", false
	}
	trace, hasTrace := str("trace_id")
	if hasTrace {
		members["trace_id"], _ = json.Marshal(ids.RecordTraceID(trace).String())
	}
	if span, ok := str("span_id"); ok {
		members["span_id"], _ = json.Marshal(ids.RecordSpanID(trace, span).String())
	}
}
