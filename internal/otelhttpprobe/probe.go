// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package otelhttpprobe tells whether confighttp's otelhttp instrumentation of a server or a
// client would record anything the collector keeps. It asks the collector's own meter and tracer
// providers what otelhttp would ask them, so the answer follows `service::telemetry` (the
// metrics level's views, a configured tracer) instead of a guess about it.
package otelhttpprobe // import "github.com/tracebridge/tracebridge/internal/otelhttpprobe"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/trace"
)

// Scope is the instrumentation scope of otelhttp's metrics and spans, which the collector's own
// views drop below `service::telemetry::metrics::level: detailed`.
const Scope = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

// Side is what otelhttp records on one side of a connection.
type Side struct {
	duration string         // the float64 request duration histogram
	sizes    []string       // the int64 body size histograms
	kind     trace.SpanKind // the span it starts for each request
}

var (
	// Server is otelhttp's handler: request duration, request and response body sizes, and a
	// server span under the caller's (remote) parent.
	Server = Side{
		duration: "http.server.request.duration",
		sizes:    []string{"http.server.request.body.size", "http.server.response.body.size"},
		kind:     trace.SpanKindServer,
	}
	// Client is otelhttp's transport: request duration and request body size, and a client span
	// under the caller's span.
	Client = Side{
		duration: "http.client.request.duration",
		sizes:    []string{"http.client.request.body.size"},
		kind:     trace.SpanKindClient,
	}
)

// Silent reports whether otelhttp on side s would record nothing kept: every one of its
// histograms disabled (views a user configures may keep one and drop the others) and no span of
// it recording under a sampled parent. A missing provider counts as not silent.
func Silent(ctx context.Context, set component.TelemetrySettings, s Side) bool {
	if set.MeterProvider == nil || set.TracerProvider == nil {
		return false
	}
	meter := set.MeterProvider.Meter(Scope)
	duration, err := meter.Float64Histogram(s.duration)
	if err != nil || duration.Enabled(ctx) {
		return false
	}
	for _, name := range s.sizes {
		size, err := meter.Int64Histogram(name)
		if err != nil || size.Enabled(ctx) {
			return false
		}
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1},
		SpanID:     trace.SpanID{1},
		TraceFlags: trace.FlagsSampled,
		Remote:     s.kind == trace.SpanKindServer,
	})
	parentCtx := trace.ContextWithSpanContext(ctx, parent)
	if parent.IsRemote() {
		parentCtx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	_, span := set.TracerProvider.Tracer(Scope).Start(parentCtx, "probe", trace.WithSpanKind(s.kind))
	// Not ended: a span that is never ended is never exported, so the probe leaves no trace.
	return !span.IsRecording()
}
