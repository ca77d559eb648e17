// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/internal/otelhttpprobe"
)

// The idle connections kept per host follow the queue's consumers unless the user's YAML sets
// them, and the rest of a keepalive section the user writes is kept.
func TestHTTPClientConfigKeepalive(t *testing.T) {
	tests := []struct {
		name        string
		conf        map[string]any
		wantOff     bool // keep-alives switched off
		wantPerHost int
		wantIdle    time.Duration
	}{
		{name: "nothing set", conf: map[string]any{}, wantPerHost: 10, wantIdle: 90 * time.Second},
		{name: "more consumers", conf: map[string]any{"sending_queue": map[string]any{"num_consumers": 32}}, wantPerHost: 32, wantIdle: 90 * time.Second},
		{
			name:        "user sets per host",
			conf:        map[string]any{"keepalive": map[string]any{"max_idle_conns_per_host": 3}},
			wantPerHost: 3, wantIdle: 90 * time.Second,
		},
		{
			name:        "user sets only the idle timeout",
			conf:        map[string]any{"keepalive": map[string]any{"idle_conn_timeout": "2m"}},
			wantPerHost: 10, wantIdle: 2 * time.Minute,
		},
		{name: "keep-alives off", conf: map[string]any{"keepalive": map[string]any{"enabled": false}}, wantOff: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(tt.conf).Unmarshal(cfg))
			cc := cfg.httpClientConfig()
			ka := cc.Keepalive.Get()
			if tt.wantOff {
				assert.Nil(t, ka)
				return
			}
			require.NotNil(t, ka, "unmarshalling must keep the default keepalive section")
			assert.Equal(t, tt.wantPerHost, ka.MaxIdleConnsPerHost)
			assert.Equal(t, tt.wantIdle, ka.IdleConnTimeout)
			assert.Equal(t, 100, ka.MaxIdleConns)
			if user := cfg.ClientConfig.Keepalive.Get(); user != nil {
				assert.NotSame(t, user, ka, "the exporter's config must stay as the user wrote it")
			}
		})
	}
}

// Under as many concurrent pushes as the queue has consumers, round after round, the client
// dials each connection once and reuses it: net/http's default of 2 idle connections per host
// closed all but two after every round.
func TestUploaderReusesConnections(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	consumers := cfg.QueueConfig.Get().NumConsumers
	var dialed atomic.Int32
	// Every upload of a round waits till all of them are in, so each round needs `consumers`
	// connections at once.
	var (
		mu      sync.Mutex
		arrived int
		release = make(chan struct{})
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path != "/runs/multipart" {
			w.WriteHeader(http.StatusNotFound) // /info: the documented defaults
			return
		}
		mu.Lock()
		arrived++
		wait := release
		if arrived == consumers {
			arrived = 0
			release = make(chan struct{})
			close(wait)
		}
		mu.Unlock()
		select {
		case <-wait:
			w.WriteHeader(http.StatusAccepted)
		case <-time.After(10 * time.Second):
			// Fewer uploads than consumers at once: fail the push rather than hang the test.
			http.Error(w, "uploads did not run concurrently", http.StatusForbidden) // permanent: no retry
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	cfg.ClientConfig.Endpoint = srv.URL
	cfg.APIKey = "k"
	set := exportertest.NewNopSettings(metadata.Type)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	up := newUploader(cfg, set, tb)
	require.NoError(t, up.start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, up.shutdown(context.Background())) }()

	const rounds = 4
	for range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, consumers)
		for range consumers {
			wg.Go(func() { errs <- up.pushTraces(context.Background(), llmSpans(1)) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	assert.EqualValues(t, consumers, dialed.Load(), "connections dialed for %d rounds of %d concurrent uploads", rounds, consumers)
}

// The client goes without otelhttp only when nothing it records would be kept: its metrics
// dropped by the collector's views (level normal) and no client span recorded.
func TestClientOtelhttp(t *testing.T) {
	dropView := sdkmetric.NewView(sdkmetric.Instrument{Scope: instrumentation.Scope{Name: otelhttpprobe.Scope}},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})
	dropping := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()), sdkmetric.WithView(dropView))
	keeping := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	// A user's views may keep one of otelhttp's instruments and drop another.
	onlyBodySize := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()),
		sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Scope: instrumentation.Scope{Name: otelhttpprobe.Scope}, Name: "http.client.request.duration"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})))
	spans := tracetest.NewInMemoryExporter()
	recording := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() {
		for _, p := range []interface{ Shutdown(context.Context) error }{dropping, keeping, onlyBodySize, recording, never} {
			require.NoError(t, p.Shutdown(context.Background()))
		}
	})
	tests := []struct {
		name         string
		meter        metric.MeterProvider
		tracer       trace.TracerProvider
		instrumented bool
	}{
		{name: "metrics dropped, no tracing: the collector's default", meter: dropping, tracer: nooptrace.NewTracerProvider()},
		{name: "a tracer that never samples", meter: dropping, tracer: never},
		{name: "level detailed keeps its metrics", meter: keeping, tracer: nooptrace.NewTracerProvider(), instrumented: true},
		{name: "traces recorded", meter: dropping, tracer: recording, instrumented: true},
		{name: "a view keeps the request body size only", meter: onlyBodySize, tracer: nooptrace.NewTracerProvider(), instrumented: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
			cfg.APIKey = "k"
			set := exportertest.NewNopSettings(metadata.Type)
			set.MeterProvider, set.TracerProvider = tt.meter, tt.tracer
			tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
			require.NoError(t, err)
			defer tb.Shutdown()
			up := newUploader(cfg, set, tb)
			require.NoError(t, up.start(context.Background(), componenttest.NewNopHost()))
			_, wrapped := up.client.Transport.(*otelhttp.Transport)
			assert.Equal(t, tt.instrumented, wrapped)
			if !tt.instrumented {
				assert.IsType(t, &http.Transport{}, up.client.Transport)
			}
		})
	}
	assert.Empty(t, spans.GetSpans(), "the probe is never exported")
}
