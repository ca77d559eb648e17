// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// The assembler's key space in its storage client (its own client, named "assembly"):
//
//	p/<trace id hex><span id hex>  one parked (or held open) span: a one-span Traces, protobuf
//	o/<sequence, 16 hex digits>    one released batch the upload queue refused (pending-out)
const (
	storageName     = "assembly"
	parkedKeyPrefix = "p/"
	outKeyPrefix    = "o/"
)

func parkedKey(traceID pcommon.TraceID, spanID pcommon.SpanID) string {
	var b [len(parkedKeyPrefix) + 32 + 16]byte
	copy(b[:], parkedKeyPrefix)
	hex.Encode(b[len(parkedKeyPrefix):], traceID[:])
	hex.Encode(b[len(parkedKeyPrefix)+32:], spanID[:])
	return string(b[:])
}

func marshalTraces(td ptrace.Traces) ([]byte, error) {
	var m ptrace.ProtoMarshaler
	return m.MarshalTraces(td)
}

func unmarshalTraces(b []byte) (ptrace.Traces, error) {
	var u ptrace.ProtoUnmarshaler
	return u.UnmarshalTraces(b)
}

// storageClient gets the assembler's client from the extension `assembly::storage` names. The
// client must be able to Walk its keys: that is how Start finds what a previous run parked.
func (a *Assembler) storageClient(ctx context.Context, host component.Host) (storage.Client, error) {
	id := *a.cfg.Storage
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("`assembly::storage`: extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("`assembly::storage`: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindExporter, a.id, storageName)
	if err != nil {
		return nil, fmt.Errorf("`assembly::storage`: cannot get a client from %q: %w", id, err)
	}
	if _, ok := client.(storage.Walker); !ok {
		_ = client.Close(ctx)
		return nil, fmt.Errorf("`assembly::storage`: the client of %q cannot list its keys (storage.Walker), so parked spans could not be reloaded", id)
	}
	return client, nil
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

type storedEntry struct {
	key   string
	value []byte
}

// reload re-ingests what a previous run left: pending-out batches go back to pending-out, in
// order and ahead of anything new; parked spans are ingested again (under their stored keys), so
// the ones whose ancestors are now known are released at once.
func (a *Assembler) reload(ctx context.Context) error {
	var parked, outs []storedEntry
	err := a.client.(storage.Walker).Walk(ctx, func(k string, v []byte) ([]*storage.Operation, error) {
		// v is only valid during the call.
		switch {
		case strings.HasPrefix(k, parkedKeyPrefix):
			parked = append(parked, storedEntry{k, bytes.Clone(v)})
		case strings.HasPrefix(k, outKeyPrefix):
			outs = append(outs, storedEntry{k, bytes.Clone(v)})
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("cannot reload parked spans from `assembly::storage`: %w", err)
	}
	slices.SortFunc(outs, func(x, y storedEntry) int { return strings.Compare(x.key, y.key) })

	var corrupt []string
	a.sendMu.Lock()
	for _, e := range outs {
		td, err := unmarshalTraces(e.value)
		if err != nil {
			corrupt = append(corrupt, e.key)
			continue
		}
		if seq, err := strconv.ParseUint(strings.TrimPrefix(e.key, outKeyPrefix), 16, 64); err == nil {
			a.outSeq = max(a.outSeq, seq)
		}
		b := &outBatch{td: td, spans: td.SpanCount(), bytes: batchBytes(td), key: e.key}
		a.pending = append(a.pending, b)
		a.pendingSpans.Add(int64(b.spans))
		a.pendingBytes.Add(b.bytes)
	}
	a.sendMu.Unlock()

	a.mu.Lock()
	c := a.beginCall(a.now())
	c.reloading = true
	for _, e := range parked {
		td, err := unmarshalTraces(e.value)
		if err != nil {
			corrupt = append(corrupt, e.key)
			continue
		}
		a.ingestTraces(c, td)
	}
	_ = a.endCall(ctx, c, true)

	if len(corrupt) > 0 {
		a.logger.Error("Dropped unreadable entries from `assembly::storage`", zap.Strings("keys", corrupt))
		a.sendMu.Lock()
		a.deleteKeys(ctx, corrupt, "")
		a.sendMu.Unlock()
	}
	a.logger.Info("Reloaded the assembly buffer from storage",
		zap.Int("parked_spans", len(parked)), zap.Int("pending_batches", len(outs)))
	return nil
}
