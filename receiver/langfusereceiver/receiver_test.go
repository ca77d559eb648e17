// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracebridge/tracebridge/internal/tenantauth"
	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadatatest"
	"github.com/tracebridge/tracebridge/translator/conventions"
)

const (
	keyTeamA     = "caw_key_team_a"
	keyUnscoped  = "caw_key_unscoped"
	keyTenantB   = "caw_key_tenant_b"
	validRecord  = `{"trace_id":"1c563dcf980b449abb0dcbeaf1784e81","span_id":"00f067aa0ba902b7","span_name":"exec:caw","start_time_unix_nano":1795527349084000000,"end_time_unix_nano":1795527349588000000}`
	validSession = `{"name":"session:1","session_id":"s-1","children":[{"name":"turn:0","children":[{"name":"exec"}]},{"name":"turn:1"}]}`
)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ServerConfig.NetAddr.Endpoint = "localhost:0"
	cfg.APIKeys = []APIKey{{Key: keyTeamA, Project: "team-a"}, {Key: keyUnscoped}}
	return cfg
}

// testServer serves the receiver's confighttp handler from an httptest.Server, so the whole
// HTTP stack (decompression, body limit, error handler) is in the path.
func testServer(t *testing.T, cfg *Config, next consumer.Traces) (*httptest.Server, *componenttest.Telemetry) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newReceiver(cfg, metadatatest.NewSettings(tel), next)
	require.NoError(t, err)
	t.Cleanup(r.telemetry.Shutdown)
	srv, err := r.newServer(t.Context(), nil)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler)
	t.Cleanup(ts.Close)
	return ts, tel
}

type envelope struct {
	Success *bool `json:"success"`
	Error   struct {
		Detail []struct {
			Loc   []any          `json:"loc"`
			Msg   string         `json:"msg"`
			Type  string         `json:"type"`
			Input any            `json:"input"`
			Ctx   map[string]any `json:"ctx"`
		} `json:"detail"`
	} `json:"error"`
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.String()
}

func TestHTTP(t *testing.T) {
	type request struct {
		method, path, body string
		header             map[string]string
	}
	post := func(path, body string) request {
		return request{method: http.MethodPost, path: path, body: body, header: map[string]string{
			"Content-Type": "application/json", "X-API-Key": keyTeamA,
		}}
	}
	with := func(r request, k, v string) request {
		h := maps.Clone(r.header)
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		r.header = h
		return r
	}
	tests := []struct {
		name       string
		req        request
		cfg        func(*Config)
		next       consumer.Traces // nil: a TracesSink
		wantStatus int
		wantSpans  int
		wantLocs   []string // JSON of each detail's loc
		wantTypes  []string
		wantHeader map[string]string
	}{
		{name: "raw record", req: post(pathRaw, validRecord), wantStatus: http.StatusNoContent, wantSpans: 1},
		{name: "telemetry record", req: post(pathTelemetry, validRecord), wantStatus: http.StatusNoContent, wantSpans: 1},
		{name: "no content type reads as JSON", req: with(post(pathRaw, validRecord), "Content-Type", ""), wantStatus: http.StatusNoContent, wantSpans: 1},
		{name: "JSON with charset", req: with(post(pathRaw, validRecord), "Content-Type", "application/json; charset=utf-8"), wantStatus: http.StatusNoContent, wantSpans: 1},
		{name: "array", req: post(pathRaw, "["+validRecord+",{},{}]"), wantStatus: http.StatusNoContent, wantSpans: 3},
		{name: "empty array", req: post(pathRaw, "[]"), wantStatus: http.StatusNoContent, wantSpans: 0},
		{
			name:       "NDJSON",
			req:        with(post(pathRaw, validRecord+"\n{}\n\n{}\n"), "Content-Type", "application/x-ndjson"),
			wantStatus: http.StatusNoContent, wantSpans: 3,
		},
		{name: "session tree", req: post(pathSession, validSession), wantStatus: http.StatusNoContent, wantSpans: 4},
		{
			name:       "gzip body",
			req:        with(post(pathRaw, gzipped(t, validRecord)), "Content-Encoding", "gzip"),
			wantStatus: http.StatusNoContent, wantSpans: 1,
		},
		{
			name:       "missing key",
			req:        with(post(pathRaw, validRecord), "X-API-Key", ""),
			wantStatus: http.StatusUnauthorized, wantLocs: []string{`["header","x-api-key"]`}, wantTypes: []string{"missing"},
		},
		{
			name:       "unknown key",
			req:        with(post(pathRaw, validRecord), "X-API-Key", "caw_guess"),
			wantStatus: http.StatusUnauthorized, wantLocs: []string{`["header","x-api-key"]`}, wantTypes: []string{"invalid_api_key"},
		},
		{
			name:       "unknown path",
			req:        post("/api/v1/telemetry/rawx", validRecord),
			wantStatus: http.StatusNotFound, wantLocs: []string{`["path"]`}, wantTypes: []string{"not_found"},
		},
		{
			name:       "wrong method",
			req:        request{method: http.MethodGet, path: pathRaw},
			wantStatus: http.StatusMethodNotAllowed, wantLocs: []string{`["method"]`}, wantTypes: []string{"method_not_allowed"},
			wantHeader: map[string]string{"Allow": "POST"},
		},
		{
			name:       "POST to config",
			req:        post(pathConfig, "{}"),
			wantStatus: http.StatusMethodNotAllowed, wantLocs: []string{`["method"]`}, wantTypes: []string{"method_not_allowed"},
			wantHeader: map[string]string{"Allow": "GET, HEAD"},
		},
		{
			name:       "body over the limit",
			req:        post(pathRaw, "["+strings.Repeat(validRecord+",", 10)+"{}]"),
			cfg:        func(c *Config) { c.ServerConfig.MaxRequestBodySize = 512 },
			wantStatus: http.StatusRequestEntityTooLarge, wantLocs: []string{`["body"]`}, wantTypes: []string{"too_large"},
		},
		{
			name:       "gzip body over the limit once inflated",
			req:        with(post(pathRaw, gzipped(t, "["+strings.Repeat(validRecord+",", 50)+"{}]")), "Content-Encoding", "gzip"),
			cfg:        func(c *Config) { c.ServerConfig.MaxRequestBodySize = 2048 },
			wantStatus: http.StatusRequestEntityTooLarge, wantLocs: []string{`["body"]`}, wantTypes: []string{"too_large"},
		},
		{
			name:       "too many records",
			req:        post(pathRaw, "[{},{},{}]"),
			cfg:        func(c *Config) { c.MaxRecordsPerRequest = 2 },
			wantStatus: http.StatusRequestEntityTooLarge, wantLocs: []string{`["body"]`}, wantTypes: []string{"too_long"},
		},
		{
			name: "too many JSON nodes",
			// 66005 nodes: one record may hold NodeBudget(1) = MinNodes = 65536.
			req:        post(pathRaw, `{"extra":{`+strings.Repeat(`"k":0,`, 33000)+`"k":0}}`),
			cfg:        func(c *Config) { c.MaxRecordsPerRequest = 1 },
			wantStatus: http.StatusRequestEntityTooLarge, wantLocs: []string{`["body"]`}, wantTypes: []string{"too_long"},
		},
		{
			name:       "session deeper than 256 levels",
			req:        post(pathSession, strings.Repeat(`{"children":[`, 256)+`{}`+strings.Repeat(`]}`, 256)),
			wantStatus: http.StatusUnprocessableEntity,
			wantLocs:   []string{`["body"` + strings.Repeat(`,"children",0`, 256) + `]`}, wantTypes: []string{"value_error"},
		},
		{
			name:       "JSON nested deeper than 1024 levels",
			req:        post(pathRaw, `{"extra":`+strings.Repeat("[", 1024)+strings.Repeat("]", 1024)+`}`),
			wantStatus: http.StatusUnprocessableEntity, wantLocs: []string{`["body",1032]`}, wantTypes: []string{"json_invalid"},
		},
		{
			name:       "100 problems listed, the rest counted",
			req:        post(pathRaw, "["+strings.Repeat("1,", 149)+"1]"),
			wantStatus: http.StatusUnprocessableEntity,
			wantLocs: func() []string {
				var locs []string
				for i := range 100 {
					locs = append(locs, fmt.Sprintf(`["body",%d]`, i))
				}
				return append(locs, `["body"]`)
			}(),
			wantTypes: append(slices.Repeat([]string{"model_attributes_type"}, 100), "too_many_errors"),
		},
		{
			name:       "text/plain",
			req:        with(post(pathRaw, validRecord), "Content-Type", "text/plain"),
			wantStatus: http.StatusUnsupportedMediaType, wantLocs: []string{`["header","content-type"]`}, wantTypes: []string{"unsupported_media_type"},
		},
		{
			name:       "NDJSON to the session endpoint",
			req:        with(post(pathSession, validSession), "Content-Type", "application/x-ndjson"),
			wantStatus: http.StatusUnsupportedMediaType, wantLocs: []string{`["header","content-type"]`}, wantTypes: []string{"unsupported_media_type"},
		},
		{
			name:       "unsupported Content-Encoding",
			req:        with(post(pathRaw, validRecord), "Content-Encoding", "br"),
			wantStatus: http.StatusBadRequest, wantLocs: []string{`["header","content-encoding"]`}, wantTypes: []string{"bad_request"},
		},
		{
			name:       "malformed JSON",
			req:        post(pathRaw, `{"span_id": }`),
			wantStatus: http.StatusUnprocessableEntity, wantLocs: []string{`["body",12]`}, wantTypes: []string{"json_invalid"},
		},
		{
			name:       "invalid fields",
			req:        post(pathRaw, `{"span_id": 7, "level": "TRACE", "start_time_unix_nano": "1"}`),
			wantStatus: http.StatusUnprocessableEntity,
			wantLocs:   []string{`["body","span_id"]`, `["body","start_time_unix_nano"]`, `["body","level"]`},
			wantTypes:  []string{"string_type", "int_type", "enum"},
		},
		{
			name:       "one bad record rejects the array",
			req:        post(pathRaw, "[{},{},{},{\"span_id\":\"zz\"}]"),
			wantStatus: http.StatusUnprocessableEntity, wantLocs: []string{`["body",3,"span_id"]`}, wantTypes: []string{"value_error"},
		},
		{
			name:       "one bad line rejects the NDJSON",
			req:        with(post(pathRaw, "{}\n{\"error\":\"yes\"}\n"), "Content-Type", "application/x-ndjson"),
			wantStatus: http.StatusUnprocessableEntity, wantLocs: []string{`["body",1,"error"]`}, wantTypes: []string{"bool_type"},
		},
		{
			name:       "bad session child",
			req:        post(pathSession, `{"children":[{"children":[{"duration_ms":"1"}]}]}`),
			wantStatus: http.StatusUnprocessableEntity,
			wantLocs:   []string{`["body","children",0,"children",0,"duration_ms"]`}, wantTypes: []string{"float_type"},
		},
		{
			name:       "backpressure",
			req:        post(pathRaw, validRecord),
			cfg:        func(c *Config) { c.RetryAfter = 1500 * time.Millisecond },
			next:       consumertest.NewErr(errors.New("sending queue is full")),
			wantStatus: http.StatusServiceUnavailable, wantLocs: []string{`[]`}, wantTypes: []string{"unavailable"},
			wantHeader: map[string]string{"Retry-After": "2"},
		},
		{
			name:       "pipeline says too many requests",
			req:        post(pathRaw, validRecord),
			next:       consumertest.NewErr(consumererror.NewOTLPHTTPError(errors.New("throttled"), http.StatusTooManyRequests)),
			wantStatus: http.StatusTooManyRequests, wantLocs: []string{`[]`}, wantTypes: []string{"unavailable"},
			wantHeader: map[string]string{"Retry-After": "1"},
		},
		{
			name:       "permanent pipeline error",
			req:        post(pathRaw, validRecord),
			next:       consumertest.NewErr(consumererror.NewPermanent(errors.New("cannot be exported"))),
			wantStatus: http.StatusBadRequest, wantLocs: []string{`["body"]`}, wantTypes: []string{"rejected"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			sink := new(consumertest.TracesSink)
			next := tt.next
			if next == nil {
				next = sink
			}
			ts, _ := testServer(t, cfg, next)

			req, err := http.NewRequestWithContext(t.Context(), tt.req.method, ts.URL+tt.req.path, strings.NewReader(tt.req.body))
			require.NoError(t, err)
			for k, v := range tt.req.header {
				req.Header.Set(k, v)
			}
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())

			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			assert.Equal(t, tt.wantSpans, sink.SpanCount())
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, resp.Header.Get(k), k)
			}
			if resp.StatusCode == http.StatusNoContent {
				assert.Empty(t, body)
				return
			}
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var env envelope
			require.NoError(t, json.Unmarshal(body, &env), string(body))
			require.NotNil(t, env.Success)
			assert.False(t, *env.Success)
			var locs, types []string
			for _, d := range env.Error.Detail {
				loc, err := json.Marshal(d.Loc)
				require.NoError(t, err)
				locs = append(locs, string(loc))
				types = append(types, d.Type)
				assert.NotEmpty(t, d.Msg)
			}
			assert.Equal(t, tt.wantLocs, locs)
			assert.Equal(t, tt.wantTypes, types)
		})
	}
}

func TestConfigEndpoint(t *testing.T) {
	ts, _ := testServer(t, testConfig(), new(consumertest.TracesSink))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+pathConfig, http.NoBody)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", keyUnscoped)
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	var got map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, true, got["enabled"])
	assert.Empty(t, got["upload_url"])
	assert.Equal(t, map[string]any{"enabled": true, "upload_url": ""}, got["result"])
}

// TestTenantOnContext: a key's tenant or project reaches the pipeline on the context
// (client.Info.Auth), and nothing in a body stamps one, nor can a header forge one.
func TestTenantOnContext(t *testing.T) {
	cfg := testConfig()
	cfg.APIKeys = append(cfg.APIKeys, APIKey{Key: keyTenantB, Tenant: "team-b"})
	sink := new(consumertest.TracesSink)
	ts, _ := testServer(t, cfg, sink)
	tests := []struct {
		name        string
		key, path   string
		body        string
		wantTenant  string
		wantProject string
	}{
		{name: "raw records with forged extras", key: keyTeamA, path: pathRaw, body: `[{"extra":{"tracebridge.tenant.project":"team-b","tracebridge.tenant":"team-b"}},{}]`, wantProject: "team-a"},
		{name: "shared key", key: keyUnscoped, path: pathRaw, body: `{}`},
		{name: "session with forged attributes", key: keyTeamA, path: pathSession, body: `{"attributes":{"tracebridge.tenant.project":"team-b"},"children":[{}]}`, wantProject: "team-a"},
		{name: "tenant key", key: keyTenantB, path: pathRaw, body: `{}`, wantTenant: "team-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink.Reset()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("X-API-Key", tt.key)
			req.Header.Set("Authorization", "Bearer forged")
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, http.StatusNoContent, resp.StatusCode)

			require.Len(t, sink.AllTraces(), 1)
			td := sink.AllTraces()[0]
			require.Equal(t, 1, td.ResourceSpans().Len(), "one request, one resource")
			_, stamped := td.ResourceSpans().At(0).Resource().Attributes().Get(conventions.TenantProject)
			assert.False(t, stamped, "the tenant travels on the context, not in the data")
			for _, span := range td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().All() {
				for k := range span.Attributes().All() {
					assert.NotEqual(t, conventions.TenantProject, k, "a body cannot set a tenant stamp")
				}
			}
			identity, ok := tenantauth.FromContext(sink.Contexts()[0])
			require.True(t, ok, "every accepted key's identity is on the context")
			assert.Equal(t, tt.wantTenant, identity.Tenant())
			assert.Equal(t, tt.wantProject, identity.Project())
			svc, _ := td.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
			assert.Equal(t, "langfuse-receiver", svc.Str())
		})
	}
}

func TestRejectedMetric(t *testing.T) {
	ts, tel := testServer(t, testConfig(), consumertest.NewErr(errors.New("busy")))
	do := func(key, body string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+pathRaw, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-API-Key", key)
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	do("nope", validRecord)
	do(keyTeamA, `{"level":1}`)
	do(keyTeamA, `{"level":2}`)
	do(keyTeamA, validRecord)

	rejected, err := tel.GetMetric("otelcol_receiver_langfuse_requests_rejected")
	require.NoError(t, err)
	byReason := map[string]int64{}
	for _, dp := range rejected.Data.(metricdata.Sum[int64]).DataPoints {
		r, _ := dp.Attributes.Value("reason")
		byReason[r.AsString()] = dp.Value
	}
	assert.Equal(t, map[string]int64{"auth": 1, "validation": 2, "backpressure": 1}, byReason)

	// obsreport counts the span the pipeline refused.
	refused, err := tel.GetMetric("otelcol_receiver_refused_spans")
	require.NoError(t, err)
	sum, ok := refused.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	require.Len(t, sum.DataPoints, 1)
	assert.Equal(t, int64(1), sum.DataPoints[0].Value)
}

// blockingConsumer holds ConsumeTraces until released, to keep a request in flight.
type blockingConsumer struct {
	consumertest.TracesSink
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (c *blockingConsumer) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	c.once.Do(func() { close(c.entered) })
	<-c.release
	return c.TracesSink.ConsumeTraces(ctx, td)
}

func TestShutdownDrainsInFlight(t *testing.T) {
	next := &blockingConsumer{entered: make(chan struct{}), release: make(chan struct{})}
	cfg := testConfig()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newReceiver(cfg, metadatatest.NewSettings(tel), next)
	require.NoError(t, err)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	url := "http://" + r.addr.String() + pathRaw

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(validRecord))
		req.Header.Set("X-API-Key", keyTeamA)
		resp, reqErr := client.Do(req)
		if reqErr != nil {
			status <- -1
			return
		}
		_ = resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-next.entered

	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- r.Shutdown(context.Background()) }()

	// The listener closes at once: new connections are refused while the request drains.
	assert.Eventually(t, func() bool {
		conn, dialErr := net.Dial("tcp", r.addr.String())
		if dialErr == nil {
			_ = conn.Close()
		}
		return dialErr != nil
	}, 5*time.Second, 5*time.Millisecond)
	select {
	case err := <-shutdownErr:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}

	close(next.release)
	assert.Equal(t, http.StatusNoContent, <-status, "the in-flight request gets its real answer")
	require.NoError(t, <-shutdownErr)
	assert.Equal(t, 1, next.SpanCount())
}

// ctxConsumer holds ConsumeTraces until its context ends, as a pipeline does that gives up
// when told to.
type ctxConsumer struct {
	consumertest.TracesSink
	entered chan struct{}
	once    sync.Once
}

func (c *ctxConsumer) ConsumeTraces(ctx context.Context, _ ptrace.Traces) error {
	c.once.Do(func() { close(c.entered) })
	<-ctx.Done()
	return ctx.Err()
}

func TestShutdownPastItsDeadline(t *testing.T) {
	next := &ctxConsumer{entered: make(chan struct{})}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newReceiver(testConfig(), metadatatest.NewSettings(tel), next)
	require.NoError(t, err)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))

	type answer struct {
		status     int
		retryAfter string
	}
	answers := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+r.addr.String()+pathRaw, strings.NewReader(validRecord))
		req.Header.Set("X-API-Key", keyTeamA)
		resp, reqErr := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if reqErr != nil {
			answers <- answer{status: -1}
			return
		}
		_ = resp.Body.Close()
		answers <- answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	}()
	<-next.entered

	// The grace period ends with the request still in the pipeline: Shutdown says so, and the
	// request, told to give up, answers 503 rather than 204 for data nobody took.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.Shutdown(ctx), context.DeadlineExceeded)
	assert.True(t, r.handlersStopped())
	got := <-answers
	assert.Equal(t, answer{status: http.StatusServiceUnavailable, retryAfter: "1"}, got)
	assert.Zero(t, next.SpanCount())
}

func TestStoppedReceiverAnswers503(t *testing.T) {
	sink := new(consumertest.TracesSink)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newReceiver(testConfig(), metadatatest.NewSettings(tel), sink)
	require.NoError(t, err)
	srv, err := r.newServer(t.Context(), nil)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler)
	t.Cleanup(ts.Close)
	// Never started, nothing in flight: Shutdown only stops the handlers, and succeeds even
	// with a context already over, and twice.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, r.Shutdown(done))
	require.NoError(t, r.Shutdown(done))

	// A request that arrives afterwards is not handled.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+pathRaw, strings.NewReader(validRecord))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", keyTeamA)
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"success":false,"error":{"detail":[{"loc":[],"msg":"The receiver is shutting down, retry after 1 s",`+
		`"type":"unavailable","input":null,"ctx":{"retry_after":1}}]}}`, string(body))

	// One that was already being handled does not reach the pipeline either.
	w := httptest.NewRecorder()
	r.consume(t.Context(), w, formatRecordsJSON, ptrace.NewTraces())
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Zero(t, sink.SpanCount())
	assert.Empty(t, sink.AllTraces())
}

func TestReadAll(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name      string
		announced int64
		sent      int
		maxCap    int // the buffer's capacity at the end
	}{
		{name: "announced and sent", announced: 100, sent: 100, maxCap: 101},
		{name: "empty", announced: 0, sent: 0, maxCap: 1},
		{name: "20 MiB announced, little sent", announced: 20 * mib, sent: 10, maxCap: mib + 1},
		{name: "20 MiB announced and sent: a buffer of its size", announced: 20 * mib, sent: 20 * mib, maxCap: 20*mib + 1},
		{name: "unknown length", announced: -1, sent: 3 * mib, maxCap: 4*mib + 4},
		{name: "more sent than announced", announced: 10, sent: 5000, maxCap: 5000 * 2},
		{name: "less sent than announced", announced: 3 * mib, sent: mib + 7, maxCap: 2*mib + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("x"), tt.sent)
			got, err := readAll(iotest{r: bytes.NewReader(data)}, tt.announced, nil)
			require.NoError(t, err)
			assert.Equal(t, data, got)
			assert.LessOrEqual(t, cap(got), tt.maxCap)
		})
	}
	_, err := readAll(iotest{r: strings.NewReader("abc"), err: io.ErrUnexpectedEOF}, 10, nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// A pooled start buffer is used when the announced body fits in it, whatever it held before;
// a body longer than announced (decompressed) grows out of it and leaves it as it was.
func TestReadAllIntoStartBuffer(t *testing.T) {
	start := append(make([]byte, 0, 64), "stale bytes of an earlier request"...)
	got, err := readAll(iotest{r: strings.NewReader("abc")}, 3, start)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(got))
	assert.Same(t, &start[:1][0], &got[0], "the start buffer is used")

	long := strings.Repeat("y", 200)
	start = make([]byte, 0, 64)
	got, err = readAll(iotest{r: strings.NewReader(long)}, 10, start)
	require.NoError(t, err)
	assert.Equal(t, long, string(got))
	assert.NotSame(t, &start[:1][0], &got[0])

	start = make([]byte, 0, 8)
	got, err = readAll(iotest{r: strings.NewReader("0123456789")}, 10, start)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(got))
	assert.NotSame(t, &start[:1][0], &got[0], "a start buffer too small for the announced body is not used")
}

// iotest reads r in pieces of at most 64 KiB, as a network does, then fails with err if set.
type iotest struct {
	r   io.Reader
	err error
}

func (r iotest) Read(p []byte) (int, error) {
	n, err := r.r.Read(p[:min(len(p), 64<<10)])
	if errors.Is(err, io.EOF) && r.err != nil {
		return n, r.err
	}
	return n, err
}

func TestRetryAfterSeconds(t *testing.T) {
	assert.Equal(t, 1, retryAfterSeconds(time.Millisecond))
	assert.Equal(t, 1, retryAfterSeconds(time.Second))
	assert.Equal(t, 2, retryAfterSeconds(1001*time.Millisecond))
	assert.Equal(t, 30, retryAfterSeconds(30*time.Second))
}

func TestAPIKeysLookup(t *testing.T) {
	keys := newAPIKeys([]APIKey{{Key: "a", Project: "p-a"}, {Key: "b"}, {Key: "t", Tenant: "team-t"}})
	p, ok := keys.lookup("a")
	assert.True(t, ok)
	assert.Equal(t, "p-a", p.Project())
	p, ok = keys.lookup("b")
	assert.True(t, ok)
	assert.Empty(t, p.Project())
	assert.Empty(t, p.Tenant())
	p, ok = keys.lookup("t")
	assert.True(t, ok)
	assert.Equal(t, "team-t", p.Tenant())
	_, ok = keys.lookup("c")
	assert.False(t, ok)
	_, ok = keys.lookup("")
	assert.False(t, ok)
}

// bearerAuth is an auth extension that accepts one bearer token.
type bearerAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (bearerAuth) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	if slices.Contains(sources["Authorization"], "Bearer good") {
		return ctx, nil
	}
	return ctx, errors.New("bad bearer token")
}

// TestAuthExtension replaces X-API-Key with a collector auth extension through `auth:`.
func TestAuthExtension(t *testing.T) {
	authID := component.MustNewID("bearer")
	cfg := testConfig()
	cfg.APIKeys = nil
	cfg.ServerConfig.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	require.NoError(t, cfg.Validate())

	sink := new(consumertest.TracesSink)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newReceiver(cfg, metadatatest.NewSettings(tel), sink)
	require.NoError(t, err)
	t.Cleanup(r.telemetry.Shutdown)
	srv, err := r.newServer(t.Context(), map[component.ID]component.Component{authID: bearerAuth{}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler)
	t.Cleanup(ts.Close)

	send := func(token string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+pathRaw, strings.NewReader(validRecord))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode, string(body)
	}
	status, _ := send("good")
	assert.Equal(t, http.StatusNoContent, status, "no X-API-Key needed")
	status, body := send("bad")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.JSONEq(t, `{"success":false,"error":{"detail":[{"loc":["header","authorization"],"msg":"bad bearer token","type":"unauthorized","input":null}]}}`, body)
	assert.Equal(t, 1, sink.SpanCount())
}

// Bodies are read into pooled buffers: the spans of one request must not change when a later
// request reuses its buffer.
func TestPooledBodiesDoNotAlias(t *testing.T) {
	sink := new(consumertest.TracesSink)
	ts, _ := testServer(t, testConfig(), sink)
	const requests = 20
	text := func(i int) string { return strings.Repeat(string(rune('a'+i)), 100) }
	for i := range requests {
		body := `{"trace_id":"1c563dcf980b449abb0dcbeaf1784e81","span_id":"00f067aa0ba902b7","span_name":"` +
			text(i)[:5] + `","input":"` + text(i) + `","extra":{"k":"` + text(i) + `"}}`
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+pathRaw, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", keyTeamA)
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
	}
	require.Len(t, sink.AllTraces(), requests)
	for i, td := range sink.AllTraces() {
		span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
		assert.Equal(t, text(i)[:5], span.Name())
		in, _ := span.Attributes().Get(conventions.LangfuseObservationInput)
		assert.Equal(t, text(i), in.Str())
		meta, _ := span.Attributes().Get(conventions.LangfuseObservationMetadataPrefix + "k")
		assert.Equal(t, text(i), meta.Str())
	}
}
