// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// traceItems is the runs of one trace as the first pass filed them.
type traceItems struct {
	key   traceKey
	items []spilled
	// poison, when set, says a corrupt line named this trace: the trace is held back whole
	// rather than sent without that run.
	poison string
}

// size is the bytes the trace's runs take as read.
func (g *traceItems) size() int {
	n := 0
	for _, it := range g.items {
		n += len(it.raw)
	}
	return n
}

// runPlan is one run ready to become a span: times shifted and clamped, identity final.
type runPlan struct {
	in       *inputRun
	raw      []byte
	pos      position
	final    bool // carried its identity in from a failed file: no shift, no new ID
	oldID    string
	start    time.Time
	end      time.Time     // zero while the run is in progress
	shift    time.Duration // what was added to the file's times (0 for a final run)
	id       uuid.UUID
	parent   *runPlan
	children []*runPlan
	dotted   string
}

// tracePlan is one trace ready to send: its runs root first, every parent before its children.
type tracePlan struct {
	runs    []*runPlan
	traceID uuid.UUID
	size    int // bytes as read, for batching
	clamped int // children moved up to their parent's start
	dupes   int // repeated run IDs dropped (the first copy wins)
}

func (tp *tracePlan) root() *runPlan { return tp.runs[0] }

// planOptions are the per-invocation choices planning applies.
type planOptions struct {
	shift time.Duration
	// fit, when set, spreads traces over LangSmith's time window instead of shifting all by
	// shift: each trace gets its own shift, and keeps its own timing.
	fit   *timeFit
	ids   *IDMapper // nil: keep the IDs the file has
	names []string  // input names, for messages
}

// planTrace checks that a trace is one whole tree and computes every run's replayed identity.
// A trace that is not a tree (a parent missing, two roots, a cycle) is refused whole: LangSmith
// would reject its orphans, and a partial tree would hide the problem.
func planTrace(g *traceItems, opts planOptions) (*tracePlan, error) {
	tp := &tracePlan{runs: make([]*runPlan, 0, len(g.items)), size: g.size()}
	byID := make(map[string]*runPlan, len(g.items))
	for _, it := range g.items {
		p, err := readRunPlan(it)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", it.pos.describe(opts.names), err)
		}
		if _, dup := byID[p.oldID]; dup {
			tp.dupes++
			continue
		}
		byID[p.oldID] = p
		tp.runs = append(tp.runs, p)
	}
	tp.shift(opts)

	var roots []*runPlan
	for _, p := range tp.runs {
		parent := strings.TrimSpace(string(p.in.ParentRunID))
		if parent == "" || parent == p.oldID {
			roots = append(roots, p)
			continue
		}
		pp := byID[parent]
		if pp == nil {
			return nil, fmt.Errorf("%s: run %s names parent run %s, which is not in the input", p.pos.describe(opts.names), p.oldID, parent)
		}
		p.parent = pp
		pp.children = append(pp.children, p)
	}
	switch len(roots) {
	case 1:
	case 0:
		return nil, fmt.Errorf("trace of run %s has no root run (its parent links form a cycle)", tp.runs[0].oldID)
	default:
		return nil, fmt.Errorf("trace has %d root runs (%s, %s…): a trace has exactly one", len(roots), roots[0].oldID, roots[1].oldID)
	}

	order := make([]*runPlan, 0, len(tp.runs))
	order = append(order, roots[0])
	for i := 0; i < len(order); i++ {
		p := order[i]
		slices.SortFunc(p.children, func(a, b *runPlan) int {
			return cmp.Or(a.start.Compare(b.start), strings.Compare(a.oldID, b.oldID))
		})
		order = append(order, p.children...)
	}
	if len(order) != len(tp.runs) {
		return nil, fmt.Errorf("trace of root run %s: %d runs are not connected to the root (their parent links form a cycle)",
			roots[0].oldID, len(tp.runs)-len(order))
	}
	// Depth-first order (parents before children, siblings by start) for the spans, computed
	// from the breadth-first walk above that proved the tree connected.
	tp.runs = depthFirst(roots[0], order[:0])

	spanIDs := make(map[pcommon.SpanID]struct{}, len(tp.runs))
	for _, p := range tp.runs {
		if err := tp.resolve(p, opts); err != nil {
			return nil, fmt.Errorf("%s: %w", p.pos.describe(opts.names), err)
		}
		sid := spanIDOf(p.id)
		if _, dup := spanIDs[sid]; dup {
			return nil, fmt.Errorf("%s: run %s shares its last 8 ID bytes (the OTel span ID) with another run of the trace; replay with --new-ids",
				p.pos.describe(opts.names), p.id)
		}
		spanIDs[sid] = struct{}{}
	}
	tp.traceID = tp.root().id
	return tp, nil
}

func depthFirst(root *runPlan, dst []*runPlan) []*runPlan {
	stack := []*runPlan{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		dst = append(dst, p)
		for i := len(p.children) - 1; i >= 0; i-- {
			stack = append(stack, p.children[i])
		}
	}
	return dst
}

// readRunPlan parses a run and its times.
func readRunPlan(it spilled) (*runPlan, error) {
	in, err := parseRun(it.raw)
	if err != nil {
		return nil, err
	}
	p := &runPlan{
		in:    in,
		raw:   it.raw,
		pos:   it.pos,
		final: it.final || (in.Replay != nil && in.Replay.Final),
		oldID: strings.TrimSpace(string(in.ID)),
	}
	start, hasStart, err := parseTime(in.StartTime)
	if err != nil {
		return nil, fmt.Errorf("run %s: start_time: %w", p.oldID, err)
	}
	end, hasEnd, err := parseTime(in.EndTime)
	if err != nil {
		return nil, fmt.Errorf("run %s: end_time: %w", p.oldID, err)
	}
	if !hasStart {
		if !hasEnd {
			return nil, fmt.Errorf("run %s has neither start_time nor end_time", p.oldID)
		}
		start = end
	}
	p.start = start
	if hasEnd {
		p.end = end
	}
	return p, nil
}

// shift moves the times of the runs that are not final, all of a trace by the same amount, and
// truncates them to microseconds: LangSmith keeps microseconds, and a dotted_order segment and
// the ID's sub-millisecond bits must agree with start_time exactly.
func (tp *tracePlan) shift(opts planOptions) {
	d := opts.shift
	if opts.fit != nil {
		var first time.Time
		for _, p := range tp.runs {
			if !p.final && (first.IsZero() || p.start.Before(first)) {
				first = p.start
			}
		}
		d = opts.fit.shiftFor(first)
	}
	for _, p := range tp.runs {
		if !p.final {
			p.shift = d
			p.start = p.start.Add(d)
			if !p.end.IsZero() {
				p.end = p.end.Add(d)
			}
		}
		p.start = p.start.Truncate(time.Microsecond).UTC()
		if !p.end.IsZero() {
			p.end = p.end.Truncate(time.Microsecond).UTC()
		}
	}
}

// resolve clamps p under its (already resolved) parent and gives it its ID and dotted_order. A
// child that starts before its parent (clock skew between services) starts with it instead:
// LangSmith rejects a dotted_order segment earlier than its parent's, and the ID's timestamp
// must match the start LangSmith keeps.
func (tp *tracePlan) resolve(p *runPlan, opts planOptions) error {
	if p.parent != nil {
		var clamped bool
		if p.start, clamped = langsmith.ChildSegmentStart(p.start, p.parent.start); clamped {
			tp.clamped++
		}
	}
	if !p.end.IsZero() && p.end.Before(p.start) {
		p.end = p.start
	}
	if p.final || opts.ids == nil {
		id, err := uuid.Parse(p.oldID)
		if err != nil {
			return fmt.Errorf("run id %q is not a UUID (replay with --new-ids to give runs new ones)", p.oldID)
		}
		p.id = id
	} else {
		p.id = opts.ids.RunID(p.oldID, p.start)
	}
	if p.parent != nil {
		p.dotted = langsmith.ChildDottedOrder(p.parent.dotted, p.start, p.id)
	} else {
		p.dotted = langsmith.DottedSegment(p.start, p.id)
	}
	return nil
}
