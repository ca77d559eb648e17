// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestNodeSet(t *testing.T) {
	for _, size := range []int{0, 1, smallTrace, smallTrace + 1, 5 * smallTrace} {
		var s nodeSet
		want := make(map[*node]bool)
		for i := range size {
			n := &node{spanID: pcommon.SpanID{7: byte(i + 1)}}
			s.add(n)
			want[n] = true
		}
		assert.Equal(t, size, s.len(), "size %d", size)
		got := make(map[*node]bool)
		for n := range s.all() {
			assert.False(t, got[n], "size %d: %v yielded twice", size, n.spanID)
			got[n] = true
			assert.Same(t, n, s.get(n.spanID))
		}
		assert.Equal(t, want, got, "size %d", size)
		assert.Nil(t, s.get(pcommon.SpanID{7: 0xff}), "size %d", size)
		assert.Equal(t, size > smallTrace, s.big != nil, "size %d: a map only past smallTrace", size)
	}
}
