// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"go.opentelemetry.io/collector/config/confighttp"
)

// Config defines the langfuse receiver's configuration.
type Config struct {
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"` // endpoint, tls, cors, auth, max_request_body_size, middlewares

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration at start-up.
func (cfg *Config) Validate() error {
	return nil
}
