// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package jsonline writes one value as one line of JSON, as the replay's files and the synthetic
// generator's hold them.
package jsonline // import "github.com/tracebridge/tracebridge/internal/jsonline"

import (
	"bytes"
	"encoding/json"
)

// Compact writes v as one line of JSON, without a newline and without HTML escaping: the payloads
// must read back byte for byte as they were, or a re-sent span would differ from the one sent
// before.
func Compact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
