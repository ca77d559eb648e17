// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	defaultWith := func(mutate func(*Config)) *Config {
		cfg := createDefaultConfig().(*Config)
		mutate(cfg)
		return cfg
	}
	tests := []struct {
		id      component.ID
		want    *Config // nil: only check the errors
		wantErr []string
	}{
		{
			id: component.NewID(metadata.Type),
			want: defaultWith(func(cfg *Config) {
				cfg.APIKeys = []APIKey{{Key: "caw_only_key"}}
			}),
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			want: defaultWith(func(cfg *Config) {
				cfg.ServerConfig.NetAddr.Endpoint = "0.0.0.0:14320"
				cfg.ServerConfig.MaxRequestBodySize = 1 << 20
				// confmaptest does not expand ${env:…}; TestConfigKeyFromEnv does.
				cfg.APIKeys = []APIKey{
					{Key: "${env:LANGFUSE_TEST_KEY_A}", Project: "team-a"},
					{Key: "caw_key_b", Project: "team-b"},
					{Key: "caw_key_unscoped"},
					{Key: "caw_key_c", Tenant: "team-c"},
				}
				cfg.RetryAfter = 5 * time.Second
				cfg.MaxRecordsPerRequest = 500
				cfg.ServerConfig.ReadTimeout = 10 * time.Second
			}),
		},
		{id: component.NewIDWithName(metadata.Type, "auth_extension")},
		{
			id:      component.NewIDWithName(metadata.Type, "no_auth"),
			wantErr: []string{"either `api_keys` or `auth` must be set"},
		},
		{
			id:      component.NewIDWithName(metadata.Type, "empty_key"),
			wantErr: []string{"`api_keys[0].key` must not be empty"},
		},
		{
			id:      component.NewIDWithName(metadata.Type, "duplicate_key"),
			wantErr: []string{"`api_keys[1].key` repeats `api_keys[0].key`: keys must be unique"},
		},
		{
			id:      component.NewIDWithName(metadata.Type, "tenant_and_project"),
			wantErr: []string{"`api_keys[0]` sets both `tenant` and `project`"},
		},
		{
			id: component.NewIDWithName(metadata.Type, "bad_numbers"),
			wantErr: []string{
				"`retry_after` must be positive, got 0s",
				"`max_records_per_request` must be positive, got -1",
				"`max_request_body_size` must not be negative, got -5",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))

			err = confmap.Validate(cfg)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, msg := range tt.wantErr {
					require.ErrorContains(t, err, msg)
				}
				return
			}
			require.NoError(t, err)
			if tt.want != nil {
				assert.Equal(t, tt.want, cfg)
			}
		})
	}
}

func TestDefaultTimeouts(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, 30*time.Second, cfg.ServerConfig.ReadTimeout, "a whole request, body included")
	assert.Equal(t, time.Minute, cfg.ServerConfig.ReadHeaderTimeout, "confighttp's default, kept")
}

func TestConfigErrorsNeverShowKeys(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.APIKeys = []APIKey{{Key: "s3cret-value"}, {Key: "s3cret-value"}}
	err := cfg.Validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
}

// TestConfigKeyFromEnv resolves the YAML the way the collector does, so `${env:…}` keys are
// proven to arrive in the config (as configopaque.String, which never prints).
func TestConfigKeyFromEnv(t *testing.T) {
	t.Setenv("LANGFUSE_TEST_KEY_A", "caw_from_env")
	resolver, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs: []string{"file:" + filepath.Join("testdata", "config.yaml")},
		ProviderFactories: []confmap.ProviderFactory{
			testProvider("file", func(path string) (*confmap.Retrieved, error) {
				b, err := os.ReadFile(filepath.Clean(path))
				if err != nil {
					return nil, err
				}
				return confmap.NewRetrievedFromYAML(b)
			}),
			testProvider("env", func(name string) (*confmap.Retrieved, error) {
				return confmap.NewRetrievedFromYAML([]byte(os.Getenv(name)))
			}),
		},
	})
	require.NoError(t, err)
	conf, err := resolver.Resolve(t.Context())
	require.NoError(t, err)
	sub, err := conf.Sub(component.NewIDWithName(metadata.Type, "custom").String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	assert.Equal(t, "caw_from_env", string(cfg.APIKeys[0].Key))
	assert.Equal(t, "[REDACTED]", cfg.APIKeys[0].Key.String())
}

// testProvider is a confmap provider for one scheme, so the test needs no provider modules.
func testProvider(scheme string, retrieve func(opaque string) (*confmap.Retrieved, error)) confmap.ProviderFactory {
	return confmap.NewProviderFactory(func(confmap.ProviderSettings) confmap.Provider {
		return &funcProvider{scheme: scheme, retrieve: retrieve}
	})
}

type funcProvider struct {
	scheme   string
	retrieve func(opaque string) (*confmap.Retrieved, error)
}

func (p *funcProvider) Retrieve(_ context.Context, uri string, _ confmap.WatcherFunc) (*confmap.Retrieved, error) {
	return p.retrieve(strings.TrimPrefix(uri, p.scheme+":"))
}

func (p *funcProvider) Scheme() string { return p.scheme }

func (*funcProvider) Shutdown(context.Context) error { return nil }
