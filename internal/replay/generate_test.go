// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/synthetic"
)

func TestGenerateWritesRealisticAgentTraces(t *testing.T) {
	for _, ndjson := range []bool{false, true} {
		var buf bytes.Buffer
		st, err := synthetic.Generate(&buf, synthetic.Options{Traces: 60, Seed: 1, NDJSON: ndjson})
		require.NoError(t, err)
		assert.Equal(t, 60, st.Traces)
		if !ndjson {
			var arr []json.RawMessage
			require.NoError(t, json.Unmarshal(buf.Bytes(), &arr), "a JSON array like traces.json")
			assert.Len(t, arr, st.Runs)
		}
		roots, types, withUsage, nested := 0, map[string]int{}, 0, 0
		byID := map[string]*origRun{}
		require.NoError(t, scanInput(&buf, 0, func(it scanItem) error {
			require.NoError(t, it.err)
			var r origRun
			require.NoError(t, json.Unmarshal(it.raw, &r))
			byID[r.ID] = &r
			return nil
		}))
		require.Len(t, byID, st.Runs)
		errors := 0
		for _, r := range byID {
			types[r.RunType]++
			if r.ParentRunID == "" {
				roots++
				assert.Equal(t, r.ID, r.TraceID)
			} else {
				p := byID[r.ParentRunID]
				require.NotNil(t, p, "every parent is in the file")
				assert.Equal(t, p.TraceID, r.TraceID)
				if p.ParentRunID != "" {
					nested++
				}
			}
			if r.Error != nil {
				errors++
			}
			if r.RunType == "llm" {
				var out struct {
					Usage map[string]any `json:"usage_metadata"`
				}
				require.NoError(t, json.Unmarshal(r.Outputs, &out))
				if out.Usage["total_tokens"] != nil {
					withUsage++
				}
				assert.NotEmpty(t, r.Extra.Metadata["ls_model_name"])
			}
		}
		assert.Equal(t, 60, roots, "one root per trace")
		assert.Equal(t, st.Errors, errors)
		assert.Positive(t, errors)
		assert.Positive(t, nested, "some runs are three levels deep")
		for _, rt := range []string{"chain", "llm", "tool", "retriever"} {
			assert.Positive(t, types[rt], "run type %s", rt)
		}
		assert.Equal(t, types["llm"], withUsage, "every model call reports token usage")
	}
}
