// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/tracebridge/tracebridge/internal/textenum"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// IDMode chooses how a span's run ID is derived.
type IDMode string

const (
	// IDModeUUIDv7 derives a UUIDv7 whose millisecond field is the span's start time and whose
	// other bits come from a hash of (trace ID, span ID). It is time-ordered like the SDKs' IDs,
	// which LangSmith's by-id lookups rely on, and a pure function of the span, so a re-sent span
	// always gets the same ID.
	IDModeUUIDv7 IDMode = "uuidv7"
	// IDModeSpanID is LangSmith's own OTLP rule: the span ID right-aligned in zeros. Use it when
	// the same traces also reach LangSmith through its OTLP endpoint.
	IDModeSpanID IDMode = "span_id"
)

// UnmarshalText validates the mode when it is read from configuration.
func (m *IDMode) UnmarshalText(text []byte) error {
	v, err := textenum.Parse(text, "run id mode", IDModeUUIDv7, IDModeSpanID)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// RunID derives the run ID of the span (traceID, spanID) that started at start.
func RunID(mode IDMode, traceID pcommon.TraceID, spanID pcommon.SpanID, start time.Time) uuid.UUID {
	if mode == IDModeSpanID {
		var id uuid.UUID
		copy(id[8:], spanID[:])
		return id
	}
	var key [24]byte
	copy(key[:16], traceID[:])
	copy(key[16:], spanID[:])
	h := sha256.Sum256(key[:])

	var id uuid.UUID
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(max(start.UnixMilli(), 0))) //nolint:gosec // clamped to ≥ 0
	copy(id[:6], ms[2:])
	copy(id[6:], h[:10])
	id[6] = 0x70 | id[6]&0x0f // version 7
	id[8] = 0x80 | id[8]&0x3f // RFC 9562 variant
	return id
}

const hexDigits = "0123456789abcdef"

// appendUUID appends id in its canonical 36-character form, unquoted.
// It fills a fixed array and appends it once: one append per byte was most of the cost of a
// multipart part's header, which names its run.
func appendUUID(dst []byte, id uuid.UUID) []byte {
	var b [36]byte
	encodeUUID(&b, id)
	return append(dst, b[:]...)
}

// encodeUUID writes id's canonical form into b. It is unrolled, with every offset a constant:
// the loop over the 16 bytes, testing each for a dash before it, cost ~190 instructions a
// UUID, and a run's upload spells four (id, trace_id, parent_run_id, and the id its parts'
// names share).
func encodeUUID(b *[36]byte, id uuid.UUID) {
	hexByte(b[0:2], id[0])
	hexByte(b[2:4], id[1])
	hexByte(b[4:6], id[2])
	hexByte(b[6:8], id[3])
	b[8] = '-'
	hexByte(b[9:11], id[4])
	hexByte(b[11:13], id[5])
	b[13] = '-'
	hexByte(b[14:16], id[6])
	hexByte(b[16:18], id[7])
	b[18] = '-'
	hexByte(b[19:21], id[8])
	hexByte(b[21:23], id[9])
	b[23] = '-'
	hexByte(b[24:26], id[10])
	hexByte(b[26:28], id[11])
	hexByte(b[28:30], id[12])
	hexByte(b[30:32], id[13])
	hexByte(b[32:34], id[14])
	hexByte(b[34:36], id[15])
}

// hexByte writes c as two lower-case hex digits into b[0:2].
func hexByte(b []byte, c byte) {
	_ = b[1]
	b[0], b[1] = hexDigits[c>>4], hexDigits[c&0xf]
}

// appendQuotedUUID appends id as a JSON string, in one append.
func appendQuotedUUID(dst []byte, id uuid.UUID) []byte {
	var b [uuidQuotedLen]byte
	b[0], b[37] = '"', '"'
	encodeUUID((*[36]byte)(b[1:37]), id)
	return append(dst, b[:]...)
}
