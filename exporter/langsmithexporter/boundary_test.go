// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A request's boundary is the Python SDK's uuid4().hex: 32 lowercase hex digits, new each time.
func TestNewBoundary(t *testing.T) {
	a, b := newBoundary(), newBoundary()
	assert.Regexp(t, `^[0-9a-f]{32}$`, a)
	assert.NotEqual(t, a, b, "each request gets its own boundary")
}
