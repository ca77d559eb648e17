// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// traceOf files JSON runs as one trace, in the given order.
func traceOf(runs ...string) *traceItems {
	g := &traceItems{}
	for i, r := range runs {
		g.items = append(g.items, spilled{raw: []byte(r), pos: position{n: i + 1}})
	}
	return g
}

const (
	rootID  = "11111111-1111-4111-8111-111111111111"
	childID = "22222222-2222-4222-8222-222222222222"
	grandID = "33333333-3333-4333-8333-333333333333"
	sibID   = "44444444-4444-4444-8444-444444444444"
)

func run(id, parent, start, end string) string {
	p := "null"
	if parent != "" {
		p = `"` + parent + `"`
	}
	return `{"id":"` + id + `","trace_id":"` + rootID + `","parent_run_id":` + p + `,"name":"r-` + id[:4] +
		`","run_type":"chain","start_time":` + start + `,"end_time":` + end + `}`
}

func TestPlanTraceOrdersClampsAndIdentifies(t *testing.T) {
	ids := NewIDMapper("plan")
	shift := 48 * time.Hour
	g := traceOf(
		// Children first, as exports list them; one child starts 2 ms before its parent.
		run(grandID, childID, `"2024-01-02T03:04:05.300000"`, `"2024-01-02T03:04:05.400Z"`),
		run(sibID, rootID, `1704164645500`, `1704164645600`),
		run(childID, rootID, `"2024-01-02T03:04:04.998+00:00"`, `"2024-01-02T03:04:05.450"`),
		run(rootID, "", `"2024-01-02T03:04:05.000000"`, `"2024-01-02T03:04:06"`),
	)
	tp, err := planTrace(g, planOptions{shift: shift, ids: ids})
	require.NoError(t, err)
	require.Len(t, tp.runs, 4)

	order := make([]string, len(tp.runs))
	for i, p := range tp.runs {
		order[i] = p.oldID
	}
	assert.Equal(t, []string{rootID, childID, grandID, sibID}, order, "root first, parents before children, siblings by start")
	assert.Equal(t, 1, tp.clamped)

	root, child, grand, sib := tp.runs[0], tp.runs[1], tp.runs[2], tp.runs[3]
	rootStart := time.Date(2024, 1, 4, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, rootStart, root.start, "shifted")
	assert.Equal(t, rootStart, child.start, "clamped to the parent's start")
	assert.Equal(t, rootStart.Add(300*time.Millisecond), grand.start)
	assert.Equal(t, rootStart.Add(500*time.Millisecond), sib.start)
	assert.Equal(t, rootStart.Add(450*time.Millisecond), child.end)

	assert.Equal(t, root.id, tp.traceID)
	for _, p := range tp.runs {
		assert.Equal(t, ids.RunID(p.oldID, p.start), p.id, "the id follows the replayed start")
	}
	assert.Same(t, root, child.parent)
	assert.Same(t, child, grand.parent)
	assert.Equal(t, langsmith.DottedSegment(root.start, root.id), root.dotted)
	assert.Equal(t, child.dotted+"."+langsmith.DottedSegment(grand.start, grand.id), grand.dotted)
	assert.True(t, strings.HasPrefix(sib.dotted, root.dotted+"."))
}

func TestPlanTraceKeepsFinalRuns(t *testing.T) {
	final := func(id, parent, start string) string {
		r := run(id, parent, start, start)
		return strings.TrimSuffix(r, "}") + `,"tracebridge_replay":{"final":true,"error":"x"}}`
	}
	g := traceOf(
		final(rootID, "", `"2025-06-02T09:00:00.000001Z"`),
		final(childID, rootID, `"2025-06-02T09:00:00.000002Z"`),
	)
	tp, err := planTrace(g, planOptions{shift: time.Hour, ids: NewIDMapper("any")})
	require.NoError(t, err)
	assert.Equal(t, uuid.MustParse(rootID), tp.runs[0].id, "a final run keeps its id")
	assert.Equal(t, time.Date(2025, 6, 2, 9, 0, 0, 1000, time.UTC), tp.runs[0].start, "and its time")
	assert.Equal(t, uuid.MustParse(childID), tp.runs[1].id)
}

func TestPlanTraceRefusesWhatIsNotATree(t *testing.T) {
	ts := `"2024-01-02T03:04:05"`
	tests := []struct {
		name  string
		runs  []string
		inErr string
	}{
		{"missing parent", []string{run(rootID, "", ts, ts), run(childID, grandID, ts, ts)}, "not in the input"},
		{"two roots", []string{run(rootID, "", ts, ts), run(childID, "", ts, ts)}, "2 root runs"},
		{"cycle", []string{run(childID, grandID, ts, ts), run(grandID, childID, ts, ts)}, "no root run"},
		{"cycle beside a root", []string{run(rootID, "", ts, ts), run(childID, grandID, ts, ts), run(grandID, childID, ts, ts)}, "not connected"},
		{"no time", []string{run(rootID, "", `null`, `null`)}, "neither start_time nor end_time"},
		{"bad time", []string{run(rootID, "", `"soon"`, ts)}, "start_time"},
		{"no id", []string{`{"name":"x","start_time":` + ts + `}`}, "no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planTrace(traceOf(tt.runs...), planOptions{ids: NewIDMapper("x")})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.inErr)
		})
	}
}

func TestPlanTraceWithoutNewIDs(t *testing.T) {
	ts := `"2024-01-02T03:04:05"`
	tp, err := planTrace(traceOf(run(rootID, "", ts, ts)), planOptions{})
	require.NoError(t, err)
	assert.Equal(t, uuid.MustParse(rootID), tp.runs[0].id)

	_, err = planTrace(traceOf(`{"id":"run-1","start_time":`+ts+`}`), planOptions{})
	require.ErrorContains(t, err, "not a UUID", "LangSmith needs UUIDs: without --new-ids the file must have them")
}

func TestPlanTraceDropsRepeatedRuns(t *testing.T) {
	ts := `"2024-01-02T03:04:05"`
	tp, err := planTrace(traceOf(run(rootID, "", ts, ts), run(childID, rootID, ts, ts), run(childID, rootID, ts, ts)), planOptions{ids: NewIDMapper("x")})
	require.NoError(t, err)
	assert.Len(t, tp.runs, 2)
	assert.Equal(t, 1, tp.dupes)
}
