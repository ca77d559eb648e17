// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// IDMapper gives runs new IDs. A new ID is a UUIDv7 whose millisecond field is the run's
// (shifted) start, as the LangSmith SDKs make them: LangSmith's by-id lookups key on that
// timestamp, and IDs sort in start order. The 12 rand_a bits hold the sub-millisecond part of
// the start (RFC 9562 §6.2 method 3), so the order holds to the microsecond. The remaining 62
// bits are an HMAC of the old ID under the seed, so one old ID maps to one new ID wherever it is
// named (id, trace_id, parent_run_id), and the same seed reproduces the same IDs.
type IDMapper struct {
	seed string
	pool sync.Pool // of hash.Hash: HMAC set-up costs more than hashing a short ID
}

// NewIDMapper returns a mapper for seed; an empty seed draws a random one.
func NewIDMapper(seed string) *IDMapper {
	if seed == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
		seed = hex.EncodeToString(b[:])
	}
	key := sha256.Sum256([]byte("tracebridge-replay/v1\x00" + seed))
	m := &IDMapper{seed: seed}
	m.pool.New = func() any { return hmac.New(sha256.New, key[:]) }
	return m
}

// Seed is the seed in use, printed so that a run can be reproduced with --id-seed.
func (m *IDMapper) Seed() string { return m.seed }

// sum returns the HMAC of a domain-separated name.
func (m *IDMapper) sum(domain, name string) [sha256.Size]byte {
	h := m.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write([]byte(name))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	m.pool.Put(h)
	return out
}

// RunID is the new ID of the run once called old, starting at start.
func (m *IDMapper) RunID(old string, start time.Time) uuid.UUID {
	sum := m.sum("run", old)
	var id uuid.UUID
	us := max(start.UnixMicro(), 0)
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(us/1000)) //nolint:gosec // clamped to ≥ 0
	copy(id[:6], ms[2:])
	subMs := uint16(us % 1000 * 4096 / 1000) //nolint:gosec // < 4096
	id[6] = 0x70 | byte(subMs>>8)            // version 7
	id[7] = byte(subMs)
	copy(id[8:], sum[:8])
	id[8] = 0x80 | id[8]&0x3f // RFC 9562 variant
	return id
}

// tail is the part of RunID that depends on the old ID alone (bytes 8–15, also the OTel span
// ID). Knowing it finds a replayed run without knowing the shift.
func (m *IDMapper) tail(old string) [8]byte {
	var zero time.Time
	id := m.RunID(old, zero)
	var t [8]byte
	copy(t[:], id[8:])
	return t
}

// RecordTraceID maps a Langfuse record's trace ID (32 hex digits or a UUID) to a new one.
func (m *IDMapper) RecordTraceID(old string) pcommon.TraceID {
	sum := m.sum("record-trace", old)
	var id pcommon.TraceID
	copy(id[:], sum[:16])
	id[0] |= 0x01 // never all zero
	return id
}

// RecordSpanID maps a record's span ID, within its old trace, to a new one.
func (m *IDMapper) RecordSpanID(oldTrace, oldSpan string) pcommon.SpanID {
	sum := m.sum("record-span", oldTrace+"\x00"+oldSpan)
	var id pcommon.SpanID
	copy(id[:], sum[:8])
	id[0] |= 0x01 // never all zero
	return id
}

// spanIDOf is the OTel span ID of a run: the last 8 bytes of its ID. For an ID from RunID they
// are the HMAC bits, unique per old ID; for an ID made from a span ID by LangSmith's own OTLP
// rule (zeros, then the span ID) they give that span ID back.
func spanIDOf(id uuid.UUID) pcommon.SpanID {
	var s pcommon.SpanID
	copy(s[:], id[8:])
	if s.IsEmpty() {
		s[7] = 1 // the all-zero span ID is invalid in OTLP
	}
	return s
}

// traceIDOf is the OTel trace ID of a trace: its root run's ID, byte for byte.
func traceIDOf(id uuid.UUID) pcommon.TraceID { return pcommon.TraceID(id) }
