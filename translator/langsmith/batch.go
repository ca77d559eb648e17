// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

// The /runs/batch body, the fallback when a deployment has no multipart endpoint
// (LangSmith's OpenAPI spec, POST /runs/batch): {"post":[…],"patch":[…]} with the payload fields inline.

import "github.com/tracebridge/tracebridge/translator/internal/jsontext"

// AppendBatchJSON appends the /runs/batch body for runs: posts and patches each in their
// array, in the order given. Both arrays are always present, as the JS SDK sends them.
func AppendBatchJSON(dst []byte, runs []Run) []byte {
	dst = append(dst, `{"post":[`...)
	dst = appendBatchRuns(dst, runs, false)
	dst = append(dst, `],"patch":[`...)
	dst = appendBatchRuns(dst, runs, true)
	return append(dst, "]}"...)
}

func appendBatchRuns(dst []byte, runs []Run, patch bool) []byte {
	first := true
	for i := range runs {
		run := &runs[i]
		if run.Patch != patch {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '{')
		dst = appendRunFields(dst, run)
		for _, p := range payloadParts(run) {
			if p.name == "error" {
				if run.Error != "" {
					dst = append(dst, `,"error":`...)
					dst = jsontext.AppendString(dst, run.Error)
				}
				continue
			}
			if len(p.data) > 0 {
				dst = append(dst, ',', '"')
				dst = append(dst, p.name...)
				dst = append(dst, '"', ':')
				dst = append(dst, p.data...)
			}
		}
		dst = append(dst, '}')
	}
	return dst
}

// batchEncodedSize is the number of bytes run adds to a /runs/batch body, counting the comma
// that separates it from its neighbor. An empty body ({"post":[],"patch":[]}) is
// BatchOverheadSize bytes.
func batchEncodedSize(run *Run) int {
	n := 1 + 2 + runFieldsLen(run)
	for _, p := range payloadParts(run) {
		if p.name == "error" {
			if run.Error != "" {
				n += len(`,"error":`) + jsontext.StringLen(run.Error)
			}
		} else if len(p.data) > 0 {
			n += 4 + len(p.name) + len(p.data)
		}
	}
	return n
}

// BatchOverheadSize is the size of a /runs/batch body without runs.
const BatchOverheadSize = len(`{"post":[],"patch":[]}`)
