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

	"github.com/tracebridge/tracebridge/internal/otelhttpprobe"
)

// otelhttpOptions skips confighttp's otelhttp instrumentation when it would record nothing the
// collector keeps: its metrics dropped by the telemetry views (the default level, normal) and
// no span of it recorded (no `service::telemetry::traces`). It still costs an eighth of a
// one-record request then (attribute sets, wrappers, a non-recording span); with either in use
// it stays, as in every other confighttp receiver.
func otelhttpOptions(ctx context.Context, set component.TelemetrySettings) []confighttp.ToServerOption {
	if !otelhttpprobe.Silent(ctx, set, otelhttpprobe.Server) {
		return nil
	}
	return []confighttp.ToServerOption{xconfighttp.WithOtelHTTPOptions(
		otelhttp.WithFilter(func(*http.Request) bool { return false }))}
}
