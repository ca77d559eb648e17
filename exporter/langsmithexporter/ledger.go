// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
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
// (one fixed "payloads already received" message): a run
// query tells them apart (runquery.go), else only splitting until each duplicate stands alone,
// about two requests per run.
// The ledger remembers the runs of the last ledgerRecords delivered requests in the queue's own
// storage; after a restart, runs it names are counted as delivered and not sent again.
//
// A request in flight at the kill has no answer on record, only that it was sent. Its runs are
// re-sent; when a run query cannot settle the 409 (runquery.go), a 409 to runs that all come from one such request most likely means that request
// was processed and all of them are there, but not certainly: had it held one run LangSmith
// already had, it was refused whole and the others are missing. So each is confirmed alone
// (n requests instead of the 2n-1 of halving). A 409 on runs from several such requests is
// split by the request they came from first.
const (
	ledgerStorageName = "delivered"
	// ledgerRecords is how many delivered requests the ledger remembers, in a ring: more than
	// the queue has in flight with its defaults (10 consumers × 5,000-run batches = 500
	// requests of 100 runs).
	ledgerRecords = 1024
	ledgerRunSize = 17 // run ID and the patch flag
	ledgerHeader  = 9  // sequence number and state

	ledgerSent      = 0 // the request was sent; no answer yet
	ledgerDelivered = 1 // LangSmith accepted it
	ledgerCleared   = 2 // answered otherwise: its runs are wherever later records say
)

// deliveredLedger is the ring of delivered requests in storage, and what it held at start.
type deliveredLedger struct {
	client storage.Client
	seq    atomic.Uint64
	before map[ledgerKey]struct{} // delivered by the previous process; read-only after open
	// maybe maps the runs of requests in flight when the previous process died to the
	// request's sequence number; read-only after open.
	maybe map[ledgerKey]uint64
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
	l := &deliveredLedger{client: client, before: map[ledgerKey]struct{}{}, maybe: map[ledgerKey]uint64{}}
	// Oldest first, so that a later record of a run (a split half, a retry) wins.
	var records [][]byte
	for _, op := range ops {
		if v := op.Value; len(v) >= ledgerHeader && (len(v)-ledgerHeader)%ledgerRunSize == 0 {
			records = append(records, v)
		}
	}
	slices.SortFunc(records, func(a, b []byte) int { return cmp.Compare(binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b)) })
	var next uint64
	for _, v := range records {
		seq := binary.BigEndian.Uint64(v)
		next = max(next, seq+1)
		for r := v[ledgerHeader:]; len(r) > 0; r = r[ledgerRunSize:] {
			k := ledgerKey{id: uuid.UUID(r[:16]), patch: r[16] == 1}
			switch v[8] {
			case ledgerDelivered:
				l.before[k] = struct{}{}
				delete(l.maybe, k)
			case ledgerSent:
				if _, ok := l.before[k]; !ok {
					l.maybe[k] = seq
				}
			default:
				delete(l.maybe, k)
			}
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

// wasInFlight reports whether the previous process had sent this run in a request it got no
// answer to.
func (l *deliveredLedger) wasInFlight(r *langsmith.Run) bool {
	_, ok := l.maybe[ledgerKey{id: r.ID, patch: r.Patch}]
	return ok
}

// inFlight reports whether the runs were all sent in one request that the previous process
// had in flight when it died.
func (l *deliveredLedger) inFlight(runs []langsmith.Run) bool {
	var seq uint64
	for i := range runs {
		s, ok := l.maybe[ledgerKey{id: runs[i].ID, patch: runs[i].Patch}]
		if !ok || (i > 0 && s != seq) {
			return false
		}
		seq = s
	}
	return len(runs) > 0
}

// groupInFlight orders runs (and their spans) by the in-flight request they came from, runs of
// none last, and returns the bounds of each group, for a 409 to be split along them.
func (l *deliveredLedger) groupInFlight(runs []langsmith.Run, spans []spanRef) []int {
	const none = ^uint64(0)
	group := func(r *langsmith.Run) uint64 {
		if s, ok := l.maybe[ledgerKey{id: r.ID, patch: r.Patch}]; ok {
			return s
		}
		return none
	}
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(group(&runs[a]), group(&runs[b])) })
	reorderRuns(runs, spans, idx)
	var bounds []int
	for i := 1; i < len(runs); i++ {
		if group(&runs[i]) != group(&runs[i-1]) {
			bounds = append(bounds, i)
		}
	}
	return append(bounds, len(runs))
}

// sent writes the runs of a request about to be sent into the next slot of the ring and
// returns the slot's sequence number, for answered to settle.
func (l *deliveredLedger) sent(ctx context.Context, runs []langsmith.Run) (uint64, error) {
	n := l.seq.Add(1) - 1
	return n, l.write(ctx, n, ledgerSent, runs)
}

// record writes runs found delivered (by a run query) as a delivered request of their own.
func (l *deliveredLedger) record(ctx context.Context, runs []langsmith.Run) error {
	return l.write(ctx, l.seq.Add(1)-1, ledgerDelivered, runs)
}

// answered settles the record of a sent request: delivered, or cleared.
func (l *deliveredLedger) answered(ctx context.Context, n uint64, delivered bool, runs []langsmith.Run) error {
	if l.seq.Load() > n+ledgerRecords {
		// The ring has come round since: slot n holds a newer record, which an answer this old
		// must not overwrite (its runs would be re-sent, or its in-flight runs forgotten, after a crash).
		return nil
	}
	if delivered {
		return l.write(ctx, n, ledgerDelivered, runs)
	}
	return l.write(ctx, n, ledgerCleared, nil)
}

func (l *deliveredLedger) write(ctx context.Context, n uint64, state byte, runs []langsmith.Run) error {
	v := make([]byte, ledgerHeader, ledgerHeader+len(runs)*ledgerRunSize)
	binary.BigEndian.PutUint64(v, n)
	v[8] = state
	for i := range runs {
		v = append(v, runs[i].ID[:]...)
		flag := byte(0)
		if runs[i].Patch {
			flag = 1
		}
		v = append(v, flag)
	}
	if err := l.client.Set(context.WithoutCancel(ctx), ledgerSlot(n), v); err != nil {
		return fmt.Errorf("delivered ledger: write: %w", err)
	}
	return nil
}

func (l *deliveredLedger) close(ctx context.Context) error {
	return l.client.Close(ctx)
}
