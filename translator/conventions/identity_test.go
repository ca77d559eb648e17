// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package conventions

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestTraceLevelSpanID(t *testing.T) {
	tid := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sum := sha256.Sum256(append([]byte("tracebridge/trace-level"), tid[:]...))
	var want pcommon.SpanID
	copy(want[:], sum[:8])

	got := TraceLevelSpanID(tid)
	assert.Equal(t, want, got)
	assert.Equal(t, got, TraceLevelSpanID(tid), "deterministic")
	assert.False(t, got.IsEmpty())
	assert.NotEqual(t, got, TraceLevelSpanID(pcommon.TraceID{1}), "differs per trace")
}
