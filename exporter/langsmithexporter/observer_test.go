// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// recordingObserver keeps everything the uploader reports.
type recordingObserver struct {
	mu       sync.Mutex
	statuses []int
	errs     []error
	settled  []Settlement
}

func (o *recordingObserver) Answered(status int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuses = append(o.statuses, status)
	if err != nil {
		o.errs = append(o.errs, err)
	}
}

func (o *recordingObserver) Settled(s Settlement) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s.Runs = slices.Clone(s.Runs) // only valid during the call
	o.settled = append(o.settled, s)
}

// runs returns how many runs reached each outcome, and the settlements.
func (o *recordingObserver) runs() (map[Outcome]int, []Settlement) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := map[Outcome]int{}
	for _, s := range o.settled {
		n[s.Outcome] += len(s.Runs)
	}
	return n, slices.Clone(o.settled)
}

func TestObserverSeesEveryRunsOutcome(t *testing.T) {
	tests := []struct {
		name       string
		deadLetter bool
		faults     []smithemu.Fault
		want       Outcome
		status     int
	}{
		{name: "delivered", want: Delivered, status: http.StatusAccepted},
		{name: "after a transport error, delivered", want: Delivered, status: http.StatusAccepted,
			faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Reset: true}}},
		{name: "refused without a dead-letter directory", want: Refused, status: http.StatusForbidden,
			faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Status: http.StatusForbidden, Body: `{"error":"Forbidden: scripted"}`}}},
		{name: "dead-lettered", deadLetter: true, want: DeadLettered, status: http.StatusForbidden,
			faults: []smithemu.Fault{{Route: smithemu.RouteMultipart, Status: http.StatusForbidden, Body: `{"error":"Forbidden: scripted"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &recordingObserver{}
			dir := t.TempDir()
			h := newHarness(t, smithemu.DefaultConfig(), func(c *Config) {
				c.observer = obs
				if tt.deadLetter {
					c.DeadLetterDirectory = dir
				}
			})
			h.emu.InjectFaults(tt.faults...)
			require.NoError(t, h.exporter.ConsumeTraces(context.Background(), testTrace(1, 3)))
			require.Eventually(t, func() bool { n, _ := obs.runs(); return n[tt.want] == 3 }, 10*time.Second, 10*time.Millisecond)
			n, settled := obs.runs()
			assert.Equal(t, map[Outcome]int{tt.want: 3}, n, "every run settled once")
			for _, s := range settled {
				assert.Equal(t, tt.status, s.Status)
				for _, id := range s.Runs {
					assert.NotEqual(t, uuid.Nil, id)
				}
				if tt.want == Refused || tt.want == DeadLettered {
					assert.Contains(t, s.Reason, "HTTP 403")
					assert.Contains(t, s.Reason, "Forbidden: scripted")
				} else {
					assert.Empty(t, s.Reason)
				}
			}
			obs.mu.Lock()
			defer obs.mu.Unlock()
			assert.Contains(t, obs.statuses, tt.status, "the answer was reported")
			if tt.name == "after a transport error, delivered" {
				assert.NotEmpty(t, obs.errs, "the reset was reported")
			}
		})
	}
}

func TestObserverSeesAConflictAsAlreadyThere(t *testing.T) {
	obs := &recordingObserver{}
	h := newHarness(t, smithemu.DefaultConfig(), func(c *Config) { c.observer = obs })
	// A span stamped as the assembler releases it, sent straight to the queue twice: the
	// second post of the run is a 409 for a run alone.
	td := testTrace(2, 1)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	id := uuid.New()
	span.Attributes().PutStr(conventions.LangSmithDottedOrder, langsmith.DottedSegment(span.StartTimestamp().AsTime(), id))
	for _, want := range []Outcome{Delivered, Conflicted} {
		require.NoError(t, h.exporter.uploads.ConsumeTraces(context.Background(), cloneTraces(td)))
		require.Eventually(t, func() bool { n, _ := obs.runs(); return n[want] == 1 }, 10*time.Second, 10*time.Millisecond)
	}
	_, settled := obs.runs()
	require.Len(t, settled, 2)
	for _, s := range settled {
		assert.Equal(t, []uuid.UUID{id}, s.Runs)
	}
	assert.Equal(t, http.StatusConflict, settled[1].Status)
}
