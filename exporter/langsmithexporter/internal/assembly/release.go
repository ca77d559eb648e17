// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// releaseCopy puts a stamped copy of src, a body the assembler keeps, into the pass's release
// batch.
func releaseCopy(c *call, o *origin, src ptrace.Span, n *node, patch bool) {
	dst := c.slice(o).AppendEmpty()
	src.CopyTo(dst)
	markReleased(c, dst, n, patch, allIDAttrs)
}

// releaseInput moves src, a span of the input scope in, into the pass's release batch and stamps
// it. While the pass may hand its input on whole (see handOn), src is stamped where it is instead
// and moved later, if at all. ids are the identity attributes its scan saw.
func releaseInput(c *call, in *inputScope, src ptrace.Span, n *node, patch bool, ids idAttrs) ptrace.Span {
	if c.direct {
		out := int32(-1)
		if !patch {
			out = int32(len(c.outs))
		}
		c.inPlace = append(c.inPlace, inPlaceSpan{span: src, in: in, out: out})
		return markReleased(c, src, n, patch, ids)
	}
	dst := c.slice(in.origin()).AppendEmpty()
	src.MoveTo(dst)
	return markReleased(c, dst, n, patch, ids)
}

func markReleased(c *call, dst ptrace.Span, n *node, patch bool, ids idAttrs) ptrace.Span {
	stamp(dst, n, patch, ids)
	if !patch {
		c.addReleased(n, dst)
	}
	return dst
}

func (c *call) addReleased(n *node, out ptrace.Span) {
	n.outIdx = int32(len(c.released))
	c.released = append(c.released, n)
	c.outs = append(c.outs, out)
}

// releaseMove moves a kept body into the release batch; the node keeps only its identity.
func releaseMove(c *call, n *node) {
	w := n.wait
	dst := c.slice(w.origin).AppendEmpty()
	w.span.MoveTo(dst)
	stamp(dst, n, false, allIDAttrs) // merged versions may have brought any
	c.addReleased(n, dst)
	w.span, w.origin, w.bytes = ptrace.Span{}, nil, 0
}
