// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/internal/synthetic"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

const testBoundary = "litetestboundary0123456789"

var testStart = time.Date(2026, 3, 4, 5, 0, 0, 123456789, time.UTC)

// testDecoder is the servers' zstd decoder, made once: the sink makes one at start.
var testDecoder = sync.OnceValue(func() *zstd.Decoder {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(4))
	if err != nil {
		panic(err)
	}
	return d
})

func newLiteServer(tb testing.TB) *server {
	tb.Helper()
	return &server{mode: "lite", apiKey: "k", runs: map[uuid.UUID]liteRun{}, accepted: map[string]int64{},
		status: map[int]int64{}, zdec: testDecoder()}
}

// exporterBody is a /runs/multipart body as the exporter sends the load's traces: runs
// translated from the agent spans (an invoke_agent root and chat children, perTrace spans a
// trace), children hung under their root as the assembly resolves them. first numbers the
// traces, so bodies with different first values share no run.
func exporterBody(tb testing.TB, first, traces, perTrace int) []byte {
	tb.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	synthetic.PutAgentResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(synthetic.AgentScope)
	opts := langsmith.Options{IDMode: langsmith.IDModeUUIDv7, DefaultProject: "bench"}
	var runs []langsmith.Run
	for t := range traces {
		var root langsmith.Run
		for i := range perTrace {
			span := ss.Spans().AppendEmpty()
			var tid pcommon.TraceID
			binary.BigEndian.PutUint64(tid[:8], uint64(first+t+1))
			span.SetTraceID(tid)
			var sid pcommon.SpanID
			binary.BigEndian.PutUint64(sid[:], uint64((first+t)*perTrace+i+1))
			span.SetSpanID(sid)
			start := testStart.Add(time.Duration(i) * time.Millisecond)
			span.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
			span.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
			if i == 0 {
				span.SetName("invoke_agent wallet-agent")
				synthetic.PutAgentRootAttributes(span.Attributes())
			} else {
				span.SetName("chat gpt-4o-mini")
				synthetic.PutChatAttributes(span.Attributes(), 800, 48)
			}
			run, err := langsmith.SpanToRun(rs.Resource(), ss.Scope(), span, opts)
			require.NoError(tb, err)
			if i == 0 {
				root = run
			} else {
				run.ParentRunID, run.TraceID = root.ID, root.ID
				run.DottedOrder = root.DottedOrder + "." + run.DottedOrder
			}
			runs = append(runs, run)
		}
	}
	body, err := langsmith.AppendMultipart(nil, testBoundary, runs)
	require.NoError(tb, err)
	return body
}

func zstdBody(tb testing.TB, body []byte) []byte {
	tb.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(1<<20))
	require.NoError(tb, err)
	return enc.EncodeAll(body, nil)
}

type liteAnswer struct {
	code int
	body string
}

func postLite(s *server, body []byte, encoding, key string) liteAnswer {
	req := httptest.NewRequest(http.MethodPost, "/runs/multipart", bytes.NewReader(body))
	req.Header.Set("Content-Type", langsmith.MultipartContentType(testBoundary))
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	req.Header.Set("X-Api-Key", key)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return liteAnswer{w.Code, w.Body.String()}
}

func summaryOf(t *testing.T, s *server) Summary {
	t.Helper()
	w := httptest.NewRecorder()
	s.summary(w, false)
	var sum Summary
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &sum))
	return sum
}

func TestLiteTakesExporterBodyOnce(t *testing.T) {
	s := newLiteServer(t)
	body := exporterBody(t, 0, 20, 5)
	z := zstdBody(t, body)
	assert.Equal(t, liteAnswer{http.StatusAccepted, `{"message":"accepted"}`}, postLite(s, z, "zstd", "k"))
	assert.Equal(t, http.StatusUnauthorized, postLite(s, z, "zstd", "wrong").code)
	// A second post of the same runs: the whole request refused, nothing stored twice.
	assert.Equal(t, liteAnswer{http.StatusConflict, `{"message":"Conflict: payload already received"}`}, postLite(s, z, "zstd", "k"))
	// Another request, of new runs and without Content-Encoding.
	other := exporterBody(t, 20, 2, 5)
	assert.Equal(t, http.StatusAccepted, postLite(s, other, "", "k").code)
	sum := summaryOf(t, s)
	assert.Equal(t, 110, sum.Runs)
	assert.Equal(t, 22, sum.Traces)
	assert.Equal(t, map[string]int{"5": 22}, sum.TraceSizes)
	assert.Equal(t, int64(100), sum.Conflicts)
	assert.Equal(t, int64(2), sum.ZstdRequests) // the 409 too; the 401 is refused before the body
	assert.Equal(t, int64(3), sum.Requests)
	assert.Zero(t, sum.MissingParent)
	assert.Zero(t, sum.BadRoot)
	assert.Zero(t, sum.PostsNot1)
	assert.Equal(t, map[string]int{"202": 2, "401": 1, "409": 1}, sum.ByStatus)
}

func TestLiteRefusesARunTwiceInOneRequest(t *testing.T) {
	s := newLiteServer(t)
	one := exporterBody(t, 0, 1, 5)
	two := exporterBody(t, 1, 1, 5)
	end := []byte("--" + testBoundary + "--\r\n")
	// one's runs, two's, then one's again: nothing of it is stored.
	body := append(append(bytes.Clone(one[:len(one)-len(end)]), two[:len(two)-len(end)]...), one...)
	assert.Equal(t, http.StatusConflict, postLite(s, body, "", "k").code)
	assert.Equal(t, http.StatusAccepted, postLite(s, two, "", "k").code)
	assert.Equal(t, http.StatusAccepted, postLite(s, one, "", "k").code)
	sum := summaryOf(t, s)
	assert.Equal(t, 10, sum.Runs)
	assert.Equal(t, int64(5), sum.Conflicts)
}

// part is one multipart part as the exporter frames it, with the Content-Type's length.
func part(name, data string) string {
	return "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
		"\"\r\nContent-Type: application/json; length=" + strconv.Itoa(len(data)) + "\r\n\r\n" + data + "\r\n"
}

func closing() string { return "--" + testBoundary + "--\r\n" }

const (
	tRoot   = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	tChild  = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
	tStamp  = "20260304T050000123456Z"
	tStamp2 = "20260304T050000123457Z"
)

func mainJSON(id, trace, parent, dotted, name, runType string) string {
	s := `{"id":"` + id + `","trace_id":"` + trace + `"`
	if parent != "" {
		s += `,"parent_run_id":"` + parent + `"`
	}
	return s + `,"dotted_order":"` + dotted + `","name":"` + name + `","run_type":"` + runType +
		`","start_time":"2026-03-04T05:00:00.123456","extra":{"metadata":{"k":"v"}}}`
}

// liteCases are bodies the lite sink takes or refuses, each for one of its checks.
func liteCases() map[string]string {
	rootDO := tStamp + tRoot
	childDO := rootDO + "." + tStamp2 + tChild
	good := part("post."+tRoot, mainJSON(tRoot, tRoot, "", rootDO, "agent", "chain")) +
		part("post."+tRoot+".inputs", `{"q":"x"}`) +
		part("post."+tChild, mainJSON(tChild, tRoot, tRoot, childDO, "chat", "llm")) +
		part("post."+tChild+".outputs", `{"a":"y"}`)
	return map[string]string{
		"good":             good + closing(),
		"patch":            good + part("patch."+tChild, `{"id":"`+tChild+`","trace_id":"`+tRoot+`","dotted_order":"`+childDO+`"}`) + closing(),
		"content-length":   "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"post." + tRoot + "\"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(mainJSON(tRoot, tRoot, "", rootDO, "a", "chain"))) + "\r\n\r\n" + mainJSON(tRoot, tRoot, "", rootDO, "a", "chain") + "\r\n" + closing(),
		"preamble":         "preamble\r\n" + good + closing(),
		"crlf in json":     part("post."+tRoot, mainJSON(tRoot, tRoot, "", rootDO, "agent", "chain")) + part("post."+tRoot+".inputs", "{\r\n}") + closing(),
		"bad length":       strings.Replace(good, "length=9\r\n", "length=8\r\n", 1) + closing(),
		"no content type":  strings.Replace(good, "Content-Type: application/json; length=9", "Content-Length: 9", 1) + closing(),
		"no name":          part("", `{}`) + closing(),
		"not json":         part("post."+tRoot, `xx`) + closing(),
		"bad part id":      part("post.1234", `{}`) + closing(),
		"upper part id":    part("post."+strings.ToUpper(tRoot), mainJSON(tRoot, tRoot, "", rootDO, "agent", "chain")) + closing(),
		"id mismatch":      part("post."+tRoot, mainJSON(tChild, tRoot, "", rootDO, "agent", "chain")) + closing(),
		"no name field":    part("post."+tRoot, mainJSON(tRoot, tRoot, "", rootDO, "", "chain")) + closing(),
		"no run_type":      part("post."+tRoot, mainJSON(tRoot, tRoot, "", rootDO, "agent", "")) + closing(),
		"bad trace_id":     part("post."+tRoot, mainJSON(tRoot, "nope", "", rootDO, "agent", "chain")) + closing(),
		"braced trace_id":  part("post."+tRoot, mainJSON(tRoot, "{"+tRoot+"}", "", rootDO, "agent", "chain")) + closing(),
		"short segment":    part("post."+tRoot, mainJSON(tRoot, tRoot, "", tStamp+"x", "agent", "chain")) + closing(),
		"no Z":             part("post."+tRoot, mainJSON(tRoot, tRoot, "", strings.Replace(rootDO, "Z", "Y", 1), "agent", "chain")) + closing(),
		"ends elsewhere":   part("post."+tChild, mainJSON(tChild, tRoot, tRoot, rootDO, "chat", "llm")) + closing(),
		"earlier segment":  part("post."+tChild, mainJSON(tChild, tRoot, tRoot, tStamp2+tRoot+"."+tStamp+tChild, "chat", "llm")) + closing(),
		"root of two":      part("post."+tRoot, mainJSON(tRoot, tRoot, "", rootDO+"."+tStamp2+tRoot, "agent", "chain")) + closing(),
		"root not trace":   part("post."+tChild, mainJSON(tChild, tRoot, "", tStamp+tChild, "chat", "llm")) + closing(),
		"bad parent":       part("post."+tChild, mainJSON(tChild, tRoot, "zz", childDO, "chat", "llm")) + closing(),
		"empty parent":     part("post."+tRoot, strings.Replace(mainJSON(tRoot, tRoot, "", rootDO, "agent", "chain"), `","dotted`, `","parent_run_id":"","dotted`, 1)) + closing(),
		"other parent":     part("post."+tChild, mainJSON(tChild, tRoot, tChild, childDO, "chat", "llm")) + closing(),
		"parent in extra":  part("post."+tRoot, strings.Replace(mainJSON(tRoot, tRoot, "", rootDO, "agent", "chain"), `"k":"v"`, `"parent_run_id":"`+tChild+`"`, 1)) + closing(),
		"name in extra":    part("post."+tRoot, strings.Replace(mainJSON(tRoot, tRoot, "", rootDO, "", "chain"), `"k":"v"`, `"name":"x"`, 1)) + closing(),
		"fields reordered": part("post."+tRoot, `{"trace_id":"`+tRoot+`","id":"`+tRoot+`","dotted_order":"`+rootDO+`","name":"a","run_type":"chain"}`) + closing(),
		"not an object":    part("post."+tRoot, `["x"]`) + closing(),
		"feedback":         part("feedback."+tRoot, `{}`) + closing(),
		"no delimiter":     "x",
		"no header end":    "--" + testBoundary + "\r\nContent-Type: application/json",
		"no closing":       strings.TrimSuffix(part("post."+tRoot, `{}`), "\r\n"),
		"bad delimiter":    "--" + testBoundary + "xx",
	}
}

func TestLiteChecks(t *testing.T) {
	want := map[string]int{"good": 202, "patch": 202, "content-length": 202, "preamble": 202, "crlf in json": 202,
		"feedback": 202, "fields reordered": 202, "braced trace_id": 202,
		"upper part id": 202, "empty parent": 202}
	for name, body := range liteCases() {
		t.Run(name, func(t *testing.T) {
			code := http.StatusBadRequest
			if c, ok := want[name]; ok {
				code = c
			}
			got := postLite(newLiteServer(t), []byte(body), "", "k")
			assert.Equal(t, code, got.code, got.body)
		})
	}
}

// TestLiteMatchesLegacy holds the lite handler to the one it replaced (legacy_test.go) on every
// case and on each case cut short: same answer, same summary.
func TestLiteMatchesLegacy(t *testing.T) {
	for name, body := range liteCases() {
		for _, cut := range []int{len(body), max(len(body)-3, 0), len(body) / 2} {
			compareLegacy(t, name+"/"+strconv.Itoa(cut), []byte(body[:cut]))
		}
	}
	compareLegacy(t, "exporter", exporterBody(t, 0, 10, 5))
}

func compareLegacy(t *testing.T, name string, body []byte) {
	t.Helper()
	s, old := newLiteServer(t), newLiteServer(t)
	for range 2 { // the second time, every post is a conflict
		got := postLite(s, body, "", "k")
		want := legacyPost(old, body)
		require.Equal(t, want, got, name)
	}
	require.Equal(t, summaryOf(t, old), summaryOf(t, s), name)
}

func FuzzLiteMatchesLegacy(f *testing.F) {
	for _, body := range liteCases() {
		f.Add([]byte(body))
	}
	f.Add(exporterBody(f, 0, 2, 5))
	f.Fuzz(func(t *testing.T, body []byte) {
		compareLegacy(t, "fuzz", body)
	})
}

// BenchmarkLiteMultipart is one exporter request of 100 runs (20 agent traces: the exporter
// keeps to the size_limit of 100 runs that the sink's /info gives), zstd as the exporter sends
// it, through the lite handler into a fresh store; ns/run is the cost of a run.
func BenchmarkLiteMultipart(b *testing.B) {
	const traces, perTrace = 20, 5
	z := zstdBody(b, exporterBody(b, 0, traces, perTrace))
	b.ReportAllocs()
	b.SetBytes(int64(len(z)))
	servers := 0
	for b.Loop() {
		s := newLiteServer(b)
		servers++
		if got := postLite(s, z, "zstd", "k"); got.code != http.StatusAccepted {
			b.Fatalf("status %d: %s", got.code, got.body)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(servers*traces*perTrace), "ns/run")
}

// TestScanLiteTakesExporterBodies: the exporter's bodies take the fast path (the differential
// tests above only show that it agrees when it does).
func TestScanLiteTakesExporterBodies(t *testing.T) {
	body := exporterBody(t, 0, 10, 5)
	posts, patches, ok := scanLite(body, testBoundary, nil, nil)
	require.True(t, ok)
	assert.Len(t, posts, 50)
	assert.Empty(t, patches)
	roots := 0
	for _, p := range posts {
		if !p.hasParent {
			roots++
			assert.Equal(t, p.id, p.trace)
		}
	}
	assert.Equal(t, 10, roots)
	for _, name := range []string{"good", "patch"} {
		_, _, ok := scanLite([]byte(liteCases()[name]), testBoundary, nil, nil)
		assert.True(t, ok, name)
	}
}
