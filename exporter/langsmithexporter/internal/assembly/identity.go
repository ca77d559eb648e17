// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"encoding/hex"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

func micros(t pcommon.Timestamp) int64 { return int64(t / 1000) }

// resolveRoot gives n the identity of a root run: its own trace, one dotted segment.
func resolveRoot(ts *traceState, n *node) {
	n.segUs = n.startUs
	n.rootRun = true
	n.dotted = langsmith.DottedSegment(time.UnixMicro(n.segUs), n.runID)
	if ts.root == nil && !n.orphaned {
		ts.root = n
	}
}

// resolveChild gives n its identity under the resolved node p. A child that starts before its
// parent (clock skew between services) is clamped to the parent's start: LangSmith rejects a
// dotted_order whose segment is earlier than its parent's. A derived UUIDv7 is then derived again
// from the clamped start, because LangSmith finds a run by the millisecond field of its id and
// that must equal the run's start_time; it stays deterministic (the parent's segment is itself a
// function of the trace's spans), so a re-sent child gets the same id.
func (a *Assembler) resolveChild(ts *traceState, n, p *node) {
	seg, clamped := langsmith.ChildSegmentStart(time.UnixMicro(n.startUs), time.UnixMicro(p.segUs))
	if clamped {
		a.stats.clamped++
		if ce := a.logger.Check(zap.DebugLevel, "Child span starts before its parent; clamping its dotted_order segment"); ce != nil {
			ce.Write(zap.Stringer("trace_id", ts.id), zap.Stringer("span_id", n.spanID),
				zap.Duration("skew", time.Duration(p.segUs-n.startUs)*time.Microsecond))
		}
		if !n.ownID && a.idMode != langsmith.IDModeSpanID {
			n.runID = langsmith.RunID(a.idMode, ts.id, n.spanID, seg)
		}
	}
	n.segUs = seg.UnixMicro()
	n.rootRun = false
	n.dotted = langsmith.ChildDottedOrder(p.dotted, seg, n.runID)
}

// adoptIdentity takes the identity a span already carries in langsmith.span.dotted_order and
// langsmith.trace.id (as the replay tool and LangSmith's SDKs in OTel mode send them): it is
// resolved without its ancestors. It reports false, and changes nothing, when the dotted order
// is one the translator (and LangSmith) would refuse or disagrees with the span's other langsmith
// ids; the span is then resolved from its OTel parent like any other. A dotted order alone is not
// enough: from an unknown source it could hang the span outside the tree its OTel parent names.
func adoptIdentity(n *node, si spanInfo) bool {
	d, err := langsmith.ParseDottedOrder(si.dotted)
	if err != nil || d.TraceID != si.traceRun || (si.hasRunID && si.runID != d.RunID) {
		return false
	}
	n.runID, n.rootRun, n.dotted = d.RunID, d.ParentRunID == uuid.Nil, si.dotted
	n.segUs = d.Start.UnixMicro()
	return true
}

// stamp writes n's run identity onto its released copy: with it the uploader translates the span
// on its own. langsmith.span.dotted_order alone carries the whole identity (the trace's run is
// its first segment, the parent's its second to last, the run's its last, with the run's start),
// so only it is added: one attribute per span instead of four. A span that came with its own
// langsmith.span.id, langsmith.trace.id or langsmith.span.parent_id has them overwritten from the
// dotted order (substrings of it, no UUID formatting), so they cannot contradict it.
//
// ids are the identity attributes dst may carry (see idAttrs); the others are not looked up.
func stamp(dst ptrace.Span, n *node, patch bool, ids idAttrs) {
	const idLen = 36
	d := n.dotted
	attrs := dst.Attributes()
	// Room for exactly what is added: a decoded span's attributes have no spare capacity, and
	// growing by append would double them.
	added := 1
	if n.orphaned {
		added++
	}
	if patch {
		added++
	}
	attrs.EnsureCapacity(attrs.Len() + added)
	// Each lookup scans every attribute: only those the span may carry are looked up.
	if ids&spanIDAttr != 0 {
		if v, ok := attrs.Get(conventions.LangSmithSpanID); ok {
			v.SetStr(d[len(d)-idLen:])
		}
	}
	if ids&traceIDAttr != 0 {
		if v, ok := attrs.Get(conventions.LangSmithTraceID); ok {
			v.SetStr(d[langsmith.DottedSegmentLen-idLen : langsmith.DottedSegmentLen])
		}
	}
	if ids&parentIDAttr != 0 {
		if v, ok := attrs.Get(conventions.LangSmithParentID); ok {
			if n.rootRun {
				attrs.Remove(conventions.LangSmithParentID)
			} else {
				end := len(d) - langsmith.DottedSegmentLen - 1 // the parent's segment ends before the last dot
				v.SetStr(d[end-idLen : end])
			}
		}
	}
	attrs.PutStr(conventions.LangSmithDottedOrder, d)
	if n.orphaned {
		attrs.PutStr(conventions.Orphan, hex.EncodeToString(n.parentID[:]))
	}
	if patch {
		attrs.PutBool(conventions.Patch, true)
	}
}
