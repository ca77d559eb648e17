// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// Why a ledger: the persistent queue removes a batch only when its whole push has returned, so
// after a kill -9 every batch that was being uploaded comes back, with the requests it had
// already delivered. LangSmith answers a re-sent request 409 without naming the duplicate runs
// (shared/research/langsmith.md §3.4: one fixed "payloads already received" message), so only
// splitting until each duplicate stands alone tells them apart: about two requests per run.
// The ledger remembers the runs of the last ledgerRecords delivered requests in the queue's own
// storage; after a restart, runs it names are counted as delivered and not sent again. What it
// cannot know is the answer to a request in flight at the kill: those runs are re-sent.
const (
	ledgerStorageName = "delivered"
	// ledgerRecords is how many delivered requests the ledger remembers, in a ring: more than
	// the queue has in flight with its defaults (10 consumers × 5,000-run batches = 500
	// requests of 100 runs).
	ledgerRecords = 1024
	ledgerRunSize = 17 // run ID and the patch flag
)

// deliveredLedger is the ring of delivered requests in storage, and what it held at start.
type deliveredLedger struct {
	client storage.Client
	seq    atomic.Uint64
	before map[ledgerKey]struct{} // delivered by the previous process; read-only after open
}

type ledgerKey struct {
	id    uuid.UUID
	patch bool
}

func ledgerSlot(n uint64) string { return "delivered/" + strconv.FormatUint(n%ledgerRecords, 10) }

// openLedger gets a client of the queue's storage extension and loads the ring.
func openLedger(ctx context.Context, host component.Host, storageID, exporterID component.ID) (*deliveredLedger, error) {
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return nil, fmt.Errorf("`sending_queue::storage`: extension %q not found", storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("`sending_queue::storage`: extension %q is not a storage extension", storageID)
	}
	client, err := se.GetClient(ctx, component.KindExporter, exporterID, ledgerStorageName)
	if err != nil {
		return nil, fmt.Errorf("delivered ledger: cannot get a client from %q: %w", storageID, err)
	}
	l, err := loadLedger(ctx, client)
	if err != nil {
		_ = client.Close(ctx)
		return nil, err
	}
	return l, nil
}

func loadLedger(ctx context.Context, client storage.Client) (*deliveredLedger, error) {
	ops := make([]*storage.Operation, ledgerRecords)
	for i := range ops {
		ops[i] = storage.GetOperation(ledgerSlot(uint64(i)))
	}
	if err := client.Batch(ctx, ops...); err != nil {
		return nil, fmt.Errorf("delivered ledger: read: %w", err)
	}
	l := &deliveredLedger{client: client, before: map[ledgerKey]struct{}{}}
	var next uint64
	for _, op := range ops {
		v := op.Value
		if len(v) < 8 || (len(v)-8)%ledgerRunSize != 0 {
			continue // empty slot, or not a record of ours
		}
		next = max(next, binary.BigEndian.Uint64(v)+1)
		for r := v[8:]; len(r) > 0; r = r[ledgerRunSize:] {
			l.before[ledgerKey{id: uuid.UUID(r[:16]), patch: r[16] == 1}] = struct{}{}
		}
	}
	l.seq.Store(next)
	return l, nil
}

// delivered reports whether the previous process had this run delivered.
func (l *deliveredLedger) delivered(r *langsmith.Run) bool {
	_, ok := l.before[ledgerKey{id: r.ID, patch: r.Patch}]
	return ok
}

// record writes the runs of one delivered request into the next slot of the ring.
func (l *deliveredLedger) record(ctx context.Context, runs []langsmith.Run) error {
	n := l.seq.Add(1) - 1
	v := make([]byte, 8, 8+len(runs)*ledgerRunSize)
	binary.BigEndian.PutUint64(v, n)
	for i := range runs {
		v = append(v, runs[i].ID[:]...)
		flag := byte(0)
		if runs[i].Patch {
			flag = 1
		}
		v = append(v, flag)
	}
	if err := l.client.Set(ctx, ledgerSlot(n), v); err != nil {
		return fmt.Errorf("delivered ledger: write: %w", err)
	}
	return nil
}

func (l *deliveredLedger) close(ctx context.Context) error {
	return l.client.Close(ctx)
}
