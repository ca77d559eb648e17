// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package tenantguard

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func TestConvert(t *testing.T) {
	all, err := confmaptest.LoadConf(filepath.Join("testdata", "configs.yaml"))
	require.NoError(t, err)
	tests := []struct {
		name    string
		wantErr []string // empty: the configuration starts
		notErr  []string // what the error must not say
		// reserved: each exporter's `reserved_projects` after conversion (nil: none); without
		// it, the guard changes nothing.
		reserved map[string][]any
	}{
		{name: "shared_keys_with_batch"},
		{name: "pinned_key_with_batch", wantErr: []string{`pipeline "traces": processor "batch" hands data on without the caller's identity`}},
		{name: "tenants_with_memory_limiter"},
		{name: "attribute_tenants_with_batch", wantErr: []string{`pipeline "traces/t": processor "batch/x"`, `exporter "langsmith/y"`}},
		{name: "token_tenants_with_batch", wantErr: []string{"or set its `metadata_keys: [authorization]`"}},
		{name: "token_tenants_with_batch_keeping_authorization"},
		{name: "token_tenants_without_include_metadata", wantErr: []string{"receiver \"otlp\" `protocols::http` must set `include_metadata: true`"}},
		{name: "unknown_key_tenant", wantErr: []string{`names tenant "team-z", which exporter "langsmith" does not have`}},
		{name: "tail_sampling_other_exporter"},
		{name: "batch_before_forward_connector", wantErr: []string{`pipeline "traces/in": processor "batch"`}},
		{name: "forward_connector_without_batch", wantErr: []string{`pipeline "traces/in": receiver "langfuse" ` + "`api_keys[0]`" + ` names tenant "team-z"`}, notErr: []string{`processor "batch"`}},
		{
			// Every langsmith exporter, in a pipeline with the keys or not, reserves every
			// project a key pins and the projects of other exporters' tenants without a key of
			// their own, but not its own `project`, after those listed by hand.
			name: "reserve_key_projects",
			reserved: map[string][]any{
				"langsmith":       {"by-hand", "pinned-1", "pinned-2"},
				"langsmith/plain": {"pinned-1", "pinned-2", "a"},
				"langsmith/own":   {"pinned-1", "a"},
			},
		},
		{
			name: "reserve_other_exporters_tenants",
			reserved: map[string][]any{
				"langsmith/x": {"y-tenant"},
				"langsmith/y": {"x"},
				"langsmith/z": {"y-tenant"},
			},
		},
		{name: "tenant_component_id_taken", wantErr: []string{`exporter "langsmith" tenant "team-x" runs as "langsmith/tenant_team-x", which exporter "langsmith/tenant_team-x" is too`}},
		{
			name: "reserve_tenants_with_another_exporters_key",
			reserved: map[string][]any{
				"langsmith/a": nil,
				"langsmith/k": {"k-tenant"},
				"langsmith/o": nil,
			},
		},
	}
	conv := NewFactory().Create(confmap.ConverterSettings{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, err := all.Sub(tt.name)
			require.NoError(t, err)
			before := conf.ToStringMap()
			err = conv.Convert(context.Background(), conf)
			if tt.reserved == nil {
				assert.Equal(t, before, conf.ToStringMap(), "the guard changes nothing")
			}
			for id, want := range tt.reserved {
				if want == nil {
					assert.Nil(t, conf.Get("exporters::"+id+"::reserved_projects"), id)
					continue
				}
				assert.Equal(t, want, conf.Get("exporters::"+id+"::reserved_projects"), id)
			}
			if tt.reserved != nil {
				assert.Nil(t, conf.Get("exporters::debug::reserved_projects"), "other exporters are left alone")
			}
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			for _, want := range tt.wantErr {
				require.ErrorContains(t, err, want)
			}
			for _, not := range tt.notErr {
				assert.NotContains(t, err.Error(), not, "a pipeline that does not feed the exporter is not its concern")
			}
		})
	}
}
