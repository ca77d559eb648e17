package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// postRun sends one run through the emulator's real ingestion route.
func postRun(t *testing.T, url, run string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/runs/batch", strings.NewReader(`{"post":[`+run+`]}`)) //nolint:noctx // test
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "page-test")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, string(body))
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // test
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestRunPage(t *testing.T) {
	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = map[string]string{"page-test": ""}
	emu := smithemu.New(cfg)
	srv := httptest.NewServer(newMux(emu, nil))
	t.Cleanup(srv.Close)

	start := time.Now().UTC().Add(-time.Second)
	id := "0192f3a0-0000-7000-8000-000000000001"
	dotted := start.Format("20060102T150405000000Z") + id
	postRun(t, srv.URL, fmt.Sprintf(`{"id":%q,"trace_id":%q,"dotted_order":%q,"name":"chat gpt-4o","run_type":"llm",
		"start_time":%q,"end_time":%q,"session_name":"demo","error":"rate limited\nretry",
		"inputs":{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]}]},
		"outputs":{"choices":[{"message":{"role":"assistant","content":"18°C and sunny."}}],"usage_metadata":{"input_tokens":42,"output_tokens":7,"total_tokens":49}},
		"extra":{"metadata":{"ls_model_name":"gpt-4o","user_id":"u-42"},"invocation_params":{"temperature":0.2}}}`,
		id, id, dotted, start.Format(time.RFC3339Nano), start.Add(300*time.Millisecond).Format(time.RFC3339Nano)))

	code, page := get(t, srv.URL+"/")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `href="/ui/runs/`+id+`"`, "the waterfall does not link the run")
	// The id's UUIDv7 millisecond field is not start_time: both pages say so.
	assert.Contains(t, page, "would not open")

	code, body := get(t, srv.URL+"/ui/runs/"+id)
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`<div class="msg system"><span class="role">system</span>Be brief.</div>`,
		`<div class="msg user"><span class="role">user</span>Weather in Paris?</div>`,
		`<div class="msg assistant"><span class="role">assistant</span>18°C and sunny.</div>`,
		`&#34;total_tokens&#34;: 49`,                // usage
		`&#34;ls_model_name&#34;: &#34;gpt-4o&#34;`, // metadata
		`&#34;temperature&#34;: 0.2`,                // invocation parameters
		"rate limited\nretry",                       // the whole error
		`class="tag error"`,
		`id="unopenable"`,
	} {
		assert.Contains(t, body, want)
	}

	code, _ = get(t, srv.URL+"/ui/runs/no-such-run")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want []chatMessage
	}{
		{"not a list", "hi", nil},
		{"string content", []any{map[string]any{"role": "user", "content": "hi"}}, []chatMessage{{"user", "hi"}}},
		{"langchain type", []any{map[string]any{"type": "ai", "content": "yo"}}, []chatMessage{{"ai", "yo"}}},
		{"text parts", []any{map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "a"}, map[string]any{"type": "text", "text": "b"},
		}}}, []chatMessage{{"user", "ab"}}},
		{"tool call without content", []any{map[string]any{"role": "assistant", "tool_calls": []any{"x"}}},
			[]chatMessage{{"assistant", "{\n  \"tool_calls\": [\n    \"x\"\n  ]\n}"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, messages(tc.in))
		})
	}
}

func TestScrapeCounters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		want    map[string]float64
		wantErr string
	}{
		{
			name:   "sums label sets and reads _total counters",
			status: http.StatusOK,
			body: "# HELP otelcol_exporter_queue_size x\n" +
				`otelcol_exporter_queue_size{exporter="langsmith"} 3` + "\n" +
				`otelcol_exporter_queue_size{exporter="debug"} 1` + "\n" +
				`otelcol_exporter_langsmith_assembly_spans_parked{exporter="langsmith"} 12` + "\n" +
				`otelcol_exporter_langsmith_runs_dead_lettered_total{exporter="langsmith",reason="4xx"} 2` + "\n" +
				`otelcol_receiver_refused_spans_total{receiver="otlp",transport="http"} 5` + "\n" +
				`otelcol_receiver_accepted_spans_total{receiver="otlp"} 999` + "\n",
			want: map[string]float64{"parked": 12, "queued": 4, "dead-lettered": 2, "refused": 5, "orphans": 0},
		},
		{name: "collector answers an error", status: http.StatusServiceUnavailable, wantErr: "503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			counters, errText := (&counterSource{url: srv.URL, client: srv.Client()}).read(t.Context())
			if tc.wantErr != "" {
				assert.Contains(t, errText, tc.wantErr)
				return
			}
			require.Empty(t, errText)
			got := map[string]float64{}
			for _, c := range counters {
				got[c.Label] = c.Value
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPageShowsCounters(t *testing.T) {
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `otelcol_exporter_langsmith_assembly_spans_parked{exporter="langsmith"} 7`+"\n")
	}))
	t.Cleanup(metrics.Close)
	emu := smithemu.New(smithemu.Config{})
	rec := httptest.NewRecorder()
	pageHandler(emu, &counterSource{url: metrics.URL, client: metrics.Client()}).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Contains(t, rec.Body.String(), `data-counter="parked">parked <b>7</b>`)

	metrics.Close() // a stopped collector blanks the counters, the page still renders
	rec = httptest.NewRecorder()
	pageHandler(emu, &counterSource{url: metrics.URL, client: &http.Client{}}).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "counters unavailable")
}
