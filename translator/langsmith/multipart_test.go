// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

const testBoundary = "9f6b6c1e1d2a4c7b8e5f0a3b2c1d0e9f"

// testRuns covers a root post with every field, a child post with odd strings, and a patch.
func testRuns() []Run {
	root := uuid.MustParse("00000000-0000-0000-0123-456789abcdef")
	child := uuid.MustParse("00000000-0000-0000-fedc-ba9876543210")
	start := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	return []Run{
		{
			ID: root, TraceID: root, DottedOrder: DottedSegment(start, root),
			Name: "chat gpt-4o", RunType: RunTypeLLM, SessionName: "my-project",
			StartTime: start, EndTime: start.Add(421099 * time.Microsecond),
			Inputs:  json.RawMessage(`{"messages":[{"role":"user","content":"hi"}]}`),
			Outputs: json.RawMessage(`{"messages":[{"role":"assistant","content":"hello"}],"usage_metadata":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}`),
			Extra:   json.RawMessage(`{"metadata":{"ls_provider":"openai","ls_model_name":"gpt-4o"}}`),
			Events:  json.RawMessage(`[{"name":"new_token","time":"2024-01-02T03:04:05.7Z"}]`),
			Tags:    []string{"prod"},
		},
		{
			ID: child, TraceID: root, ParentRunID: root,
			DottedOrder: DottedSegment(start, root) + "." + DottedSegment(start.Add(time.Millisecond), child),
			Name:        "tool \"quoted\"\n\u2028 é \x01 \xff", RunType: RunTypeTool,
			StartTime:          start.Add(time.Millisecond),
			Error:              "boom\n\nStacktrace:\n\tat x",
			Tags:               []string{"a,b", "ü"},
			ReferenceExampleID: uuid.MustParse("11111111-2222-3333-4444-555555555555"),
		},
		{
			ID: root, TraceID: root, DottedOrder: DottedSegment(start, root), Patch: true,
			EndTime: start.Add(time.Second), Outputs: json.RawMessage(`{"answer":"done"}`),
			Extra: json.RawMessage(`{"metadata":{"late":true}}`), Error: "failed late",
		},
	}
}

type parsedPart struct {
	name          string
	contentType   string
	contentLength string
	body          []byte
}

func readParts(t *testing.T, body []byte, boundary string) []parsedPart {
	t.Helper()
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []parsedPart
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return parts
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		require.NoError(t, err)
		parts = append(parts, parsedPart{
			name: params["name"], contentType: p.Header.Get("Content-Type"),
			contentLength: p.Header.Get("Content-Length"), body: b,
		})
	}
}

func TestWriteMultipartRoundTrip(t *testing.T) {
	runs := testRuns()
	body, err := AppendMultipart(nil, testBoundary, runs)
	require.NoError(t, err)
	parts := readParts(t, body, testBoundary)

	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = p.name
		assert.Equal(t, "application/json; length="+strconv.Itoa(len(p.body)), p.contentType, p.name)
		assert.Empty(t, p.contentLength, "%s: the length is the Content-Type's parameter, not a header", p.name)
		assert.True(t, json.Valid(p.body), "%s: %s", p.name, p.body)
	}
	root, child := runs[0].ID.String(), runs[1].ID.String()
	assert.Equal(t, []string{
		"post." + root, "post." + root + ".inputs", "post." + root + ".outputs", "post." + root + ".events",
		"post." + child,
		"patch." + root, "patch." + root + ".outputs", "patch." + root + ".extra", "patch." + root + ".error",
	}, names, "a post carries extra and error in its main part, a patch in parts of their own")

	var main map[string]any
	require.NoError(t, json.Unmarshal(parts[0].body, &main))
	assert.Equal(t, map[string]any{
		"id": root, "trace_id": root, "dotted_order": "20240102T030405678901Z" + root,
		"name": "chat gpt-4o", "run_type": "llm", "session_name": "my-project",
		"start_time": "2024-01-02T03:04:05.678901Z", "end_time": "2024-01-02T03:04:06.100000Z",
		"tags":  []any{"prod"},
		"extra": map[string]any{"metadata": map[string]any{"ls_provider": "openai", "ls_model_name": "gpt-4o"}},
	}, main, "a root has no parent_run_id, and status is left to the server")
	assert.Equal(t, string(runs[0].Inputs), string(parts[1].body))

	main = nil
	require.NoError(t, json.Unmarshal(parts[4].body, &main))
	assert.Equal(t, root, main["parent_run_id"])
	assert.Equal(t, strings.ToValidUTF8(runs[1].Name, "\uFFFD"), main["name"], "invalid UTF-8 becomes U+FFFD")
	assert.Equal(t, []any{"a,b", "ü"}, main["tags"])
	assert.Equal(t, "11111111-2222-3333-4444-555555555555", main["reference_example_id"])
	assert.NotContains(t, main, "end_time", "a run in progress has no end_time")
	assert.Equal(t, runs[1].Error, main["error"], "error travels as a JSON string")
	assert.NotContains(t, main, "extra", "an empty extra is left out")

	var patch map[string]any
	require.NoError(t, json.Unmarshal(parts[5].body, &patch))
	assert.Equal(t, map[string]any{
		"id": root, "trace_id": root, "dotted_order": "20240102T030405678901Z" + root,
		"end_time": "2024-01-02T03:04:06.678901Z",
	}, patch, "a patch carries its identity and only what it sets")
	assert.Equal(t, string(runs[2].Extra), string(parts[7].body))
	var errText string
	require.NoError(t, json.Unmarshal(parts[8].body, &errText))
	assert.Equal(t, runs[2].Error, errText, "a patch's error travels as a JSON string part")

	exact, err := multipartBody(testBoundary, runs)
	require.NoError(t, err)
	assert.Equal(t, string(body), string(exact), "multipartBody writes the same bytes")
	assert.Equal(t, len(exact), cap(exact), "in a buffer of the body's exact size")
}

// TestWriteMultipartBytes pins the exact wire form of one part, as the JS SDK writes it
// (research/langsmith-js-wire-capture.json).
func TestWriteMultipartBytes(t *testing.T) {
	id := uuid.MustParse("00000000-0000-0000-0123-456789abcdef")
	start := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	run := Run{ID: id, TraceID: id, DottedOrder: DottedSegment(start, id), Name: "r", RunType: RunTypeChain, StartTime: start,
		Inputs: json.RawMessage(`{"q":1}`)}
	got, err := multipartBody("b1", []Run{run})
	require.NoError(t, err)
	main := `{"id":"00000000-0000-0000-0123-456789abcdef","trace_id":"00000000-0000-0000-0123-456789abcdef",` +
		`"dotted_order":"20240102T030405678901Z00000000-0000-0000-0123-456789abcdef","name":"r","run_type":"chain",` +
		`"start_time":"2024-01-02T03:04:05.678901Z"}`
	want := "--b1\r\n" +
		"Content-Disposition: form-data; name=\"post.00000000-0000-0000-0123-456789abcdef\"\r\n" +
		"Content-Type: application/json; length=" + strconv.Itoa(len(main)) + "\r\n\r\n" +
		main + "\r\n" +
		"--b1\r\n" +
		"Content-Disposition: form-data; name=\"post.00000000-0000-0000-0123-456789abcdef.inputs\"\r\n" +
		"Content-Type: application/json; length=7\r\n\r\n" +
		`{"q":1}` + "\r\n" +
		"--b1--\r\n"
	assert.Equal(t, want, string(got))
}

func TestMultipartSize(t *testing.T) {
	runs := testRuns()
	for _, boundary := range []string{"b", testBoundary, string(bytes.Repeat([]byte("x"), MaxBoundaryLen))} {
		t.Run(strconv.Itoa(len(boundary)), func(t *testing.T) {
			body, err := multipartBody(boundary, runs)
			require.NoError(t, err)
			total := ClosingDelimiterSize(len(boundary))
			for i := range runs {
				one, err := multipartBody(boundary, runs[i:i+1])
				require.NoError(t, err)
				size := MultipartSize(&runs[i], len(boundary))
				assert.Equal(t, len(one)-ClosingDelimiterSize(len(boundary)), size, "run %d", i)
				assert.GreaterOrEqual(t, EncodedSize(&runs[i]), size, "EncodedSize bounds every boundary")
				assert.GreaterOrEqual(t, EncodedSize(&runs[i]), batchEncodedSize(&runs[i]), "and the batch encoding")
				total += size
			}
			assert.Equal(t, len(body), total)
		})
	}
}

func TestAppendMultipartErrors(t *testing.T) {
	good := testRuns()[:1]
	tests := []struct {
		name     string
		boundary string
		runs     []Run
		wantErr  string
	}{
		{name: "empty boundary", boundary: "", runs: good, wantErr: "1 to 70"},
		{name: "long boundary", boundary: string(bytes.Repeat([]byte("x"), 71)), runs: good, wantErr: "1 to 70"},
		{name: "boundary with quote", boundary: `a"b`, runs: good, wantErr: "invalid character"},
		{name: "boundary ending in space", boundary: "ab ", runs: good, wantErr: "invalid character"},
		{name: "run without dotted order", boundary: "b", runs: []Run{{ID: uuid.New(), TraceID: uuid.New()}}, wantErr: "run 0: run"},
		{name: "run without id", boundary: "b", runs: []Run{{}}, wantErr: "has no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("kept")
			got, err := AppendMultipart(dst, tt.boundary, tt.runs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, "kept", string(got), "nothing is appended to a body that cannot be written")
			_, err = multipartBody(tt.boundary, tt.runs)
			assert.Error(t, err)
		})
	}
}

func TestAppendBatchJSON(t *testing.T) {
	runs := testRuns()
	body := AppendBatchJSON(nil, runs)
	require.True(t, json.Valid(body), "%s", body)
	var batch struct {
		Post  []map[string]any `json:"post"`
		Patch []map[string]any `json:"patch"`
	}
	require.NoError(t, json.Unmarshal(body, &batch))
	require.Len(t, batch.Post, 2)
	require.Len(t, batch.Patch, 1)
	assert.Equal(t, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}}, batch.Post[0]["inputs"])
	assert.Equal(t, map[string]any{"metadata": map[string]any{"ls_provider": "openai", "ls_model_name": "gpt-4o"}}, batch.Post[0]["extra"])
	assert.Equal(t, runs[1].Error, batch.Post[1]["error"])
	assert.NotContains(t, batch.Post[1], "inputs")
	assert.Equal(t, map[string]any{"answer": "done"}, batch.Patch[0]["outputs"])
	assert.NotContains(t, batch.Patch[0], "name")

	// Every run's size is known in advance; the first run of each array has no separating comma.
	want := BatchOverheadSize - 2
	for i := range runs {
		want += batchEncodedSize(&runs[i])
	}
	assert.Len(t, body, want)

	assert.JSONEq(t, `{"post":[],"patch":[]}`, string(AppendBatchJSON(nil, nil)))
	assert.Len(t, AppendBatchJSON(nil, nil), BatchOverheadSize)
}

// AppendMultipart appends to what dst holds, and a buffer reused for a smaller body carries
// none of the earlier bytes.
func TestAppendMultipartReusesBuffer(t *testing.T) {
	runs := testRuns()
	buf := []byte("head:")
	for _, set := range [][]Run{runs, runs[1:2], runs[:1], runs[1:2]} {
		var err error
		buf, err = AppendMultipart(buf[:len("head:")], testBoundary, set)
		require.NoError(t, err)
		want, err := multipartBody(testBoundary, set)
		require.NoError(t, err)
		assert.Equal(t, "head:"+string(want), string(buf))
	}
}

// The main part's length is filled in after its body: whatever the guess of its digits, the
// header names the body's exact length (mainPartLen) and the body is where it belongs, for
// bodies from a few hundred bytes to past ten thousand.
func TestMainPartLengthBackfilled(t *testing.T) {
	id := uuid.MustParse("00000000-0000-0000-0123-456789abcdef")
	start := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	var p partPrefixes
	newPartPrefixes(&p, testBoundary)
	for _, extra := range []int{0, 1, 500, 560, 590, 599, 600, 650, 700, 9000, 9600, 9700, 20000} {
		for _, errLen := range []int{0, 700, 12000} {
			run := Run{ID: id, TraceID: id, DottedOrder: DottedSegment(start, id), Name: "r", RunType: RunTypeChain, StartTime: start,
				Error: strings.Repeat("e", errLen)}
			if extra > 0 {
				run.Extra = json.RawMessage(`{"k":"` + strings.Repeat("x", extra) + `"}`)
			}
			var fields [36]byte
			encodeUUID(&fields, run.ID)
			want := appendPartHeader([]byte("lead"), p.of(&run), &fields, "", mainPartLen(&run))
			want = append(want, '{')
			want = appendRunFields(want, &run)
			if len(run.Extra) > 0 {
				want = append(append(want, `,"extra":`...), run.Extra...)
			}
			if run.Error != "" {
				want = jsontext.AppendString(append(want, `,"error":`...), run.Error)
			}
			want = append(want, "}\r\n"...)
			got := appendMainPart([]byte("lead"), p.of(&run), &fields, &run)
			require.Equal(t, string(want), string(got), "extra %d, error %d", extra, errLen)
		}
	}
}
