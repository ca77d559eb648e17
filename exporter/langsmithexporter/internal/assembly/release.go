// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// releaseCopy puts a stamped copy of src, a body the assembler keeps, into the pass's release
// batch.
func releaseCopy(c *call, o *origin, src ptrace.Span, n *node, patch bool) {
	dst := c.batch().slice(o).AppendEmpty()
	src.CopyTo(dst)
	markReleased(c, dst, n, patch)
}

// releaseInput moves src, a span of the input batch, into the pass's release batch and stamps it.
func releaseInput(c *call, o *origin, src ptrace.Span, n *node, patch bool) ptrace.Span {
	dst := c.batch().slice(o).AppendEmpty()
	src.MoveTo(dst)
	return markReleased(c, dst, n, patch)
}

func markReleased(c *call, dst ptrace.Span, n *node, patch bool) ptrace.Span {
	stamp(dst, n, patch)
	if !patch {
		n.out, n.outSeq = dst, c.seq
		c.released = append(c.released, n)
	}
	return dst
}

// releaseMove moves a kept body into the release batch; the node keeps only its identity.
func releaseMove(c *call, n *node) {
	dst := c.batch().slice(n.origin).AppendEmpty()
	n.span.MoveTo(dst)
	stamp(dst, n, false)
	n.out, n.outSeq = dst, c.seq
	c.released = append(c.released, n)
	n.span, n.origin, n.bytes = ptrace.Span{}, nil, 0
}
