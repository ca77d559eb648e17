// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/tracebridge/tracebridge/internal/otelhttpprobe"
	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadatatest"
)

func TestOtelhttpSilent(t *testing.T) {
	dropping := sdkmetric.NewMeterProvider(sdkmetric.WithView(dropOtelhttp))
	keeping := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	// A user's views may keep some of otelhttp's instruments and drop the others.
	dropDuration := sdkmetric.NewView(sdkmetric.Instrument{Scope: instrumentation.Scope{Name: otelhttpprobe.Scope}, Name: "http.server.request.duration"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})
	dropRequestSize := sdkmetric.NewView(sdkmetric.Instrument{Scope: instrumentation.Scope{Name: otelhttpprobe.Scope}, Name: "http.server.request.body.size"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})
	onlyResponseSize := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()),
		sdkmetric.WithView(dropDuration, dropRequestSize))
	recording := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	exporter := tracetest.NewInMemoryExporter()
	exported := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() {
		for _, p := range []interface{ Shutdown(context.Context) error }{dropping, keeping, onlyResponseSize, recording, never, exported} {
			require.NoError(t, p.Shutdown(context.Background()))
		}
	})
	set := componenttest.NewNopTelemetrySettings()
	with := func(mp, tp any) component.TelemetrySettings {
		s := set
		if mp != nil {
			s.MeterProvider = mp.(*sdkmetric.MeterProvider)
		}
		if tp != nil {
			s.TracerProvider = tp.(*sdktrace.TracerProvider)
		}
		return s
	}
	ctx := context.Background()
	assert.True(t, silent(ctx, with(dropping, nil)), "metrics dropped, no tracer: the collector's default")
	assert.True(t, silent(ctx, with(dropping, never)), "a tracer that never samples")
	assert.False(t, silent(ctx, with(keeping, nil)), "level detailed keeps otelhttp's metrics")
	assert.False(t, silent(ctx, with(onlyResponseSize, nil)), "a view keeps the response body size only")
	assert.False(t, silent(ctx, with(dropping, recording)), "a parent-based sampler records under a sampled caller")
	assert.False(t, silent(ctx, with(dropping, exported)))
	assert.Empty(t, exporter.GetSpans(), "the probe is never exported")
}

// With its metrics kept, otelhttp still measures every request; with them dropped and no
// tracing, it is skipped and the request is served the same.
func TestOtelhttpInstrumentation(t *testing.T) {
	for _, silent := range []bool{false, true} {
		reader := sdkmetric.NewManualReader()
		opts := []sdkmetric.Option{sdkmetric.WithReader(reader)}
		if silent {
			opts = append(opts, sdkmetric.WithView(dropOtelhttp))
		}
		mp := sdkmetric.NewMeterProvider(opts...)
		tel := componenttest.NewTelemetry()
		t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
		set := metadatatest.NewSettings(tel)
		set.MeterProvider = mp
		set.TracerProvider = nooptrace.NewTracerProvider()
		sink := new(consumertest.TracesSink)
		var instrumented bool
		next, err := consumer.NewTraces(func(ctx context.Context, td ptrace.Traces) error {
			_, instrumented = otelhttp.LabelerFromContext(ctx) // otelhttp's handler put one there
			return sink.ConsumeTraces(ctx, td)
		})
		require.NoError(t, err)
		r, err := newReceiver(testConfig(), set, next)
		require.NoError(t, err)
		srv, err := r.newServer(t.Context(), nil)
		require.NoError(t, err)

		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost"+pathRaw, strings.NewReader(validRecord))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", keyTeamA)
		w := &discardWriter{header: http.Header{}}
		srv.Handler.ServeHTTP(w, req)
		assert.Equal(t, http.StatusNoContent, w.status)
		assert.Equal(t, 1, sink.SpanCount())

		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		var otelhttpMetrics int
		for _, sm := range rm.ScopeMetrics {
			if sm.Scope.Name == otelhttpprobe.Scope {
				otelhttpMetrics += len(sm.Metrics)
			}
		}
		assert.Equal(t, !silent, instrumented)
		if silent {
			assert.Zero(t, otelhttpMetrics)
		} else {
			assert.Positive(t, otelhttpMetrics, "http.server.* recorded")
		}
		r.telemetry.Shutdown()
		require.NoError(t, mp.Shutdown(context.Background()))
	}
}

// silent is the probe as this component asks it.
func silent(ctx context.Context, set component.TelemetrySettings) bool {
	return otelhttpprobe.Silent(ctx, set, otelhttpprobe.Server)
}
