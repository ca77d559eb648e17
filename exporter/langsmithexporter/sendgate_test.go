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
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
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
		{name: "429 without Retry-After, no history yet: backs off the request only", status: 429, wait: gateUnavailableBase, gated: true},
		{name: "too many attempts go to exporterhelper", status: 429, retryAfter: "1", attempt: gateMaxAttempts},
		{name: "a Retry-After past gateMaxWait goes to exporterhelper", status: 429, retryAfter: "3600"},
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
	// sendFor sends at the given rate for d, one in five answered ok (a limit of a fifth).
	sendFor := func(rate float64, d time.Duration) {
		step := time.Duration(float64(time.Second) / rate)
		for i, end := 0, clk.now().Add(d); clk.now().Before(end); i++ {
			if i%5 == 0 {
				g.succeeded("k")
			} else {
				_, _ = g.throttled("k", 429, nil, 0)
			}
			clk.t = clk.t.Add(step)
		}
	}
	// Unpaced at 100 requests/s for two seconds: the first 429s with too little history only
	// back off, then the first cut halves the measured rate.
	sendFor(100, 2*time.Second)
	assert.InDelta(t, 50, g.pace("k").rate, 4, "the first cut halves the rate sent (and successes since climb a little)")
	_, _ = g.throttled("k", 429, nil, 0)
	assert.InDelta(t, 50, g.pace("k").rate, 4, "answers of the same overload cut once")
	// Another second at 50/s: the same successes per second, so the cut cost nothing and the
	// next 429 cuts again.
	for i := range 50 {
		clk.t = clk.t.Add(20 * time.Millisecond)
		if i%2 == 0 {
			g.succeeded("k")
		}
	}
	_, _ = g.throttled("k", 429, nil, 0)
	assert.InDelta(t, 25, g.pace("k").rate, 4, "a later 429 cuts again")

	// Paced: the next requests are 40 ms apart.
	start := clk.now()
	sendPaced(g, clk, "k", 11)
	assert.InDelta(t, (400 * time.Millisecond).Seconds(), clk.now().Sub(start).Seconds(), 0.05)

	// Successes climb back to the rate of the cut in about gateClimb.
	start = clk.now()
	for clk.now().Sub(start) < gateClimb {
		sendPaced(g, clk, "k", 1)
	}
	assert.InDelta(t, 50, g.pace("k").rate, 6)

	// A minute with no 429 ends the pacing.
	clk.t = clk.t.Add(gateUnpaceAfter)
	g.succeeded("k")
	assert.Zero(t, g.pace("k").rate)
}

func TestSendGateRateHasAFloor(t *testing.T) {
	g, clk := newTestGate()
	// Nothing gets through: every cut costs nothing, down to the floor.
	for range 100 {
		clk.t = clk.t.Add(200 * time.Millisecond)
		for range 20 {
			_, _ = g.throttled("k", 429, nil, 0)
		}
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
		paceA  float64 // key a starts paced at this rate
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
			name:   "a paced key does not hold another key back",
			answer: func(int, int) (int, string) { return 202, "" },
			paceA:  1,
			want:   []sent{{"a", 0, 0}, {"b", 2, 0}, {"b", 3, 0}, {"a", 1, time.Second}},
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
			if tt.paceA > 0 {
				g.pace("a").rate, g.pace("a").throttled = tt.paceA, start
			}
			var got []sent
			nth := map[int]int{}
			var handedBack []gateJob
			var held time.Duration
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
			}, func(d time.Duration) { held += d })
			assert.Empty(t, left)
			assert.Equal(t, tt.want, got)
			// Sending takes no time on the fake clock: every moment before the last send was
			// the gate holding requests back, and the gate says so.
			assert.Equal(t, got[len(got)-1].at, held)
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
	}, nil)
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

// simulate sends requests of one key back to back for d, each taking 10 ms (100/s unpaced),
// through the gate as the uploader does, answered by server; it returns the successful
// requests per second and the share of 429s over the last half of d.
func simulate(g *sendGate, clk *gateClock, d time.Duration, server func(now time.Time) bool) (good, share429 float64) {
	start := clk.now()
	var ok, n int
	for clk.now().Sub(start) < d {
		if r := g.ready("k"); r.After(clk.now()) {
			_ = clk.sleep(context.Background(), r.Sub(clk.now()))
			continue
		}
		if !g.acquire("k") {
			continue
		}
		clk.t = clk.t.Add(10 * time.Millisecond)
		accepted := server(clk.now())
		late := clk.now().Sub(start) >= d/2
		if late {
			n++
		}
		if accepted {
			g.succeeded("k")
			if late {
				ok++
			}
			continue
		}
		if wait, _ := g.throttled("k", http.StatusTooManyRequests, nil, 0); wait > 0 {
			// The throttled request waits; the sender is one of several, so it goes on.
			_ = wait
		}
	}
	return float64(ok) / (d / 2).Seconds(), float64(n-ok) / float64(max(n, 1))
}

func TestSendGateRandom429sDoNotThrottleDelivery(t *testing.T) {
	g, clk := newTestGate()
	i := 0
	good, _ := simulate(g, clk, 20*time.Second, func(time.Time) bool { i++; return i%2 == 0 })
	// Half of 100 requests/s succeed whatever the rate: pacing would only lose them.
	assert.InDelta(t, 50, good, 5)
	assert.Zero(t, g.pace("k").rate, "unpaced once a cut proved not to help")
}

func TestSendGateTracksARealLimit(t *testing.T) {
	g, clk := newTestGate()
	// A token bucket of 20 requests/s, burst 5: what the server allows.
	tokens, last := 5.0, clk.now()
	limit := func(now time.Time) bool {
		tokens = min(5, tokens+now.Sub(last).Seconds()*20)
		last = now
		if tokens >= 1 {
			tokens--
			return true
		}
		return false
	}
	good, share := simulate(g, clk, 40*time.Second, limit)
	assert.InDelta(t, 20, good, 3, "delivery tracks the limit")
	assert.Less(t, share, 0.3, "most requests are within the limit (unpaced, 80%% would be refused)")
	assert.InDelta(t, 20, g.pace("k").rate, 10)
}

// Exporter instances sending with one endpoint and key (tenants sharing a LangSmith key) pace
// it together: one gate for the process, one key in it per credential; the API key itself is
// not the gate's key.
func TestSendGateIsSharedPerCredential(t *testing.T) {
	set := exportertest.NewNopSettings(metadata.Type)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	uploaderFor := func(endpoint, tenantID, key string) *uploader {
		cfg := createDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint, cfg.TenantID, cfg.APIKey = endpoint, tenantID, configopaque.String(key)
		return newUploader(cfg, set, tb)
	}
	a := uploaderFor("https://api.smith.langchain.com", "", "lsv2_shared")
	b := uploaderFor("https://api.smith.langchain.com/", "", "lsv2_shared")
	assert.Same(t, a.gate, b.gate)
	assert.Equal(t, a.gateKey(), b.gateKey(), "same endpoint and key: one pace")
	assert.NotContains(t, a.gateKey(), "lsv2_shared")
	for _, other := range []*uploader{
		uploaderFor("https://api.smith.langchain.com", "", "lsv2_other"),
		uploaderFor("https://eu.api.smith.langchain.com", "", "lsv2_shared"),
		uploaderFor("https://api.smith.langchain.com", "ws-2", "lsv2_shared"),
	} {
		assert.NotEqual(t, a.gateKey(), other.gateKey())
	}

	// A cut made by one instance paces the other.
	g, clk := newTestGate()
	a.gate, b.gate = g, g
	for range gateCutMinAnswers {
		g.succeeded(a.gateKey())
		clk.t = clk.t.Add(100 * time.Millisecond)
	}
	_, ok := g.throttled(a.gateKey(), http.StatusTooManyRequests, http.Header{}, 0)
	require.True(t, ok)
	assert.True(t, g.ready(b.gateKey()).After(clk.t), "the other instance waits for the shared pace")
	assert.False(t, g.acquire(b.gateKey()))
}
