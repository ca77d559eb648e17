// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"encoding/binary"
	"hash/maphash"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// spanHasher hashes a span's content, to tell an identical re-send from a changed one. The seed
// is per process: hashes are never stored. Each string is hashed in place with maphash.String
// (no copy into a buffer; messages in attributes run to kilobytes) and the pieces are folded
// with a 64-bit finalizer, so order and position count.
type spanHasher struct {
	seed maphash.Seed
	h    uint64
}

func (a *Assembler) hashSpan(span ptrace.Span) uint64 { return a.scanSpan(span).hash }

// events hashes a span's events and adds their memory estimate to size.
func (sh *spanHasher) events(events ptrace.SpanEventSlice, size *int64) {
	sh.u64(uint64(events.Len()))
	for _, e := range events.All() {
		sh.str(e.Name())
		sh.u64(uint64(e.Timestamp()))
		*size += 64 + int64(len(e.Name())) + sh.attrsSized(e.Attributes())
	}
}

func (sh *spanHasher) links(links ptrace.SpanLinkSlice) {
	sh.u64(uint64(links.Len()))
	for _, l := range links.All() {
		tid := l.TraceID()
		sh.u64(binary.LittleEndian.Uint64(tid[:8]))
		sh.u64(binary.LittleEndian.Uint64(tid[8:]))
		sh.id(l.SpanID())
	}
}

// u64 folds v into the hash (murmur3's 64-bit finalizer over the running value).
func (sh *spanHasher) u64(v uint64) {
	h := (sh.h ^ v) * 0x9e3779b97f4a7c15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	sh.h = h
}

func (sh *spanHasher) id(id pcommon.SpanID) {
	sh.u64(binary.LittleEndian.Uint64(id[:]))
}

// str folds in s's maphash alone: it already depends on s's length, and each string is hashed
// on its own, so a boundary moved between two neighbors changes the hash without a length
// folded beside it (which was one fold more per string: two per attribute).
func (sh *spanHasher) str(s string) {
	sh.u64(maphash.String(sh.seed, s))
}

// attrsSized hashes m and returns mapBytes(m).
func (sh *spanHasher) attrsSized(m pcommon.Map) int64 {
	sh.u64(uint64(m.Len()))
	var b int64
	for k, v := range m.All() {
		sh.str(k)
		b += 32 + int64(len(k)) + sh.valueSized(v)
	}
	return b
}

// valueSized hashes v and returns valueBytes(v).
func (sh *spanHasher) valueSized(v pcommon.Value) int64 {
	t := v.Type()
	sh.u64(uint64(t))
	switch t {
	case pcommon.ValueTypeStr:
		s := v.Str()
		sh.str(s)
		return int64(len(s))
	case pcommon.ValueTypeInt:
		sh.u64(uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		sh.u64(math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			sh.u64(1)
		} else {
			sh.u64(0)
		}
	case pcommon.ValueTypeBytes:
		b := v.Bytes().AsRaw()
		sh.u64(maphash.Bytes(sh.seed, b))
		return int64(len(b))
	case pcommon.ValueTypeMap:
		return sh.attrsSized(v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		sh.u64(uint64(s.Len()))
		var b int64
		for _, e := range s.All() {
			b += 16 + sh.valueSized(e)
		}
		return b
	}
	return 8
}
