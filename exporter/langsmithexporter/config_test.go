// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	storageID := component.MustNewID("file_storage")
	tests := []struct {
		name      string
		id        component.ID
		check     func(t *testing.T, cfg *Config)
		errSubstr []string // empty: the config must be valid
		loadErr   string   // the config must not even load
	}{
		{
			name: "defaults",
			id:   component.NewID(metadata.Type),
			check: func(t *testing.T, cfg *Config) {
				want := createDefaultConfig().(*Config)
				want.ClientConfig.Endpoint = "https://api.smith.langchain.com"
				want.APIKey = "lsv2_default"
				assert.Equal(t, want, cfg)
				assert.Equal(t, "default", cfg.Project)
				assert.Equal(t, langsmith.IDModeUUIDv7, cfg.RunIDMode)
				assert.Zero(t, cfg.RetryConfig.MaxElapsedTime, "retries must not give up by default")
				q := cfg.QueueConfig.Get()
				assert.Equal(t, exporterhelper.RequestSizerTypeItems, q.Sizer)
				assert.EqualValues(t, defaultQueueSpans, q.QueueSize)
				assert.Equal(t, 5000, batchLimit(q), "releases are cut to batch::max_size")
			},
		},
		{
			name: "custom",
			id:   component.NewIDWithName(metadata.Type, "custom"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "https://eu.api.smith.langchain.com", cfg.ClientConfig.Endpoint)
				assert.Equal(t, "lsv2_custom", string(cfg.APIKey))
				assert.Equal(t, "11111111-2222-3333-4444-555555555555", cfg.TenantID)
				assert.Equal(t, "agents", cfg.Project)
				assert.Equal(t, "service.namespace", cfg.ProjectFromResourceAttribute)
				assert.Equal(t, langsmith.IDModeSpanID, cfg.RunIDMode)
				assert.Equal(t, "/var/lib/otelcol/dead-letter", cfg.DeadLetterDirectory)
				assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
				q := cfg.QueueConfig.Get()
				require.NotNil(t, q)
				assert.EqualValues(t, 5000, q.QueueSize)
				assert.Equal(t, exporterhelper.RequestSizerTypeItems, q.Sizer)
				assert.Equal(t, 4, q.NumConsumers)
				assert.Equal(t, time.Second, cfg.RetryConfig.InitialInterval)
				assert.Equal(t, 10*time.Minute, cfg.RetryConfig.MaxElapsedTime)
				assert.Equal(t, 10*time.Second, cfg.Assembly.OrphanWait)
				assert.Equal(t, OrphanAsRoot, cfg.Assembly.OrphanPolicy)
				assert.Equal(t, time.Minute, cfg.Assembly.OpenRunWait)
				assert.True(t, cfg.Assembly.LiveView)
				assert.Equal(t, 1000, cfg.Assembly.MaxSpans)
				assert.EqualValues(t, 1<<20, cfg.Assembly.MaxBytes)
				assert.Equal(t, time.Minute, cfg.Assembly.ResolvedTTL)
				assert.Equal(t, 500, cfg.Assembly.ResolvedMaxTraces)
				assert.Equal(t, &storageID, cfg.Assembly.Storage)
				assert.Equal(t, 12*time.Hour, cfg.Limits.StartTimeWindow)
				assert.Equal(t, WindowShift, cfg.Limits.OutOfWindow)
				assert.Equal(t, 1000, cfg.Limits.MaxRunsPerTrace)
			},
		},
		{name: "no endpoint", id: component.NewIDWithName(metadata.Type, "no_endpoint"), errSubstr: []string{"`endpoint` must be specified"}},
		{name: "endpoint without scheme", id: component.NewIDWithName(metadata.Type, "bad_endpoint"), errSubstr: []string{"must be an http or https URL"}},
		{name: "no api key", id: component.NewIDWithName(metadata.Type, "no_key"), errSubstr: []string{"`api_key` must be set"}},
		{name: "compression", id: component.NewIDWithName(metadata.Type, "compression"), errSubstr: []string{"`compression` is not supported"}},
		{
			name: "bad assembly bounds",
			id:   component.NewIDWithName(metadata.Type, "bad_assembly"),
			errSubstr: []string{
				"`assembly::orphan_wait` must be positive",
				"`assembly::max_spans` must be positive",
			},
		},
		{name: "queue disabled", id: component.NewIDWithName(metadata.Type, "queue_disabled"), errSubstr: []string{"`sending_queue` must stay enabled"}},
		{
			name: "queue that blocks or sizes by bytes",
			id:   component.NewIDWithName(metadata.Type, "queue_blocking"),
			errSubstr: []string{
				"`sending_queue::wait_for_result` is not supported",
				"`sending_queue::block_on_overflow` is not supported",
				"`sending_queue::sizer` must be `items` (the default) or `requests`, not \"bytes\"",
			},
		},
		{
			name: "items queue smaller than its batches",
			id:   component.NewIDWithName(metadata.Type, "queue_items_small"),
			errSubstr: []string{
				"`min_size` must be less than or equal to `queue_size`",
			},
		},
		{
			name: "items queue below the default batch::max_size",
			id:   component.NewIDWithName(metadata.Type, "queue_items_below_max_size"),
			check: func(t *testing.T, cfg *Config) {
				q := cfg.QueueConfig.Get()
				require.NotNil(t, q)
				assert.EqualValues(t, 2000, q.QueueSize)
				assert.Equal(t, 2000, batchLimit(q), "releases are cut to the queue, below batch::max_size")
			},
		},
		{
			name: "requests queue keeps its own default size",
			id:   component.NewIDWithName(metadata.Type, "queue_requests"),
			check: func(t *testing.T, cfg *Config) {
				q := cfg.QueueConfig.Get()
				require.NotNil(t, q)
				assert.Equal(t, exporterhelper.RequestSizerTypeRequests, q.Sizer)
				assert.EqualValues(t, 100, q.QueueSize)
				assert.Zero(t, batchLimit(q), "a queue in requests takes a release of any size")
			},
		},
		{
			name: "requests queue sized",
			id:   component.NewIDWithName(metadata.Type, "queue_requests_sized"),
			check: func(t *testing.T, cfg *Config) {
				assert.EqualValues(t, 300, cfg.QueueConfig.Get().QueueSize)
			},
		},
		{
			name: "bad limits", id: component.NewIDWithName(metadata.Type, "bad_limits"),
			errSubstr: []string{"`limits::start_time_window` must be 0 (off) or at least 10m0s", "`limits::max_runs_per_trace` must be 0 (off) or positive"},
		},
		{name: "unknown window policy", id: component.NewIDWithName(metadata.Type, "bad_window_policy"), loadErr: "unknown out-of-window policy \"drop\""},
		{
			name: "tenants",
			id:   component.NewIDWithName(metadata.Type, "tenants"),
			check: func(t *testing.T, cfg *Config) {
				require.Len(t, cfg.Tenants, 2)
				a := cfg.Tenants[0]
				assert.Equal(t, "team-a", a.Name)
				assert.Equal(t, "team-a", a.Project)
				assert.Equal(t, configopaque.String("lsv2_team_a"), a.APIKey)
				assert.Equal(t, "aaaaaaaa-0000-0000-0000-000000000000", a.TenantID)
				require.Len(t, a.Match, 2)
				assert.Equal(t, "username", a.Match[0].AuthAttribute)
				assert.Equal(t, "alice", a.Match[0].Value)
				assert.Equal(t, configopaque.String("token-a"), a.Match[1].BearerToken)
				assert.Empty(t, cfg.Tenants[1].APIKey, "team-b uses the exporter's key")
				assert.Equal(t, []string{"pinned-by-key"}, cfg.ReservedProjects)
			},
		},
		{
			name: "bad reserved projects",
			id:   component.NewIDWithName(metadata.Type, "bad_reserved"),
			errSubstr: []string{
				"`reserved_projects[0]` must not be empty",
				"`reserved_projects[1]` \"shared\" is the exporter's `project`",
			},
		},
		{
			name: "bad tenants",
			id:   component.NewIDWithName(metadata.Type, "bad_tenants"),
			errSubstr: []string{
				"`tenants[0]`: `name` \"Team A\" must be 1-63 lower-case letters",
				"`tenants[1]`: `project` must be set",
				"`tenants[1]`: `tenant_id` needs the tenant's own `api_key`",
				"`tenants[1]` `match[0]`: `auth_attribute` and `value` must both be set",
				"`tenants[1]` `match[1]`: set either `bearer_token` or `auth_attribute` and `value`",
				"`tenants[2]`: `name` \"team-b\" repeats `tenants[1]`",
				"`tenants[3]` `match[0]`: `bearer_token` is already `tenants[2]`'s",
				"`tenants[4]` `match[0]`: this `subject` value is already `tenants[3]`'s",
			},
		},
		{name: "unknown orphan policy", id: component.NewIDWithName(metadata.Type, "bad_policy"), loadErr: "unknown orphan policy \"drop\""},
		{name: "unknown run id mode", id: component.NewIDWithName(metadata.Type, "bad_id_mode"), loadErr: "unknown run id mode \"random\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tt.loadErr != "" {
				require.ErrorContains(t, err, tt.loadErr)
				return
			}
			require.NoError(t, err)
			err = confmap.Validate(cfg)
			if len(tt.errSubstr) == 0 {
				require.NoError(t, err)
				tt.check(t, cfg.(*Config))
				return
			}
			for _, s := range tt.errSubstr {
				assert.ErrorContains(t, err, s)
			}
		})
	}
}

func TestBatchLimit(t *testing.T) {
	q := func(sizer exporterhelper.RequestSizerType, size int64, batch *exporterhelper.BatchConfig) *exporterhelper.QueueBatchConfig {
		c := exporterhelper.NewDefaultQueueConfig()
		c.Sizer, c.QueueSize = sizer, size
		c.Batch = configoptional.None[exporterhelper.BatchConfig]()
		if batch != nil {
			c.Batch = configoptional.Some(*batch)
		}
		return &c
	}
	batch := func(sizer exporterhelper.RequestSizerType, maxSize int64) *exporterhelper.BatchConfig {
		b := exporterhelper.NewDefaultBatchConfig()
		b.Sizer, b.MinSize, b.MaxSize = sizer, 10, maxSize
		return &b
	}
	tests := []struct {
		name string
		q    *exporterhelper.QueueBatchConfig
		want int
	}{
		{name: "no queue", q: nil, want: 0},
		{name: "requests", q: q(exporterhelper.RequestSizerTypeRequests, 100, batch(exporterhelper.RequestSizerTypeItems, 5000)), want: 0},
		{name: "items, batch max_size", q: q(exporterhelper.RequestSizerTypeItems, 25_000, batch(exporterhelper.RequestSizerTypeItems, 5000)), want: 5000},
		{name: "items, batch never splits", q: q(exporterhelper.RequestSizerTypeItems, 25_000, batch(exporterhelper.RequestSizerTypeItems, 0)), want: 25_000},
		{name: "items, batch in bytes", q: q(exporterhelper.RequestSizerTypeItems, 25_000, batch(exporterhelper.RequestSizerTypeBytes, 5000)), want: 25_000},
		{name: "items, no batch", q: q(exporterhelper.RequestSizerTypeItems, 2000, nil), want: 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, batchLimit(tt.q))
		})
	}
}
