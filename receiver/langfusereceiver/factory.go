// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadata"
)

const (
	defaultEndpoint             = "localhost:4320"
	defaultMaxRequestBodySize   = 20 << 20 // 20 MiB, confighttp's own default, made visible
	defaultRetryAfter           = time.Second
	defaultMaxRecordsPerRequest = 10_000
	// defaultReadTimeout bounds reading a whole request, headers and body: a client that
	// trickles its body cannot hold a connection (and its buffer) open for longer. 20 MiB in
	// 30 s needs about 700 KB/s.
	defaultReadTimeout = 30 * time.Second
)

// NewFactory creates the langfuse receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithTraces(createTraces, metadata.TracesStability))
}

func createDefaultConfig() component.Config {
	sc := confighttp.NewDefaultServerConfig()
	sc.NetAddr.Endpoint = defaultEndpoint
	sc.MaxRequestBodySize = defaultMaxRequestBodySize
	sc.ReadTimeout = defaultReadTimeout // confighttp sets read_header_timeout only
	return &Config{
		ServerConfig:         sc,
		RetryAfter:           defaultRetryAfter,
		MaxRecordsPerRequest: defaultMaxRecordsPerRequest,
	}
}

func createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	return newReceiver(cfg.(*Config), set, next)
}
