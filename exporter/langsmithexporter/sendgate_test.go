// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// gateClock is the gate's fake clock: sleeping advances it at once.
type gateClock struct{ t time.Time }

func (c *gateClock) now() time.Time { return c.t }

func (c *gateClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t = c.t.Add(d)
	return nil
}

func newTestGate() (*sendGate, *gateClock) {
	clk := &gateClock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	g := newSendGate()
	g.now, g.sleep = clk.now, clk.sleep
	return g, clk
}

func retryAfterHeader(v string) http.Header {
	h := http.Header{}
	if v != "" {
		h.Set("Retry-After", v)
	}
	return h
}

func TestSendGateThrottleWait(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		attempt    int
		wait       time.Duration
		gated      bool
		paced      bool
	}{
		{name: "Retry-After is the wait, not a floor", status: 429, retryAfter: "1", wait: time.Second, gated: true},
		{name: "Retry-After on a 503 too", status: 503, retryAfter: "3", attempt: 5, wait: 3 * time.Second, gated: true},
		{name: "503 without Retry-After: short first wait", status: 503, wait: gateUnavailableBase, gated: true},
		{name: "503 waits double per attempt", status: 503, attempt: 3, wait: 8 * gateUnavailableBase, gated: true},
		{name: "503 waits are capped", status: 503, attempt: 7, wait: gateUnavailableMax, gated: true},
		{name: "429 without Retry-After paces the key", status: 429, wait: 0, gated: true, paced: true},
		{name: "too many attempts go to exporterhelper", status: 429, retryAfter: "1", attempt: gateMaxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := newTestGate()
			wait, gated := g.throttled("k", tt.status, retryAfterHeader(tt.retryAfter), tt.attempt)
			assert.Equal(t, tt.gated, gated)
			assert.Equal(t, tt.wait, wait)
			assert.Equal(t, tt.paced, g.pace("k").rate > 0, "paced")
		})
	}
}

// send runs n requests of key through the gate, as fast as it lets them, each answered ok.
func sendPaced(g *sendGate, clk *gateClock, key string, n int) {
	for range n {
		for !g.acquire(key) {
			_ = clk.sleep(context.Background(), g.ready(key).Sub(clk.now()))
		}
		g.succeeded(key)
	}
}

func TestSendGateCutsOnThrottleAndClimbsBack(t *testing.T) {
	g, clk := newTestGate()
	// 100 requests/s, unpaced, for two seconds.
	for range 200 {
		require.True(t, g.acquire("k"))
		g.succeeded("k")
		clk.t = clk.t.Add(10 * time.Millisecond)
	}
	_, _ = g.throttled("k", 429, nil, 0)
	assert.InDelta(t, 50, g.pace("k").rate, 1, "the first cut halves the measured rate")
	_, _ = g.throttled("k", 429, nil, 0)
	assert.InDelta(t, 50, g.pace("k").rate, 1, "answers of the same overload cut once")
	clk.t = clk.t.Add(gateCutHold)
	_, _ = g.throttled("k", 429, nil, 0)
	assert.InDelta(t, 25, g.pace("k").rate, 1, "a later 429 cuts again")

	// Paced: the next requests are 40 ms apart.
	start := clk.now()
	sendPaced(g, clk, "k", 11)
	assert.InDelta(t, (400 * time.Millisecond).Seconds(), clk.now().Sub(start).Seconds(), 0.05)

	// Successes climb back to the rate of the cut in about gateClimb.
	start = clk.now()
	for clk.now().Sub(start) < gateClimb {
		sendPaced(g, clk, "k", 1)
	}
	assert.InDelta(t, 50, g.pace("k").rate, 5)

	// A minute with no 429 ends the pacing.
	clk.t = clk.t.Add(gateUnpaceAfter)
	g.succeeded("k")
	assert.Zero(t, g.pace("k").rate)
}

func TestSendGateRateHasAFloor(t *testing.T) {
	g, clk := newTestGate()
	for range 5 {
		_, _ = g.throttled("k", 429, nil, 0)
		clk.t = clk.t.Add(gateCutHold)
	}
	assert.InDelta(t, gateMinRate, g.pace("k").rate, 0.001)
}

type sent struct {
	key string
	lo  int
	at  time.Duration
}

func TestSendGateDrive(t *testing.T) {
	jobs := func() []gateJob {
		return []gateJob{{lo: 0, key: "a"}, {lo: 1, key: "a"}, {lo: 2, key: "b"}, {lo: 3, key: "b"}}
	}
	tests := []struct {
		name string
		// answer is the status and Retry-After for the nth send of job lo (0 = 202).
		answer func(lo, nth int) (int, string)
		want   []sent
	}{
		{
			name:   "no throttling: in order, at once",
			answer: func(int, int) (int, string) { return 202, "" },
			want:   []sent{{"a", 0, 0}, {"a", 1, 0}, {"b", 2, 0}, {"b", 3, 0}},
		},
		{
			name: "a throttled request waits its Retry-After while the others go",
			answer: func(lo, nth int) (int, string) {
				if lo == 0 && nth == 0 {
					return 429, "1"
				}
				return 202, ""
			},
			want: []sent{{"a", 0, 0}, {"a", 1, 0}, {"b", 2, 0}, {"b", 3, 0}, {"a", 0, time.Second}},
		},
		{
			name: "a paced key does not hold another key back",
			answer: func(lo, nth int) (int, string) {
				if lo == 0 && nth == 0 {
					return 429, ""
				}
				return 202, ""
			},
			// key a sent one request in its first second: paced at the floor, 1/s.
			want: []sent{{"a", 0, 0}, {"b", 2, 0}, {"b", 3, 0}, {"a", 1, time.Second}, {"a", 0, 2 * time.Second}},
		},
		{
			name: "a request throttled gateMaxAttempts times is handed back",
			answer: func(lo, _ int) (int, string) {
				if lo == 3 {
					return 503, "0"
				}
				return 202, ""
			},
			want: func() []sent {
				s := []sent{{"a", 0, 0}, {"a", 1, 0}, {"b", 2, 0}}
				for range gateMaxAttempts + 1 {
					s = append(s, sent{"b", 3, 0})
				}
				return s
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, clk := newTestGate()
			start := clk.now()
			var got []sent
			nth := map[int]int{}
			var handedBack []gateJob
			left := g.drive(context.Background(), jobs(), func(j gateJob) []gateJob {
				got = append(got, sent{j.key, j.lo, clk.now().Sub(start)})
				status, ra := tt.answer(j.lo, nth[j.lo])
				nth[j.lo]++
				if status == 202 {
					g.succeeded(j.key)
					return nil
				}
				wait, ok := g.throttled(j.key, status, retryAfterHeader(ra), j.attempt)
				if !ok {
					handedBack = append(handedBack, j)
					return nil
				}
				return []gateJob{{lo: j.lo, hi: j.hi, key: j.key, at: clk.now().Add(wait), attempt: j.attempt + 1}}
			})
			assert.Empty(t, left)
			assert.Equal(t, tt.want, got)
			if tt.name == "a request throttled gateMaxAttempts times is handed back" {
				assert.Len(t, handedBack, 1)
			}
		})
	}
}

func TestSendGateDriveReturnsWhatIsLeftWhenCancelled(t *testing.T) {
	g, _ := newTestGate()
	ctx, cancel := context.WithCancel(context.Background())
	jobs := []gateJob{{lo: 0, key: "a"}, {lo: 1, key: "a"}}
	left := g.drive(ctx, jobs, func(j gateJob) []gateJob {
		cancel()
		return []gateJob{{lo: j.lo, key: j.key, at: g.now().Add(time.Second), attempt: 1}}
	})
	require.Len(t, left, 2, "the throttled job waits for a second the shutdown does not give it")
}

// TestExporterRidesOutThrottlingInTheGate proves the gate, not exporterhelper, re-sends
// throttled requests: exporterhelper's backoff is an hour here, so a hand-off would stall.
func TestExporterRidesOutThrottlingInTheGate(t *testing.T) {
	h := newHarness(t, smithemu.DefaultConfig(), func(c *Config) {
		c.RetryConfig.InitialInterval = time.Hour
		c.RetryConfig.MaxInterval = time.Hour
	})
	h.emu.InjectFaults(
		smithemu.Fault{Route: smithemu.RouteMultipart, Count: 2, Status: http.StatusServiceUnavailable},
		smithemu.Fault{Route: smithemu.RouteMultipart, Status: http.StatusTooManyRequests, RetryAfter: 1},
		smithemu.Fault{Route: smithemu.RouteMultipart, Status: http.StatusTooManyRequests},
	)
	td := ptrace.NewTraces()
	for traceNo := range byte(3) {
		testTrace(traceNo+1, 4).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	require.NoError(t, h.exporter.ConsumeTraces(context.Background(), td))
	h.requireExactlyOnce(t, 12)
	assert.Empty(t, h.emu.PendingFaults())
}
