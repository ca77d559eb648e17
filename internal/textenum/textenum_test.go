// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package textenum

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type mode string

func TestParse(t *testing.T) {
	tests := []struct {
		text    string
		allowed []mode
		want    mode
		wantErr string
	}{
		{text: "a", allowed: []mode{"a", "b"}, want: "a"},
		{text: "b", allowed: []mode{"a", "b"}, want: "b"},
		{text: "c", allowed: []mode{"a", "b"}, wantErr: `unknown mode "c": want "a" or "b"`},
		{text: "", allowed: []mode{"a", "b", "c"}, wantErr: `unknown mode "": want "a", "b" or "c"`},
		{text: "A", allowed: []mode{"a"}, wantErr: `unknown mode "A": want "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse([]byte(tt.text), "mode", tt.allowed...)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
