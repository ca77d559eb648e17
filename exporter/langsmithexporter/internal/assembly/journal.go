// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// journal keeps what the assembler holds where a restart finds it. The transitions call it (kept,
// resent, released) under mu; the pass writes what it sealed, and the outbox its batches, under
// sendMu. Without `assembly::storage` it is nopJournal and everything lives in memory only.
type journal interface {
	// kept: n holds a new or changed body, to be written at the end of the pass.
	kept(c *call, n *node)
	// resent: an identical copy of n's kept body came again; written if it never was.
	resent(c *call, n *node)
	// released: n's body went into the pass's release batch; its stored copy is deleted once
	// next has the batch. fromInput: the body was a span of the pass's input.
	released(c *call, ts *traceState, n *node, fromInput bool)
	// seal encodes what the pass kept; under mu, because the bodies may change once it is released.
	seal() []*storage.Operation
	// commit writes what seal encoded.
	commit(ctx context.Context, sets []*storage.Operation) error
	// durable reports whether released batches waiting for next can be stored too.
	durable() bool
	// save stores a pending-out batch under key and deletes the parked copies it holds, at once.
	save(ctx context.Context, key string, value []byte, deletes []string) error
	// remove deletes stored copies of spans next has taken, and the batch's own key if any.
	remove(ctx context.Context, keys []string, batchKey string)
	close(ctx context.Context) error
}

// nopJournal is the journal without storage.
type nopJournal struct{}

func (nopJournal) kept(*call, *node)                                    {}
func (nopJournal) resent(*call, *node)                                  {}
func (nopJournal) released(*call, *traceState, *node, bool)             {}
func (nopJournal) seal() []*storage.Operation                           { return nil }
func (nopJournal) commit(context.Context, []*storage.Operation) error   { return nil }
func (nopJournal) durable() bool                                        { return false }
func (nopJournal) save(context.Context, string, []byte, []string) error { return nil }
func (nopJournal) remove(context.Context, []string, string)             {}
func (nopJournal) close(context.Context) error                          { return nil }

// parkedKeyPrefix: p/<trace id hex><span id hex> is one parked (or held open) span, a one-span
// Traces in protobuf.
const parkedKeyPrefix = "p/"

func parkedKey(traceID pcommon.TraceID, spanID pcommon.SpanID) string {
	var b [len(parkedKeyPrefix) + 32 + 16]byte
	copy(b[:], parkedKeyPrefix)
	hex.Encode(b[len(parkedKeyPrefix):], traceID[:])
	hex.Encode(b[len(parkedKeyPrefix)+32:], spanID[:])
	return string(b[:])
}

// storeJournal is the journal in a storage extension's client.
type storeJournal struct {
	client storage.Client
	logger *zap.Logger

	// Guarded by the assembler's mu.
	replaying bool    // spans come from storage (reload): already stored
	toStore   []*node // bodies kept or changed in this pass

	// Guarded by the assembler's sendMu.
	unsaved map[string][]byte // storage writes that failed; retried before any later op
}

func (j *storeJournal) kept(_ *call, n *node) {
	if j.replaying {
		n.stored = true
		return
	}
	j.toStore = append(j.toStore, n)
}

func (j *storeJournal) resent(_ *call, n *node) {
	if !n.stored && !j.replaying {
		j.toStore = append(j.toStore, n) // an earlier storage write may have failed
	}
}

func (j *storeJournal) released(c *call, ts *traceState, n *node, fromInput bool) {
	// During a replay every input span is one the previous run stored.
	if n.stored || (fromInput && j.replaying) {
		b := c.batch()
		b.deletes = append(b.deletes, parkedKey(ts.id, n.spanID))
		n.stored = false
	}
}

// marshalParked encodes a parked span with its resource and scope, as a one-span Traces.
func marshalParked(n *node) ([]byte, error) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	w := n.wait
	w.origin.rs.Resource().CopyTo(rs.Resource())
	rs.SetSchemaUrl(w.origin.rs.SchemaUrl())
	src := w.origin.scope()
	ss := rs.ScopeSpans().AppendEmpty()
	src.Scope().CopyTo(ss.Scope())
	ss.SetSchemaUrl(src.SchemaUrl())
	w.span.CopyTo(ss.Spans().AppendEmpty())
	return marshalTraces(td)
}

func (j *storeJournal) seal() []*storage.Operation {
	var ops []*storage.Operation
	for _, n := range j.toStore {
		if n.state != stateParked && n.state != stateHeld {
			continue // released within the pass: nothing to keep
		}
		b, err := marshalParked(n)
		if err != nil {
			j.logger.Error("Cannot encode a parked span for storage; it is kept in memory only", zap.Error(err))
			continue
		}
		ops = append(ops, storage.SetOperation(parkedKey(n.wait.span.TraceID(), n.spanID), b))
		n.stored = true
	}
	// The list is reused; drop its pointers so dropped traces can be collected.
	clear(j.toStore)
	j.toStore = j.toStore[:0]
	return ops
}

// commit writes the pass's parked spans. A failed write is remembered and retried before any
// later operation, so an older value never lands after a newer one.
func (j *storeJournal) commit(ctx context.Context, sets []*storage.Operation) error {
	if len(j.unsaved) > 0 && !j.flushUnsaved(ctx) {
		for _, op := range sets {
			j.unsaved[op.Key] = op.Value
		}
		return fmt.Errorf("%d earlier writes still fail", len(j.unsaved))
	}
	if len(sets) == 0 {
		return nil
	}
	if err := j.client.Batch(ctx, sets...); err != nil {
		if j.unsaved == nil {
			j.unsaved = make(map[string][]byte, len(sets))
		}
		for _, op := range sets {
			j.unsaved[op.Key] = op.Value
		}
		return err
	}
	return nil
}

// flushUnsaved retries the writes that failed.
func (j *storeJournal) flushUnsaved(ctx context.Context) bool {
	if len(j.unsaved) == 0 {
		return true
	}
	ops := make([]*storage.Operation, 0, len(j.unsaved))
	for k, v := range j.unsaved {
		ops = append(ops, storage.SetOperation(k, v))
	}
	if err := j.client.Batch(ctx, ops...); err != nil {
		j.logger.Warn("Parked spans still cannot be written to storage", zap.Int("spans", len(ops)), zap.Error(err))
		return false
	}
	clear(j.unsaved)
	return true
}

func (*storeJournal) durable() bool { return true }

// save persists the batch itself and drops the parked copies in one storage batch, so a restart
// finds each span exactly once.
func (j *storeJournal) save(ctx context.Context, key string, value []byte, deletes []string) error {
	ops := make([]*storage.Operation, 0, len(deletes)+1)
	ops = append(ops, storage.SetOperation(key, value))
	for _, k := range deletes {
		ops = append(ops, storage.DeleteOperation(k))
		delete(j.unsaved, k)
	}
	return j.client.Batch(ctx, ops...)
}

// remove deletes the stored copies of spans next has taken. A failure leaves stale copies that a
// restart re-sends: harmless, since run IDs are deterministic and LangSmith answers 409.
func (j *storeJournal) remove(ctx context.Context, keys []string, batchKey string) {
	if len(keys) == 0 && batchKey == "" {
		return
	}
	ops := make([]*storage.Operation, 0, len(keys)+1)
	for _, k := range keys {
		delete(j.unsaved, k)
		ops = append(ops, storage.DeleteOperation(k))
	}
	if batchKey != "" {
		ops = append(ops, storage.DeleteOperation(batchKey))
	}
	if err := j.client.Batch(ctx, ops...); err != nil {
		j.logger.Warn("Cannot delete released spans from storage; a restart will re-send them", zap.Error(err))
	}
}

// close retries the writes that failed once more and closes the client.
func (j *storeJournal) close(ctx context.Context) error {
	j.flushUnsaved(ctx)
	return j.client.Close(ctx)
}

// load reads every entry the previous run left, in the client's order.
func (j *storeJournal) load(ctx context.Context) ([]storedEntry, error) {
	var entries []storedEntry
	err := j.client.(storage.Walker).Walk(ctx, func(k string, v []byte) ([]*storage.Operation, error) {
		entries = append(entries, storedEntry{k, bytes.Clone(v)}) // v is only valid during the call
		return nil, nil
	})
	return entries, err
}
