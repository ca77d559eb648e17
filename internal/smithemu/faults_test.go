package smithemu

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaults(t *testing.T) {
	type step struct {
		route      string // "multipart" or "batch"
		status     int
		retryAfter string
	}
	tests := []struct {
		name   string
		faults []Fault
		steps  []step
	}{
		{
			name:   "429 with Retry-After",
			faults: []Fault{{Route: RouteMultipart, Status: 429, RetryAfter: 3}},
			steps:  []step{{"multipart", 429, "3"}, {"multipart", 202, ""}},
		},
		{
			name:   "429 without Retry-After",
			faults: []Fault{{Route: RouteIngest, Status: 429}},
			steps:  []step{{"batch", 429, ""}, {"batch", 202, ""}},
		},
		{
			name:   "503 twice then through",
			faults: []Fault{{Status: 503, Count: 2}},
			steps:  []step{{"multipart", 503, ""}, {"multipart", 503, ""}, {"multipart", 202, ""}},
		},
		{
			name:   "route match skips other routes",
			faults: []Fault{{Route: RouteBatch, Status: 500}},
			steps:  []step{{"multipart", 202, ""}, {"batch", 500, ""}},
		},
		{
			name:   "queue order",
			faults: []Fault{{Route: RouteMultipart, Status: 502}, {Route: RouteMultipart, Status: 504}, {Route: RouteMultipart, Status: 408}},
			steps:  []step{{"multipart", 502, ""}, {"multipart", 504, ""}, {"multipart", 408, ""}, {"multipart", 202, ""}},
		},
		{
			name:   "injected 413 and 409",
			faults: []Fault{{Status: 413}, {Status: 409}},
			steps:  []step{{"multipart", 413, ""}, {"multipart", 409, ""}, {"multipart", 202, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, _ := startEmu(t, nil)
			s.InjectFaults(tt.faults...)
			for i, st := range tt.steps {
				before := len(s.Runs(""))
				var r response
				if st.route == "batch" {
					r = postBatch(t, srv, nil, []map[string]any{rootRun()}, nil)
				} else {
					r = postMultipart(t, srv, nil, runParts(t, "post", rootRun())...)
				}
				require.Equal(t, st.status, r.status, "step %d: %s", i, r.raw)
				assert.Equal(t, st.retryAfter, r.header.Get("Retry-After"), "step %d", i)
				if st.status != 202 {
					assert.Len(t, s.Runs(""), before, "a faulted request stores nothing")
				}
			}
			assert.Len(t, s.Runs(""), 1)
			assert.Empty(t, s.PendingFaults())
		})
	}
}

func TestFaultReset(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	s.InjectFaults(Fault{Route: RouteMultipart, Reset: true})
	body := multipartBody(runParts(t, "post", with(rootRun(), "inputs", map[string]any{"big": strings.Repeat("x", 1<<20)}))...)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/runs/multipart", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	require.Error(t, err, "the connection must drop without a response")
	assert.Empty(t, s.Runs(""))
	// The request is logged when its handler returns, which can be just after the client has
	// seen the connection drop.
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, 5*time.Millisecond)
	log := s.Requests()
	assert.Equal(t, "reset", log[0].Fault)
	assert.Zero(t, log[0].Status)

	// The retry goes through.
	r := postMultipart(t, srv, nil, runParts(t, "post", rootRun())...)
	assert.Equal(t, http.StatusAccepted, r.status)
}

func TestFaultLatency(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	const latency = 80 * time.Millisecond
	s.InjectFaults(Fault{Route: RouteMultipart, Latency: latency}, Fault{Route: RouteMultipart, Latency: 10 * time.Second, Status: 500})

	began := time.Now()
	r := postMultipart(t, srv, nil, runParts(t, "post", rootRun())...)
	assert.Equal(t, http.StatusAccepted, r.status)
	assert.GreaterOrEqual(t, time.Since(began), latency)

	// A client that gives up first sees a timeout; the server does not
	// hold the handler for the full latency.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/runs/multipart",
		bytes.NewReader(multipartBody(runParts(t, "post", childRun())...)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Len(t, s.Runs(""), 1)
}

func TestFaultsOverHTTP(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	r := send(t, http.MethodPost, srv.URL+"/_emu/faults",
		[]byte(`[{"route":"batch","status":503,"count":2,"retry_after":1},{"route":"info","latency":"5ms","status":500},{"latency":7}]`), nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	pending := s.PendingFaults()
	require.Len(t, pending, 3)
	assert.Equal(t, Fault{Route: RouteBatch, Status: 503, Count: 2, RetryAfter: 1}, pending[0])
	assert.Equal(t, 5*time.Millisecond, pending[1].Latency)
	assert.Equal(t, 7*time.Millisecond, pending[2].Latency)

	var listed []Fault
	resp, err := http.Get(srv.URL + "/_emu/faults")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&listed))
	_ = resp.Body.Close()
	assert.Equal(t, pending, listed)

	assert.Equal(t, 500, send(t, http.MethodGet, srv.URL+"/info", nil, nil).status)
	assert.Equal(t, 200, send(t, http.MethodGet, srv.URL+"/api/v1/info", nil, nil).status)
	r = send(t, http.MethodPost, srv.URL+"/_emu/faults", []byte(`{"route":"nowhere","status":500}`), nil)
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = send(t, http.MethodDelete, srv.URL+"/_emu/faults", nil, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, s.PendingFaults())
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		header     string
	}{
		{"without Retry-After", 0, ""},
		{"with Retry-After rounded up", 1500 * time.Millisecond, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, clock := startEmu(t, nil)
			s.SetRateLimit(2, 2, tt.retryAfter)
			post := func(key string) response {
				return postBatch(t, srv, map[string]string{"X-Api-Key": key}, nil, []map[string]any{with(rootRun(), "tags", []any{"x"})})
			}
			assert.Equal(t, 202, post("a").status)
			assert.Equal(t, 202, post("a").status)
			r := post("a")
			assert.Equal(t, 429, r.status)
			assert.Equal(t, tt.header, r.header.Get("Retry-After"))
			assert.Equal(t, "rate_limited", s.Requests()[2].Fault)
			assert.Equal(t, 202, post("b").status, "buckets are per key")
			// /info is not rate limited.
			assert.Equal(t, 200, send(t, http.MethodGet, srv.URL+"/info", nil, map[string]string{"X-Api-Key": "a"}).status)

			clock.Advance(30 * time.Second) // refills one token at 2/min
			assert.Equal(t, 202, post("a").status)
			assert.Equal(t, 429, post("a").status)
		})
	}

	s, srv, _ := startEmu(t, nil)
	r := send(t, http.MethodPost, srv.URL+"/_emu/ratelimit", []byte(`{"per_minute":1,"burst":1,"retry_after":4}`), nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, 202, postMultipart(t, srv, nil, runParts(t, "post", rootRun())...).status)
	r = postMultipart(t, srv, nil, runParts(t, "post", childRun())...)
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "4", r.header.Get("Retry-After"))
	s.SetRateLimit(0, 0, 0)
	assert.Equal(t, 202, postMultipart(t, srv, nil, runParts(t, "post", childRun())...).status)
}

func TestInfo(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*Config)
		want map[string]any
	}{
		{"defaults", nil, map[string]any{
			"use_multipart_endpoint": true, "size_limit": float64(100), "size_limit_bytes": float64(20 << 20),
			"zstd_compression_enabled": true, "gzip_body_enabled": false}},
		{"configured", func(c *Config) {
			c.SizeLimit, c.SizeLimitBytes, c.AdvertiseNoMultipart, c.DisableZstd, c.GzipBodyEnabled = 10, 1000, true, true, true
		}, map[string]any{
			"use_multipart_endpoint": false, "size_limit": float64(10), "size_limit_bytes": float64(1000),
			"zstd_compression_enabled": false, "gzip_body_enabled": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv, _ := startEmu(t, tt.cfg)
			for _, path := range []string{"/info", "/api/v1/info"} {
				r := send(t, http.MethodGet, srv.URL+path, nil, nil)
				require.Equal(t, 200, r.status)
				assert.NotEmpty(t, r.body["version"])
				bic := r.body["batch_ingest_config"].(map[string]any)
				flags := r.body["instance_flags"].(map[string]any)
				got := map[string]any{
					"use_multipart_endpoint": bic["use_multipart_endpoint"], "size_limit": bic["size_limit"],
					"size_limit_bytes": bic["size_limit_bytes"], "zstd_compression_enabled": flags["zstd_compression_enabled"],
					"gzip_body_enabled": flags["gzip_body_enabled"]}
				assert.Equal(t, tt.want, got)
			}
		})
	}
	// The zero Config is usable too.
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	assert.Equal(t, 200, send(t, http.MethodGet, srv.URL+"/info", nil, nil).status)
}

// TestFaultForOneKey: a fault limited to one API key leaves other keys' requests alone, as an
// outage of one workspace would.
func TestFaultForOneKey(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	s.InjectFaults(Fault{Route: RouteMultipart, APIKey: "key-down", Status: http.StatusServiceUnavailable, Count: 2})
	up := postMultipart(t, srv, map[string]string{"X-Api-Key": "key-up"}, runParts(t, "post", rootRun())...)
	require.Equal(t, http.StatusAccepted, up.status, up.raw)
	require.Len(t, s.PendingFaults(), 1, "another key's request does not use up the fault")
	down := postMultipart(t, srv, map[string]string{"X-Api-Key": "key-down"}, runParts(t, "post", rootRun())...)
	assert.Equal(t, http.StatusServiceUnavailable, down.status, down.raw)
	assert.Equal(t, 1, s.PendingFaults()[0].Count)
}
