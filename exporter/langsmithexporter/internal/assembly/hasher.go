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

func (a *Assembler) hashSpan(span ptrace.Span) uint64 {
	sh := spanHasher{seed: a.seed}
	sh.str(span.Name())
	sh.u64(uint64(span.Kind()))
	sh.u64(uint64(span.StartTimestamp()))
	sh.u64(uint64(span.EndTimestamp()))
	sh.id(span.ParentSpanID())
	sh.u64(uint64(span.Status().Code()))
	sh.str(span.Status().Message())
	sh.attrs(span.Attributes())
	sh.u64(uint64(span.Events().Len()))
	for _, e := range span.Events().All() {
		sh.str(e.Name())
		sh.u64(uint64(e.Timestamp()))
		sh.attrs(e.Attributes())
	}
	sh.u64(uint64(span.Links().Len()))
	for _, l := range span.Links().All() {
		tid := l.TraceID()
		sh.u64(binary.LittleEndian.Uint64(tid[:8]))
		sh.u64(binary.LittleEndian.Uint64(tid[8:]))
		sh.id(l.SpanID())
	}
	return sh.h
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

func (sh *spanHasher) str(s string) {
	sh.u64(uint64(len(s)))
	sh.u64(maphash.String(sh.seed, s))
}

func (sh *spanHasher) attrs(m pcommon.Map) {
	sh.u64(uint64(m.Len()))
	for k, v := range m.All() {
		sh.str(k)
		sh.value(v)
	}
}

func (sh *spanHasher) value(v pcommon.Value) {
	t := v.Type()
	sh.u64(uint64(t))
	switch t {
	case pcommon.ValueTypeStr:
		sh.str(v.Str())
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
		sh.u64(uint64(len(b)))
		sh.u64(maphash.Bytes(sh.seed, b))
	case pcommon.ValueTypeMap:
		sh.attrs(v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		sh.u64(uint64(s.Len()))
		for _, e := range s.All() {
			sh.value(e)
		}
	}
}
