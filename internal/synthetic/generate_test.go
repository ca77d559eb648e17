// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package synthetic

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateIsDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	_, err := Generate(&a, Options{Traces: 10, Seed: 42})
	require.NoError(t, err)
	_, err = Generate(&b, Options{Traces: 10, Seed: 42})
	require.NoError(t, err)
	_, err = Generate(&c, Options{Traces: 10, Seed: 43})
	require.NoError(t, err)
	assert.Equal(t, a.String(), b.String())
	assert.NotEqual(t, a.String(), c.String())
}

// The committed sample is what `make testdata` writes.
func TestCommittedSampleIsReproducible(t *testing.T) {
	want, err := os.ReadFile("../../testdata/replay/agent-traces-50.json")
	if os.IsNotExist(err) {
		t.Skip("testdata/replay/agent-traces-50.json not generated")
	}
	require.NoError(t, err)
	var got bytes.Buffer
	_, err = Generate(&got, Options{Traces: 50, Seed: 1})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got.Bytes()), "regenerate with: tracebridge-replay --generate 50 --seed 1 --out testdata/replay/agent-traces-50.json")
}
