package smithemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is an injectable Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testNow is the clock used by synthetic runs: timestamps below sit just
// before it.
var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// startEmu serves an emulator on a loopback test server.
func startEmu(t *testing.T, mutate func(*Config)) (*Server, *httptest.Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock(testNow)
	cfg := DefaultConfig()
	cfg.Now = clock.Now
	if mutate != nil {
		mutate(&cfg)
	}
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv, clock
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// send posts body to url with the given headers.
func send(t *testing.T, method, url string, body []byte, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("X-Api-Key") == "" {
		// The emulator, like LangSmith, refuses requests without a key; one that no test
		// configures is accepted when no keys are set and refused (401) when some are.
		req.Header.Set("X-Api-Key", "emu-test-default-key")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// ids used by synthetic traces.
const (
	rootID  = "0194c1f2-0000-7000-8000-000000000001"
	childID = "0194c1f2-0000-7000-8000-000000000002"
	grandID = "0194c1f2-0000-7000-8000-000000000003"
	otherID = "0194c1f2-0000-7000-8000-0000000000ff"
)

// seg formats a dotted_order segment for a time offset from testNow-1h.
func seg(offset time.Duration, id string) string {
	return dottedSegment(testNow.Add(-time.Hour+offset), id)
}

func iso(offset time.Duration) string {
	return testNow.Add(-time.Hour + offset).Format(time.RFC3339Nano)
}

// rootRun is a valid root post.
func rootRun() map[string]any {
	return map[string]any{
		"id": rootID, "trace_id": rootID, "name": "root", "run_type": "chain",
		"start_time": iso(0), "dotted_order": seg(0, rootID), "session_name": "proj",
	}
}

// childRun is a valid child of rootRun.
func childRun() map[string]any {
	return map[string]any{
		"id": childID, "trace_id": rootID, "parent_run_id": rootID, "name": "child", "run_type": "llm",
		"start_time": iso(time.Millisecond), "dotted_order": seg(0, rootID) + "." + seg(time.Millisecond, childID),
		"session_name": "proj",
	}
}

// grandRun is a valid child of childRun.
func grandRun() map[string]any {
	return map[string]any{
		"id": grandID, "trace_id": rootID, "parent_run_id": childID, "name": "grand", "run_type": "tool",
		"start_time":   iso(2 * time.Millisecond),
		"dotted_order": seg(0, rootID) + "." + seg(time.Millisecond, childID) + "." + seg(2*time.Millisecond, grandID),
		"session_name": "proj",
	}
}

func with(run map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range run {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// mpPart is one multipart part; headers are written verbatim.
type mpPart struct {
	name    string
	headers []string // "Key: value" lines besides Content-Disposition
	body    []byte
}

// jsonPart is a part the way the JS SDK writes it (length= parameter).
func jsonPart(t *testing.T, name string, v any) mpPart {
	b := mustJSON(t, v)
	return mpPart{name: name, headers: []string{fmt.Sprintf("Content-Type: application/json; length=%d", len(b))}, body: b}
}

// goPart is a part the way the Go and Python SDKs write it (Content-Length).
func goPart(t *testing.T, name string, v any) mpPart {
	b := mustJSON(t, v)
	return mpPart{name: name, headers: []string{"Content-Type: application/json", fmt.Sprintf("Content-Length: %d", len(b))}, body: b}
}

const testBoundary = "----SmithEmuTestBoundary7MA4YWxk"

func multipartBody(parts ...mpPart) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q\r\n", testBoundary, p.name)
		for _, h := range p.headers {
			b.WriteString(h + "\r\n")
		}
		b.WriteString("\r\n")
		b.Write(p.body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", testBoundary)
	return b.Bytes()
}

// runParts splits a run into post|patch.<id> and field parts as the SDKs do.
func runParts(t *testing.T, event string, run map[string]any) []mpPart {
	id := run["id"].(string)
	main := map[string]any{}
	var fields []mpPart
	for k, v := range run {
		switch k {
		case "inputs", "outputs", "events", "error", "extra", "serialized":
			fields = append(fields, jsonPart(t, event+"."+id+"."+k, v))
		default:
			main[k] = v
		}
	}
	return append([]mpPart{jsonPart(t, event+"."+id, main)}, fields...)
}

func postMultipart(t *testing.T, srv *httptest.Server, headers map[string]string, parts ...mpPart) response {
	t.Helper()
	h := map[string]string{"Content-Type": "multipart/form-data; boundary=" + testBoundary}
	for k, v := range headers {
		h[k] = v
	}
	return send(t, http.MethodPost, srv.URL+"/runs/multipart", multipartBody(parts...), h)
}

func postBatch(t *testing.T, srv *httptest.Server, headers map[string]string, posts, patches []map[string]any) response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	body := mustJSON(t, map[string]any{"post": posts, "patch": patches})
	return send(t, http.MethodPost, srv.URL+"/runs/batch", body, h)
}

func errMsg(r response) string {
	if s, ok := r.body["error"].(string); ok {
		return s
	}
	s, _ := r.body["detail"].(string)
	return s
}

func jsonReader(post map[string]any) io.Reader {
	b, _ := json.Marshal(map[string]any{"post": []any{post}})
	return bytes.NewReader(b)
}
