// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/tracebridge/tracebridge/internal/httpretry"
)

// The send gate paces uploads per credential: LangSmith's rate limits are per API key
// (https://docs.langchain.com/langsmith/administration-overview), so one throttled key must neither slow the
// others nor be hammered by every queue consumer at once.
//
// Why the gate and not only exporterhelper's retry: the retry sender waits
// max(exponential backoff, Retry-After) (go.opentelemetry.io/collector/exporter/exporterhelper/internal/retry_sender.go at v0.165.0),
// so under a storm of 429s with "Retry-After: 1" each consumer sits in a backoff growing from
// 5 s to 30 s while the server asked for one second, and the throughput falls to a trickle.
// Throttling is not failure: the gate re-sends a throttled request itself after the wait the
// server asked for, keeps the rest of the push moving meanwhile, and only hands a request to
// exporterhelper's retry (and its backoff) once it has been throttled gateMaxAttempts times in a
// row, or failed in a way that is not throttling (a network error).
const (
	// gateMaxAttempts bounds how often the gate re-sends one request before exporterhelper's
	// retry takes over: past it the server is more likely down than busy.
	gateMaxAttempts = 8
	// gateMaxWait is the longest Retry-After the gate sleeps out itself: a longer one goes to
	// exporterhelper's retry, whose wait ends at shutdown and counts against max_elapsed_time,
	// so a server asking for an hour cannot hold a queue consumer (or a stop) that long.
	gateMaxWait = 30 * time.Second
	// A 429 without Retry-After cuts the key's rate to gateCut of what it was sending, at most
	// once per gateCutHold: the many requests in flight when a limit is hit all come back 429
	// for the same overload.
	gateCut     = 0.5
	gateCutHold = time.Second
	// gateMinRate is the floor of a paced key, in requests per second.
	gateMinRate = 1.0
	// After a cut the rate climbs back to where it was cut in about gateClimb of successes.
	gateClimb = 10 * time.Second
	// A key with no 429 for gateUnpaceAfter is no longer paced at all.
	gateUnpaceAfter = time.Minute
	// A cut must not cost throughput: when, a window after it, the successful requests per
	// second fell below gateCutCost of what they were before it (under a real limit they stay
	// at the limit; with 429s that do not depend on how fast the key sends, such as a load
	// balancer answering at random, they fall with the rate), pacing would only throttle
	// delivery further. The key is then unpaced and not cut again for gateUnpaceAfter; its 429s
	// are re-sent with the short backoff of a 503. Against a real limit that costs refused
	// requests for a minute, not throughput.
	gateCutCost       = 0.75
	gateCutMinAnswers = 10
	// A 5xx (or 408, 425) without Retry-After is re-sent after gateUnavailableBase, doubling
	// per attempt up to gateUnavailableMax; it does not change the key's rate, because an
	// overloaded or restarting server is no evidence of a rate limit.
	gateUnavailableBase = 100 * time.Millisecond
	gateUnavailableMax  = 5 * time.Second
)

// processGate is the one gate of the process: every exporter instance (each tenant's too) paces
// its credential in it, so instances sharing an endpoint and key share one pace.
var processGate = newSendGate()

// sendGate holds the pacing state of every credential the uploaders have sent with, by the
// digest of endpoint, tenant id and key (uploader.gateKey).
type sendGate struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	keys map[string]*keyPace
}

// keyPace is one credential's pacing. rate 0 means unpaced: requests go as fast as the queue
// consumers send them, which is the state until LangSmith answers 429 without Retry-After.
type keyPace struct {
	rate      float64   // requests per second allowed while paced
	next      time.Time // earliest start of the next request while paced
	climb     float64   // requests per second regained per second of successes
	cutAt     time.Time // the last cut
	throttled time.Time // the last 429 without Retry-After
	noCutTill time.Time // cuts did not help: none before this

	// Answers in the current and the previous one-second window, and the successes per
	// second before the last cut.
	ansStart, prevStart time.Time
	ansN, ans429        int
	prevN, prev429      int
	goodBeforeCut       float64
	rateBeforeCut       float64 // 0: the key was unpaced
}

func newSendGate() *sendGate {
	return &sendGate{now: time.Now, sleep: sleepCtx, keys: map[string]*keyPace{}}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// answered counts one answer of the key's in the rolling one-second windows.
func (p *keyPace) answered(now time.Time, throttled bool) {
	if el := now.Sub(p.ansStart); el >= time.Second {
		if el >= 2*time.Second {
			// Nothing answered in the window before: no recent history to go by.
			p.prevN, p.prev429, p.prevStart = 0, 0, now
		} else {
			p.prevN, p.prev429, p.prevStart = p.ansN, p.ans429, p.ansStart
		}
		p.ansStart, p.ansN, p.ans429 = now, 0, 0
	}
	p.ansN++
	if throttled {
		p.ans429++
	}
}

// rates are the answers and the successful answers per second over the last one to two
// seconds; ok is false while that is too little to judge by.
func (p *keyPace) rates(now time.Time) (answers, good float64, ok bool) {
	n := p.ansN + p.prevN
	el := now.Sub(p.prevStart).Seconds()
	if n < gateCutMinAnswers || el < 1 {
		return 0, 0, false
	}
	return float64(n) / el, float64(n-p.ans429-p.prev429) / el, true
}

func (g *sendGate) pace(key string) *keyPace {
	p := g.keys[key]
	if p == nil {
		p = &keyPace{}
		g.keys[key] = p
	}
	return p
}

// rate is the key's paced rate in requests per second; 0 while it is not paced.
func (g *sendGate) rate(key string) float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.keys[key]; p != nil {
		return p.rate
	}
	return 0
}

// ready returns when a request of key may start.
func (g *sendGate) ready(key string) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pace(key)
	if p.rate == 0 {
		return time.Time{}
	}
	return p.next
}

// acquire takes the key's next slot if it is due and reports whether it did; a false answer
// means another consumer took the slot first and the caller must wait for ready again.
func (g *sendGate) acquire(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	p := g.pace(key)
	if p.rate > 0 {
		if now.Before(p.next) {
			return false
		}
		p.next = now.Add(time.Duration(float64(time.Second) / p.rate))
	}
	return true
}

// succeeded records an answer that was not throttling: a paced key climbs back.
func (g *sendGate) succeeded(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pace(key)
	p.answered(g.now(), false)
	if p.rate == 0 {
		return
	}
	if g.now().Sub(p.throttled) >= gateUnpaceAfter {
		p.rate = 0
		return
	}
	// About rate successes arrive per second, so each adds climb/rate: climb per second.
	p.rate += p.climb / p.rate
}

// throttled records a retryable answer of key and says after how long the gate re-sends the
// request; false hands it to exporterhelper's retry instead. attempt counts the gate's
// re-sends of this request so far.
func (g *sendGate) throttled(key string, status int, header http.Header, attempt int) (time.Duration, bool) {
	if attempt >= gateMaxAttempts {
		return 0, false
	}
	now := g.now()
	if delay, ok := httpretry.RetryAfter(header.Get("Retry-After"), now); ok {
		if delay > gateMaxWait {
			return 0, false
		}
		// The server said when: that is the wait, for this request. The key's rate stays:
		// Retry-After is the server's own pacing, and the other requests learn theirs.
		return delay, true
	}
	backoff := min(gateUnavailableBase<<attempt, gateUnavailableMax)
	if status != http.StatusTooManyRequests {
		return backoff, true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pace(key)
	p.throttled = now
	p.answered(now, true)
	if now.Before(p.noCutTill) {
		return backoff, true
	}
	answers, good, ok := p.rates(now)
	if !ok {
		// Too few answers yet to tell a limit from chance: back off this request only.
		return backoff, true
	}
	if now.Sub(p.cutAt) >= gateCutHold {
		if !p.cutAt.IsZero() && now.Sub(p.cutAt) < gateCutHold+2*time.Second && good < gateCutCost*p.goodBeforeCut {
			// The last cut cost throughput: undo it, and hold the rate for a while.
			p.rate, p.climb, p.noCutTill = p.rateBeforeCut, 0, now.Add(gateUnpaceAfter)
			return backoff, true
		}
		from := p.rate
		if from == 0 {
			from = answers
		}
		p.goodBeforeCut, p.rateBeforeCut = good, p.rate
		p.rate = max(gateMinRate, from*gateCut)
		p.climb = max((from-p.rate)/gateClimb.Seconds(), gateMinRate/gateClimb.Seconds())
		p.cutAt = now
		p.next = now.Add(time.Duration(float64(time.Second) / p.rate))
	}
	// The re-send goes through acquire like every request, so the pacing is its wait.
	return 0, true
}

// gateJob is one request's range of runs waiting for the gate.
type gateJob struct {
	lo, hi  int
	key     string
	at      time.Time // not before (a throttled request's wait)
	attempt int
}

// drive sends every job when the gate lets its key go, earliest first, and sends the jobs that
// send hands back (throttled requests) again after their wait. A job of one key never waits
// behind another key's pacing or behind a throttled request. When ctx ends (shutdown), the jobs
// not sent are returned, for exporterhelper to keep. held, if set, is told of each request the
// gate held back before sending it, and for how long.
func (g *sendGate) drive(ctx context.Context, jobs []gateJob, send func(gateJob) []gateJob, held func(time.Duration)) []gateJob {
	var slept time.Duration
	for len(jobs) > 0 {
		best, bestAt := 0, time.Time{}
		for i := range jobs {
			at := jobs[i].at
			if r := g.ready(jobs[i].key); r.After(at) {
				at = r
			}
			if i == 0 || at.Before(bestAt) {
				best, bestAt = i, at
			}
		}
		if wait := bestAt.Sub(g.now()); wait > 0 {
			if err := g.sleep(ctx, wait); err != nil {
				return jobs
			}
			slept += wait
			continue
		}
		if !g.acquire(jobs[best].key) {
			continue
		}
		if slept > 0 && held != nil {
			held(slept)
		}
		slept = 0
		job := jobs[best]
		jobs = append(jobs[:best], jobs[best+1:]...)
		jobs = append(jobs, send(job)...)
	}
	return nil
}
