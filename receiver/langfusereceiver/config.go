// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
)

// Config defines the langfuse receiver's configuration.
type Config struct {
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"` // endpoint, tls, cors, auth, max_request_body_size, middlewares

	// APIKeys are the accepted X-API-Key values. A key that names a tenant or a project carries
	// it to the langsmith exporter on the request's context (client.Info.Auth), never in the
	// data, so nothing a caller sends can move its runs into another tenant's project.
	// May be empty only when `auth` configures an authenticator extension instead.
	APIKeys []APIKey `mapstructure:"api_keys"`

	// RetryAfter is what the Retry-After header of a 503 asks clients to wait when the
	// pipeline refuses data.
	RetryAfter time.Duration `mapstructure:"retry_after"`

	// MaxRecordsPerRequest bounds the records of one array or NDJSON body, and the spans of
	// one session tree; a larger body is refused whole with 413.
	MaxRecordsPerRequest int `mapstructure:"max_records_per_request"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// APIKey is one accepted X-API-Key.
type APIKey struct {
	// Key is the secret; write it as ${env:VAR} so it stays out of the file.
	Key configopaque.String `mapstructure:"key"`
	// Tenant, when set, names one of the langsmith exporter's `tenants`: its runs go to that
	// tenant's pinned project (and LangSmith workspace, if the tenant has its own key).
	Tenant string `mapstructure:"tenant"`
	// Project, when set, pins the key's runs to this project in the exporter's own workspace.
	// A key with neither is shared: the data may name its project.
	Project string `mapstructure:"project"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration at start-up. ServerConfig validates itself: confmap
// runs nested Validate methods.
func (cfg *Config) Validate() error {
	var errs []error
	if len(cfg.APIKeys) == 0 && !cfg.ServerConfig.Auth.HasValue() {
		errs = append(errs, errors.New("either `api_keys` or `auth` must be set: the receiver does not accept unauthenticated data"))
	}
	seen := make(map[configopaque.String]int, len(cfg.APIKeys))
	for i, k := range cfg.APIKeys {
		if k.Key == "" {
			errs = append(errs, fmt.Errorf("`api_keys[%d].key` must not be empty", i))
			continue
		}
		if first, dup := seen[k.Key]; dup {
			// Never print a key, not even in an error.
			errs = append(errs, fmt.Errorf("`api_keys[%d].key` repeats `api_keys[%d].key`: keys must be unique", i, first))
			continue
		}
		seen[k.Key] = i
		if k.Tenant != "" && k.Project != "" {
			errs = append(errs, fmt.Errorf("`api_keys[%d]` sets both `tenant` and `project`: a tenant's project is the exporter's `tenants::project`", i))
		}
	}
	if cfg.RetryAfter <= 0 {
		errs = append(errs, fmt.Errorf("`retry_after` must be positive, got %s", cfg.RetryAfter))
	}
	if cfg.MaxRecordsPerRequest <= 0 {
		errs = append(errs, fmt.Errorf("`max_records_per_request` must be positive, got %d", cfg.MaxRecordsPerRequest))
	}
	if cfg.ServerConfig.MaxRequestBodySize < 0 {
		errs = append(errs, fmt.Errorf("`max_request_body_size` must not be negative, got %d", cfg.ServerConfig.MaxRequestBodySize))
	}
	return errors.Join(errs...)
}
