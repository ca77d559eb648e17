// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// randomTrace is a random tree of 1–50 spans. Parents come before children in the slice; start
// times drift from the parent's, sometimes earlier (clock skew). A raw-records trace has only
// parentless Langfuse-style spans.
func randomTrace(rng *rand.Rand, trace byte, raw bool) []sp {
	n := 1 + rng.IntN(50)
	out := make([]sp, n)
	for i := range out {
		s := sp{trace: trace, id: byte(i + 1), start: rng.IntN(1000)}
		switch {
		case raw:
			s.attrs = map[string]any{conventions.LangfuseTraceName: fmt.Sprintf("trace-%d", trace)}
		case i > 0:
			p := out[rng.IntN(i)]
			s.parent = p.id
			s.start = p.start + rng.IntN(20) - 3
		}
		s.end = s.start + 1 + rng.IntN(100)
		out[i] = s
	}
	return out
}

func TestAssemblerPropertyRandomTrees(t *testing.T) {
	for seed := range uint64(400) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x7a11))
			cfg := testAssemblyConfig()
			cfg.OrphanWait = time.Hour // no orphan before the end of the feed
			sink := new(consumertest.TracesSink)
			a, clk := newTestAssembler(t, cfg, sink, nil)

			lossy := rng.IntN(3) == 0
			present := make(map[spanKey]sp)
			raw := make(map[pcommon.TraceID]bool)
			var feed []sp
			for tr := range byte(1 + rng.IntN(3)) {
				isRaw := rng.IntN(5) == 0
				for i, s := range randomTrace(rng, tr+1, isRaw) {
					if lossy && i > 0 && !isRaw && rng.IntN(10) == 0 {
						continue // lost upstream
					}
					present[spanKey{tid(s.trace), sid(s.id)}] = s
					feed = append(feed, s)
					if rng.IntN(10) == 0 {
						feed = append(feed, s) // an identical retry
					}
				}
				raw[tid(tr+1)] = isRaw
			}
			rng.Shuffle(len(feed), func(i, j int) { feed[i], feed[j] = feed[j], feed[i] })
			for len(feed) > 0 {
				k := min(len(feed), 1+rng.IntN(20))
				require.NoError(t, a.ConsumeTraces(context.Background(), spans(feed[:k]...)))
				feed = feed[k:]
				a.flushDue(clk.advance(time.Millisecond))
			}
			if lossy {
				a.flushDue(clk.advance(cfg.OrphanWait))
			}
			assert.Zero(t, a.parkedSpans, "nothing left parked")

			rels := released(t, sink.AllTraces())
			posts := checkTree(t, rels)
			for _, r := range rels {
				// Only a synthesized root is patched: later records extended it.
				if r.patch && r.spanID != conventions.TraceLevelSpanID(r.traceID) {
					t.Errorf("identical retries are never patches: %v", r.spanID)
				}
			}
			synth := 0
			for tr, isRaw := range raw {
				if isRaw {
					synth++
					assert.Contains(t, posts, spanKey{tr, conventions.TraceLevelSpanID(tr)})
				}
			}
			if !assert.Len(t, posts, len(present)+synth, "every span posted exactly once") {
				return
			}
			parents := parentOf(posts)
			for k, s := range present {
				got := parents[k]
				switch {
				case raw[k.trace]:
					assert.Equal(t, conventions.TraceLevelSpanID(k.trace), got)
				case s.parent == 0:
					assert.True(t, got.IsEmpty())
				case present[spanKey{k.trace, sid(s.parent)}].id != 0:
					assert.Equal(t, sid(s.parent), got, "parent of %v", k.span)
					assert.Empty(t, posts[k].orphanOf)
				default: // parent lost: under the trace root, marked
					assert.Equal(t, sid(1), got)
					assert.Equal(t, sid(s.parent).String(), posts[k].orphanOf)
				}
			}
		})
	}
}
