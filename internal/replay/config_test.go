// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaultsAreValid(t *testing.T) {
	cfg := Config{Inputs: []string{"traces.json"}}
	cfg.applyDefaults()
	require.NoError(t, cfg.Validate())
	assert.Equal(t, DefaultEndpoint, cfg.Endpoint)
	assert.Equal(t, "http://localhost:4320", cfg.langfuseEndpoint())

	direct := Config{Inputs: []string{"-"}, Direct: true, APIKey: "k"}
	direct.applyDefaults()
	require.NoError(t, direct.Validate())
	assert.Equal(t, DefaultLangSmithEndpoint, direct.Endpoint)
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]Config{
		"no input":       {},
		"stdin twice":    {Inputs: []string{"-", "-"}},
		"bad endpoint":   {Inputs: []string{"x"}, Endpoint: "localhost:4318"},
		"direct, no key": {Inputs: []string{"x"}, Direct: true},
		"bad format":     {Inputs: []string{"x"}, Format: "xml"},
		"bad progress":   {Inputs: []string{"x"}, Progress: "fancy"},
		"bad langfuse":   {Inputs: []string{"x"}, LangfuseEndpoint: "ftp://x"},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			cfg.applyDefaults()
			assert.Error(t, cfg.Validate())
		})
	}
}
