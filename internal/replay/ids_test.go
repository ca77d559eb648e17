// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunIDStableAndSeeded(t *testing.T) {
	start := time.Date(2025, 6, 2, 9, 0, 0, 123456000, time.UTC)
	a, b := NewIDMapper("seed-a"), NewIDMapper("seed-a")
	old := "0194c1f2-0000-7000-8000-000000000001"
	assert.Equal(t, a.RunID(old, start), b.RunID(old, start), "the same seed and old id give the same new id")
	assert.NotEqual(t, a.RunID(old, start), NewIDMapper("seed-b").RunID(old, start), "another seed gives another id")
	assert.NotEqual(t, a.RunID(old, start), a.RunID("another-old-id", start))
	r1, r2 := NewIDMapper(""), NewIDMapper("")
	assert.NotEqual(t, r1.Seed(), r2.Seed(), "an empty seed draws a random one")
	assert.Equal(t, "seed-a", a.Seed())
}

func TestRunIDIsUUIDv7OfTheStart(t *testing.T) {
	m := NewIDMapper("x")
	start := time.Date(2025, 6, 2, 9, 0, 0, 123456789, time.UTC)
	id := m.RunID("run-1", start)
	assert.Equal(t, uuid.Version(7), id.Version())
	assert.Equal(t, uuid.RFC4122, id.Variant())
	var ms [8]byte
	copy(ms[2:], id[:6])
	assert.Equal(t, start.UnixMilli(), int64(binary.BigEndian.Uint64(ms[:])), //nolint:gosec // test value
		"the millisecond field is the start, which LangSmith's by-id lookups key on")
	tail := m.tail("run-1")
	assert.Equal(t, tail[:], id[8:], "the tail does not depend on the start")
}

func TestRunIDsKeepTimeOrder(t *testing.T) {
	m := NewIDMapper("order")
	base := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	// Steps of one microsecond up to several seconds, each run with an unrelated old id.
	type run struct {
		start time.Time
		id    uuid.UUID
	}
	var runs []run
	at := base
	for i := range 400 {
		step := time.Duration(1+i%7) * time.Microsecond
		if i%50 == 0 {
			step = time.Duration(i) * time.Millisecond
		}
		at = at.Add(step)
		runs = append(runs, run{at, m.RunID(fmt.Sprintf("old-%d", (i*7919)%1000), at)})
	}
	sorted := append([]run(nil), runs...)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i].id[:], sorted[j].id[:]) < 0 })
	for i := range runs {
		require.Equal(t, runs[i].start, sorted[i].start, "ids sorted as bytes are in start order, to the microsecond")
	}
}

func TestRecordIDs(t *testing.T) {
	m := NewIDMapper("rec")
	tr := m.RecordTraceID("1c563dcf980b449abb0dcbeaf1784e81")
	assert.Equal(t, tr, m.RecordTraceID("1c563dcf980b449abb0dcbeaf1784e81"))
	assert.False(t, tr.IsEmpty())
	s1 := m.RecordSpanID("t1", "00f067aa0ba902b7")
	assert.Equal(t, s1, m.RecordSpanID("t1", "00f067aa0ba902b7"))
	assert.NotEqual(t, s1, m.RecordSpanID("t2", "00f067aa0ba902b7"), "a span id is mapped within its trace")
}

func TestSpanIDOf(t *testing.T) {
	id := uuid.MustParse("00000000-0000-0000-0123-456789abcdef")
	sid := spanIDOf(id)
	assert.Equal(t, "0123456789abcdef", sid.String(), "LangSmith's own span-id rule reads back")
	assert.False(t, spanIDOf(uuid.Nil).IsEmpty(), "never the invalid all-zero span id")
}
