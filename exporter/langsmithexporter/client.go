// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/otel/trace"
)

// httpClientConfig is the HTTP client configuration the uploader builds its client from: the
// user's, with one default of our own. Up to sending_queue::num_consumers uploads run at once,
// each on its own HTTP/1.1 connection, while net/http keeps only 2 idle connections per host
// (what keepalive::max_idle_conns_per_host 0 means): every other connection was closed after
// its request and dialed again for the next one, a TLS handshake each against LangSmith. So
// when the user leaves max_idle_conns_per_host unset (0), every queue consumer keeps its
// connection. A value the user sets is kept as is, and so is keepalive switched off.
// (confighttp's unmarshalling merges a user's keepalive section into the default one, so
// setting only idle_conn_timeout still leaves max_idle_conns_per_host at 0.)
func (cfg *Config) httpClientConfig() confighttp.ClientConfig {
	cc := cfg.ClientConfig
	ka := cc.Keepalive.Get()
	if ka == nil || ka.MaxIdleConnsPerHost != 0 {
		return cc
	}
	consumers := 1
	if q := cfg.QueueConfig.Get(); q != nil && q.NumConsumers > consumers {
		consumers = q.NumConsumers
	}
	// ka points into cc, this function's copy: cfg is left as the user wrote it.
	// max_idle_conns (100 by default, all hosts together) still caps it.
	ka.MaxIdleConnsPerHost = consumers
	return cc
}

// otelhttpScope is the instrumentation scope of otelhttp's metrics, which the collector's own
// views drop below `service::telemetry::metrics::level: detailed`.
const otelhttpScope = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

// clientTelemetry is the telemetry the HTTP client is built with. confighttp wraps every client
// in otelhttp, which costs each upload request ~36,000 instructions (attribute sets, a
// histogram recording the views then drop, a non-recording span; BenchmarkUploaderPush with the
// collector's default providers: 0.7 % of a 100-run request) even when nothing it records is
// kept. When its metrics are dropped (the default level, normal) and no client span of it
// would record (no `service::telemetry::traces`), the client is built without it, by leaving
// the meter provider out: confighttp instruments only with both. The langfuse receiver does
// the same for its server (receiver/langfusereceiver/otelhttp.go).
func clientTelemetry(ctx context.Context, set component.TelemetrySettings) component.TelemetrySettings {
	if otelhttpSilent(ctx, set) {
		set.MeterProvider = nil
	}
	return set
}

// otelhttpSilent asks the providers what otelhttp's transport would ask them: whether either
// of its histograms (request duration, request body size) is enabled, and whether a client span
// under a sampled parent would record. Both histograms are asked: views a user configures may
// keep one and drop the other.
func otelhttpSilent(ctx context.Context, set component.TelemetrySettings) bool {
	if set.MeterProvider == nil || set.TracerProvider == nil {
		return false
	}
	meter := set.MeterProvider.Meter(otelhttpScope)
	duration, err := meter.Float64Histogram("http.client.request.duration")
	if err != nil || duration.Enabled(ctx) {
		return false
	}
	bodySize, err := meter.Int64Histogram("http.client.request.body.size")
	if err != nil || bodySize.Enabled(ctx) {
		return false
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1},
		SpanID:     trace.SpanID{1},
		TraceFlags: trace.FlagsSampled,
	})
	_, span := set.TracerProvider.Tracer(otelhttpScope).Start(trace.ContextWithSpanContext(ctx, parent),
		"probe", trace.WithSpanKind(trace.SpanKindClient))
	// Not ended: a span that is never ended is never exported, so the probe leaves no trace.
	return !span.IsRecording()
}
