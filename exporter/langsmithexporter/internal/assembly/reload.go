// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

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
