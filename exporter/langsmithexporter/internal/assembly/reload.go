// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// reload re-ingests what a previous run left in j: pending-out batches go back to the outbox;
// parked spans are ingested again with the journal replaying (they are stored already, under
// their keys), so the ones whose ancestors are now known are released at once.
func (a *Assembler) reload(ctx context.Context, j *storeJournal) error {
	entries, err := j.load(ctx)
	if err != nil {
		return fmt.Errorf("cannot reload parked spans from `assembly::storage`: %w", err)
	}
	var parked, outs []storedEntry
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.key, parkedKeyPrefix):
			parked = append(parked, e)
		case strings.HasPrefix(e.key, outKeyPrefix):
			outs = append(outs, e)
		}
	}

	a.sendMu.Lock()
	corrupt := a.outbox.restore(outs)
	a.sendMu.Unlock()

	a.mu.Lock()
	c := a.beginCall(a.now())
	j.replaying = true
	for _, e := range parked {
		td, err := unmarshalTraces(e.value)
		if err != nil {
			corrupt = append(corrupt, e.key)
			continue
		}
		bs := a.scanBatch(td)
		a.ingestTraces(c, bs)
		putScan(bs)
	}
	j.replaying = false
	_ = a.endCall(ctx, c, true)

	if len(corrupt) > 0 {
		a.logger.Error("Dropped unreadable entries from `assembly::storage`", zap.Strings("keys", corrupt))
		a.sendMu.Lock()
		j.remove(ctx, corrupt, "")
		a.sendMu.Unlock()
	}
	a.logger.Info("Reloaded the assembly buffer from storage",
		zap.Int("parked_spans", len(parked)), zap.Int("pending_batches", len(outs)))
	return nil
}
