// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var recordsStart = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func record(trace, span int, at time.Time) string {
	return fmt.Sprintf(`{"user_id":"u-42","session_id":"sess-9","trace_id":"1c563dcf980b449a%016x","trace_name":"wallet-agent","span_id":"%016x",`+
		`"span_name":"exec:%d","start_time_unix_nano":%d,"end_time_unix_nano":%d,"input":"{\"cmd\":\"caw tx\"}",`+
		`"output":"{\"status\":\"submitted\"}","level":"INFO","error":false,"status_message":null,"extra":{"chain":"ETH"}}`,
		trace, 0xf067aa0ba902b700+uint64(trace*16+span), span,
		at.UnixNano(), at.Add(50*time.Millisecond).UnixNano())
}

// writeRecords writes traces × spans raw records as NDJSON.
func writeRecords(t *testing.T, traces, spans int) string {
	t.Helper()
	var lines []string
	for tr := range traces {
		for sp := range spans {
			lines = append(lines, record(tr, sp, recordsStart.Add(time.Duration(tr)*time.Second+time.Duration(sp)*100*time.Millisecond)))
		}
	}
	path := filepath.Join(t.TempDir(), "records.ndjson")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path
}

func TestPrepareRecord(t *testing.T) {
	ids := NewIDMapper("rec")
	raw := []byte(record(1, 2, recordsStart))
	shift := 3 * time.Hour

	p, err := prepareRecord(raw, false, recordOptions{shift: shift, ids: ids})
	require.NoError(t, err)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(p.line, &sent))
	oldTrace := fmt.Sprintf("1c563dcf980b449a%016x", 1)
	assert.Equal(t, ids.RecordTraceID(oldTrace).String(), sent["trace_id"])
	assert.Equal(t, ids.RecordSpanID(oldTrace, fmt.Sprintf("%016x", 0xf067aa0ba902b700+uint64(18))).String(), sent["span_id"])
	assert.Equal(t, recordsStart.Add(shift).UnixNano(), p.record.StartTime.AsTime().UnixNano())
	assert.NotContains(t, sent, finalKey, "the mark never reaches the receiver")
	assert.Equal(t, "exec:2", p.record.SpanName)

	// The final form reads back unchanged: no second shift, no second id.
	again, err := prepareRecord(p.final, false, recordOptions{shift: shift, ids: NewIDMapper("other")})
	require.NoError(t, err)
	assert.JSONEq(t, string(p.line), string(again.line))
}

func TestPrepareRecordRefusesWhatTheReceiverWould(t *testing.T) {
	tests := map[string]string{
		"bad level":        strings.Replace(record(0, 0, recordsStart), `"INFO"`, `"TRACE"`, 1),
		"string timestamp": strings.Replace(record(0, 0, recordsStart), `"start_time_unix_nano":`, `"start_time_unix_nano":"x`, 1),
		"object input":     strings.Replace(record(0, 0, recordsStart), `"input":"{\"cmd\":\"caw tx\"}"`, `"input":{"cmd":1}`, 1),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := prepareRecord([]byte(raw), false, recordOptions{})
			assert.Error(t, err)
		})
	}
}
