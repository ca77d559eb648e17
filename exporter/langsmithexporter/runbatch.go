// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// runBatch holds the runs of one push and where each came from, so that the spans of a failed
// request can be handed back for retry. Batches are pooled: the runs' JSON lives in the arena.
type runBatch struct {
	runs  []langsmith.Run
	spans []spanRef
	arena langsmith.Arena
}

// reset forgets the push: the arena's blocks and the slices' room are kept for the next one.
func (b *runBatch) reset() {
	clear(b.runs)
	clear(b.spans)
	b.runs, b.spans = b.runs[:0], b.spans[:0]
	b.arena.Reset()
}

// reorderRuns puts runs[order[j]] (and its span) at j, for a request to be split or partly
// re-sent along an order the caller chose.
func reorderRuns(runs []langsmith.Run, spans []spanRef, order []int) {
	sortedRuns := make([]langsmith.Run, len(runs))
	sortedSpans := make([]spanRef, len(spans))
	for j, i := range order {
		sortedRuns[j], sortedSpans[j] = runs[i], spans[i]
	}
	copy(runs, sortedRuns)
	copy(spans, sortedSpans)
}

// filter keeps the runs (and their spans) for which keep is true, in order, and returns how
// many it removed. keep sees each run once, so it may also act on the ones it drops.
func (b *runBatch) filter(keep func(r *langsmith.Run) bool) int {
	kept := 0
	for i := range b.runs {
		if keep(&b.runs[i]) {
			b.runs[kept], b.spans[kept] = b.runs[i], b.spans[i]
			kept++
		}
	}
	removed := len(b.runs) - kept
	clear(b.runs[kept:])
	clear(b.spans[kept:])
	b.runs, b.spans = b.runs[:kept], b.spans[:kept]
	return removed
}

type spanRef struct {
	rs   ptrace.ResourceSpans
	ss   ptrace.ScopeSpans
	span ptrace.Span
}

// translate maps every span to its run. A span that cannot become a run (a user-set identity
// attribute is malformed) goes to the dead letters with the reason.
func (u *uploader) translate(ctx context.Context, td ptrace.Traces, b *runBatch) {
	b.runs = slices.Grow(b.runs, td.SpanCount())
	b.spans = slices.Grow(b.spans, td.SpanCount())
	var bad []spanRef
	var badErr error
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				run, err := b.arena.SpanToRun(rs.Resource(), ss.Scope(), span, u.options)
				if err != nil {
					bad = append(bad, spanRef{rs: rs, ss: ss, span: span})
					badErr = errors.Join(badErr, err)
					continue
				}
				b.runs = append(b.runs, run)
				b.spans = append(b.spans, spanRef{rs: rs, ss: ss, span: span})
			}
		}
	}
	if len(bad) > 0 {
		u.refuseSpans(ctx, bad, badErr)
	}
}

// refuseSpans dead-letters spans that cannot become runs.
func (u *uploader) refuseSpans(ctx context.Context, bad []spanRef, cause error) {
	u.telemetry.ExporterLangsmithRunsDeadLettered.Add(ctx, int64(len(bad)), reasonAttr(reasonUnencodable))
	reason := fmt.Sprintf("%d spans cannot become LangSmith runs: %v", len(bad), cause)
	if u.deadLetter == nil {
		u.logger.Error("spans dropped (set dead_letter_directory to keep them)", zap.String("reason", reason))
		return
	}
	all := &runBatch{spans: bad}
	path, err := u.deadLetter.writeSpans(reason, all.spansOf([][2]int{{0, len(bad)}}), u.now())
	if err != nil {
		u.logger.Error("spans cannot become runs and could not be dead-lettered", zap.String("reason", reason), zap.Error(err))
		return
	}
	u.logger.Warn("spans cannot become runs; written to the dead-letter directory", zap.String("reason", reason), zap.String("file", path))
}

// spansOf copies the spans of the given run ranges into new traces, grouped as they came.
func (b *runBatch) spansOf(ranges [][2]int) ptrace.Traces {
	td := ptrace.NewTraces()
	var lastRS ptrace.ResourceSpans
	var lastSS ptrace.ScopeSpans
	var haveRS, haveSS bool
	var srcRS ptrace.ResourceSpans
	var srcSS ptrace.ScopeSpans
	for _, r := range ranges {
		for i := r[0]; i < r[1]; i++ {
			ref := b.spans[i]
			if !haveRS || ref.rs != srcRS {
				lastRS = td.ResourceSpans().AppendEmpty()
				ref.rs.Resource().CopyTo(lastRS.Resource())
				lastRS.SetSchemaUrl(ref.rs.SchemaUrl())
				srcRS, haveRS, haveSS = ref.rs, true, false
			}
			if !haveSS || ref.ss != srcSS {
				lastSS = lastRS.ScopeSpans().AppendEmpty()
				ref.ss.Scope().CopyTo(lastSS.Scope())
				lastSS.SetSchemaUrl(ref.ss.SchemaUrl())
				srcSS, haveSS = ref.ss, true
			}
			ref.span.CopyTo(lastSS.Spans().AppendEmpty())
		}
	}
	return td
}
