// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"context"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/confighttp/xconfighttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"
)

// otelhttpScope is the instrumentation scope of otelhttp's metrics, which the collector's own
// views drop below `service::telemetry::metrics::level: detailed`.
const otelhttpScope = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

// otelhttpOptions skips confighttp's otelhttp instrumentation when it would record nothing the
// collector keeps: its metrics dropped by the telemetry views (the default level, normal) and
// no span of it recorded (no `service::telemetry::traces`). It still costs an eighth of a
// one-record request then (attribute sets, wrappers, a non-recording span); with either in use
// it stays, as in every other confighttp receiver.
func otelhttpOptions(ctx context.Context, set component.TelemetrySettings) []confighttp.ToServerOption {
	if !otelhttpSilent(ctx, set) {
		return nil
	}
	return []confighttp.ToServerOption{xconfighttp.WithOtelHTTPOptions(
		otelhttp.WithFilter(func(*http.Request) bool { return false }))}
}

// otelhttpSilent asks the providers what otelhttp would ask them: whether any of its histograms
// (request duration, request and response body sizes) is enabled, and whether a server span
// under a sampled remote parent would record. Every histogram is asked: views a user configures
// may keep one and drop the others.
func otelhttpSilent(ctx context.Context, set component.TelemetrySettings) bool {
	if set.MeterProvider == nil || set.TracerProvider == nil {
		return false
	}
	meter := set.MeterProvider.Meter(otelhttpScope)
	duration, err := meter.Float64Histogram("http.server.request.duration")
	if err != nil || duration.Enabled(ctx) {
		return false
	}
	for _, name := range [...]string{"http.server.request.body.size", "http.server.response.body.size"} {
		size, err := meter.Int64Histogram(name)
		if err != nil || size.Enabled(ctx) {
			return false
		}
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1},
		SpanID:     trace.SpanID{1},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	_, span := set.TracerProvider.Tracer(otelhttpScope).Start(trace.ContextWithRemoteSpanContext(ctx, parent),
		"probe", trace.WithSpanKind(trace.SpanKindServer))
	// Not ended: a span that is never ended is never exported, so the probe leaves no trace.
	return !span.IsRecording()
}
