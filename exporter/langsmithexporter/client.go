// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"

	"github.com/tracebridge/tracebridge/internal/otelhttpprobe"
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
	// Never fewer than net/http's own default of 2.
	consumers := http.DefaultMaxIdleConnsPerHost
	if q := cfg.QueueConfig.Get(); q != nil && q.NumConsumers > consumers {
		consumers = q.NumConsumers
	}
	// ka points into cc, this function's copy: cfg is left as the user wrote it.
	// max_idle_conns (100 by default, all hosts together) still caps it.
	ka.MaxIdleConnsPerHost = consumers
	return cc
}

// clientTelemetry is the telemetry the HTTP client is built with. confighttp wraps every client
// in otelhttp, which costs each upload request ~36,000 instructions (attribute sets, a
// histogram recording the views then drop, a non-recording span; BenchmarkUploaderPush with the
// collector's default providers: 0.7 % of a 100-run request) even when nothing it records is
// kept. When its metrics are dropped (the default level, normal) and no client span of it
// would record (no `service::telemetry::traces`), the client is built without it, by leaving
// the meter provider out: confighttp instruments only with both. The langfuse receiver does
// the same for its server; both ask internal/otelhttpprobe.
func clientTelemetry(ctx context.Context, set component.TelemetrySettings) component.TelemetrySettings {
	if otelhttpprobe.Silent(ctx, set, otelhttpprobe.Client) {
		set.MeterProvider = nil
	}
	return set
}
