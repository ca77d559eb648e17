// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"encoding/hex"
	"fmt"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

func parkedKey(traceID pcommon.TraceID, spanID pcommon.SpanID) string {
	var b [len(parkedKeyPrefix) + 32 + 16]byte
	copy(b[:], parkedKeyPrefix)
	hex.Encode(b[len(parkedKeyPrefix):], traceID[:])
	hex.Encode(b[len(parkedKeyPrefix)+32:], spanID[:])
	return string(b[:])
}

// marshalParked encodes a parked span with its resource and scope, as a one-span Traces.
func marshalParked(n *node) ([]byte, error) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	n.origin.rs.Resource().CopyTo(rs.Resource())
	rs.SetSchemaUrl(n.origin.rs.SchemaUrl())
	src := n.origin.scope()
	ss := rs.ScopeSpans().AppendEmpty()
	src.Scope().CopyTo(ss.Scope())
	ss.SetSchemaUrl(src.SchemaUrl())
	n.span.CopyTo(ss.Spans().AppendEmpty())
	return marshalTraces(td)
}

// storeOps encodes the spans parked or changed in this pass. It runs under mu, because the bodies
// may change as soon as mu is released; the writes themselves happen under sendMu.
func (a *Assembler) storeOps(c *call) []*storage.Operation {
	var ops []*storage.Operation
	for _, n := range c.toStore {
		if n.state != stateParked && n.state != stateHeld {
			continue // released within the pass: nothing to keep
		}
		b, err := marshalParked(n)
		if err != nil {
			a.logger.Error("Cannot encode a parked span for storage; it is kept in memory only", zap.Error(err))
			continue
		}
		ops = append(ops, storage.SetOperation(parkedKey(n.span.TraceID(), n.spanID), b))
		n.stored = true
	}
	return ops
}

// persist writes the pass's parked spans. A failed write is remembered and retried before any
// later operation, so an older value never lands after a newer one. Must hold sendMu.
func (a *Assembler) persist(ctx context.Context, sets []*storage.Operation) error {
	if len(a.unsaved) > 0 && !a.flushUnsaved(ctx) {
		for _, op := range sets {
			a.unsaved[op.Key] = op.Value
		}
		return fmt.Errorf("%d earlier writes still fail", len(a.unsaved))
	}
	if len(sets) == 0 {
		return nil
	}
	if err := a.client.Batch(ctx, sets...); err != nil {
		if a.unsaved == nil {
			a.unsaved = make(map[string][]byte, len(sets))
		}
		for _, op := range sets {
			a.unsaved[op.Key] = op.Value
		}
		return err
	}
	return nil
}

// flushUnsaved retries the writes that failed. Must hold sendMu.
func (a *Assembler) flushUnsaved(ctx context.Context) bool {
	if len(a.unsaved) == 0 {
		return true
	}
	ops := make([]*storage.Operation, 0, len(a.unsaved))
	for k, v := range a.unsaved {
		ops = append(ops, storage.SetOperation(k, v))
	}
	if err := a.client.Batch(ctx, ops...); err != nil {
		a.logger.Warn("Parked spans still cannot be written to storage", zap.Int("spans", len(ops)), zap.Error(err))
		return false
	}
	clear(a.unsaved)
	return true
}

// deleteKeys removes the stored copies of spans next has taken. A failure leaves stale copies
// that a restart re-sends: harmless, since run IDs are deterministic and LangSmith answers 409.
// Must hold sendMu.
func (a *Assembler) deleteKeys(ctx context.Context, keys []string, batchKey string) {
	if a.client == nil || (len(keys) == 0 && batchKey == "") {
		return
	}
	ops := make([]*storage.Operation, 0, len(keys)+1)
	for _, k := range keys {
		delete(a.unsaved, k)
		ops = append(ops, storage.DeleteOperation(k))
	}
	if batchKey != "" {
		ops = append(ops, storage.DeleteOperation(batchKey))
	}
	if err := a.client.Batch(ctx, ops...); err != nil {
		a.logger.Warn("Cannot delete released spans from storage; a restart will re-send them", zap.Error(err))
	}
}
