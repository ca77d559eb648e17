// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package conventions // import "github.com/tracebridge/tracebridge/translator/conventions"

import (
	"crypto/sha256"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// traceLevelDomain separates this derivation from any other hash of a trace ID.
const traceLevelDomain = "tracebridge/trace-level"

// TraceLevelSpanID is the OTel span ID of a trace's trace-level run: the root the exporter
// synthesizes for a trace whose spans are all parentless Langfuse-style records, and the span
// the langfuse receiver emits for a trace-level record (which has no span ID of its own). Both
// sides derive it from the trace ID alone, so a trace-level record that arrives after its
// observations is recognized as that same root and updates it instead of becoming a second one.
//
// It is the first 8 bytes of sha256("tracebridge/trace-level" + trace ID bytes), never zero.
func TraceLevelSpanID(traceID pcommon.TraceID) pcommon.SpanID {
	var key [len(traceLevelDomain) + 16]byte
	copy(key[:], traceLevelDomain)
	copy(key[len(traceLevelDomain):], traceID[:])
	sum := sha256.Sum256(key[:])
	var id pcommon.SpanID
	copy(id[:], sum[:8])
	if id.IsEmpty() {
		// A zero span ID means "no span" in OTLP; 2^-64 odds, but keep the promise.
		id[7] = 1
	}
	return id
}
