// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadatatest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
	"github.com/tracebridge/tracebridge/internal/tenantauth"
	"github.com/tracebridge/tracebridge/translator/conventions"
)

const (
	keyWorkspaceA = "lsv2_workspace_a"
	keyWorkspaceB = "lsv2_workspace_b"
)

// authData is what an auth extension (basicauth, oidc) puts on the context.
type authData map[string]any

func (a authData) GetAttribute(name string) any { return a[name] }
func (a authData) GetAttributeNames() []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	return names
}

func withAuth(a authData) context.Context {
	return client.NewContext(context.Background(), client.Info{Auth: a})
}

func withHeader(k, v string) context.Context {
	return client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{k: {v}})})
}

func withKey(tenant, project string) context.Context {
	return tenantauth.NewContext(context.Background(), tenantauth.New(tenant, project))
}

func tenantTestConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.ClientConfig.Timeout = 2 * time.Second
	cfg.APIKey = testKey
	cfg.Project = "shared-default"
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 20 * time.Millisecond
	cfg.RetryConfig.RandomizationFactor = 0
	cfg.Tenants = []TenantConfig{
		{Name: "team-a", Project: "team-a", APIKey: keyWorkspaceA, Match: []IdentityMatch{
			{AuthAttribute: "username", Value: "alice"},
			{AuthAttribute: "membership", Value: "group-a"},
			{AuthAttribute: "claims.teams", Value: "team-a"},
		}},
		{Name: "team-b", Project: "team-b", APIKey: keyWorkspaceB, Match: []IdentityMatch{{BearerToken: "token-b"}}},
		{Name: "team-c", Project: "team-c"}, // the exporter's own workspace
	}
	return cfg
}

func TestRouterResolve(t *testing.T) {
	r, err := newTenantRouter(context.Background(), exportertest.NewNopSettings(metadata.Type), tenantTestConfig("http://127.0.0.1:1"))
	require.NoError(t, err)
	tests := []struct {
		name        string
		ctx         context.Context
		wantTenant  string // "" = the shared exporter
		wantProject string
		wantErr     string
	}{
		{name: "no identity", ctx: context.Background()},
		{name: "basicauth username", ctx: withAuth(authData{"username": "alice"}), wantTenant: "team-a", wantProject: "team-a"},
		{name: "oidc membership list", ctx: withAuth(authData{"subject": "x", "membership": []string{"other", "group-a"}}), wantTenant: "team-a", wantProject: "team-a"},
		{name: "unknown user", ctx: withAuth(authData{"username": "mallory"})},
		{name: "oidc claim list", ctx: withAuth(authData{"claims.teams": []any{float64(1), "team-a"}}), wantTenant: "team-a", wantProject: "team-a"},
		{name: "oidc claim list without the value", ctx: withAuth(authData{"claims.teams": []any{"team-b"}})},
		{name: "an attribute that only looks like a tenant", ctx: withAuth(authData{tenantauth.AttributeTenant: "team-b", tenantauth.AttributeProject: "team-b"})},
		{name: "bearer token", ctx: withHeader("Authorization", "Bearer token-b"), wantTenant: "team-b", wantProject: "team-b"},
		{name: "bearer scheme in any case", ctx: withHeader("authorization", "bearer token-b"), wantTenant: "team-b", wantProject: "team-b"},
		{name: "wrong token", ctx: withHeader("Authorization", "Bearer token-x")},
		{name: "token without scheme", ctx: withHeader("Authorization", "token-b")},
		{name: "a header naming a tenant", ctx: withHeader("tracebridge.tenant", "team-b")},
		{name: "langfuse key of a tenant", ctx: withKey("team-c", ""), wantTenant: "team-c", wantProject: "team-c"},
		{name: "langfuse key pinning a project", ctx: withKey("", "pinned"), wantProject: "pinned"},
		{name: "shared langfuse key", ctx: withKey("", "")},
		{name: "langfuse key of an unknown tenant", ctx: withKey("team-z", ""), wantErr: `tenant "team-z"`},
		{
			name:        "langfuse identity wins over a token on the same request",
			ctx:         tenantauth.NewContext(withHeader("Authorization", "Bearer token-b"), tenantauth.New("", "")),
			wantProject: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, project, err := r.resolve(tt.ctx)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			want := r.shared
			if tt.wantTenant != "" {
				want = r.byName[tt.wantTenant].exp
			}
			assert.Same(t, want, exp)
			assert.Equal(t, tt.wantProject, project)
		})
	}
}

func TestPinProject(t *testing.T) {
	td := testTrace(1, 1)
	td.ResourceSpans().At(0).Resource().Attributes().PutStr(conventions.TenantProject, "forged")
	pinProject(td, "")
	_, ok := td.ResourceSpans().At(0).Resource().Attributes().Get(conventions.TenantProject)
	assert.False(t, ok, "a stamp from the data is removed")
	td.ResourceSpans().At(0).Resource().Attributes().PutStr(conventions.TenantProject, "forged")
	pinProject(td, "team-a")
	v, _ := td.ResourceSpans().At(0).Resource().Attributes().Get(conventions.TenantProject)
	assert.Equal(t, "team-a", v.Str())
}

// forged returns a one-trace batch whose resource and span claim every project they can.
func forged(traceNo byte) ptrace.Traces {
	td := testTrace(traceNo, 2)
	res := td.ResourceSpans().At(0).Resource().Attributes()
	res.PutStr(conventions.TenantProject, "team-b")
	res.PutStr(conventions.LangSmithSessionName, "team-b")
	res.PutStr("service.namespace", "team-b")
	for _, span := range td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().All() {
		span.Attributes().PutStr(conventions.TenantProject, "team-b")
		span.Attributes().PutStr(conventions.LangSmithSessionName, "team-b")
		span.Attributes().PutStr(conventions.LangSmithSessionID, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	}
	return td
}

// TestRouterWorkspacesAndIsolation: each tenant's runs land in its own project with its own
// key, whatever the data claims; a tenant whose workspace is down does not hold up another;
// a revoked key dead-letters only its tenant's runs.
func TestRouterWorkspacesAndIsolation(t *testing.T) {
	emuCfg := smithemu.DefaultConfig()
	// Each workspace key may write only into its project, as a workspace-scoped key would.
	emuCfg.APIKeys = map[string]string{testKey: "", keyWorkspaceA: "team-a", keyWorkspaceB: "team-b"}
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	cfg := tenantTestConfig(ts.URL)
	cfg.ProjectFromResourceAttribute = "service.namespace"
	cfg.DeadLetterDirectory = t.TempDir()
	r, err := newTenantRouter(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, r.Shutdown(context.Background())) })

	// team-b's workspace is down for a long while.
	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteIngest, APIKey: keyWorkspaceB, Status: http.StatusServiceUnavailable, Count: 1 << 20})
	require.NoError(t, r.ConsumeTraces(withHeader("Authorization", "Bearer token-b"), forged(1)))
	require.NoError(t, r.ConsumeTraces(withAuth(authData{"username": "alice"}), forged(2)))
	require.NoError(t, r.ConsumeTraces(withKey("team-c", ""), forged(3)))
	require.NoError(t, r.ConsumeTraces(withKey("", "pinned"), forged(4)))

	sent := time.Now()
	require.Eventually(t, func() bool {
		return len(emu.Runs("team-a")) == 2 && len(emu.Runs("team-c")) == 2 && len(emu.Runs("pinned")) == 2
	}, 10*time.Second, 10*time.Millisecond, "team-a, team-c and the pinned key land while team-b's workspace is down")
	t.Logf("the other tenants' runs landed %s after they were handed over", time.Since(sent).Round(time.Millisecond))
	assert.Empty(t, emu.Runs("team-b"), "team-b's runs wait for its workspace; no one else's went there")
	// team-a's two runs went with team-a's key; team-c (no key of its own) and the pinned key's
	// went with the exporter's.
	// The emulator logs a request when its handler returns, a moment after the runs are stored.
	assert.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, map[string]int{keyWorkspaceA: 2, testKey: 4}, postsByKey(emu))
	}, 10*time.Second, 10*time.Millisecond)

	// A shared caller's data still chooses its project, as without tenants; it never borrows a
	// tenant's key.
	require.NoError(t, r.ConsumeTraces(context.Background(), testTrace(5, 1)))
	require.Eventually(t, func() bool { return len(emu.Runs("shared-default")) == 1 }, 10*time.Second, 10*time.Millisecond)
	// ... but not the project of a tenant that shares the exporter's workspace (team-c has no
	// key of its own): it lands in the shared default project.
	claim := testTrace(6, 1)
	claim.ResourceSpans().At(0).Resource().Attributes().PutStr(conventions.LangSmithSessionName, "team-c")
	require.NoError(t, r.ConsumeTraces(context.Background(), claim))
	require.Eventually(t, func() bool { return len(emu.Runs("shared-default")) == 2 }, 10*time.Second, 10*time.Millisecond)
	assert.Len(t, emu.Runs("team-c"), 2, "a caller of no tenant cannot write into team-c's project")
	t.Logf("test body done after %s", time.Since(sent).Round(time.Millisecond))
}

func TestRouterRevokedKeyRefusesOnlyItsTenant(t *testing.T) {
	emuCfg := smithemu.DefaultConfig()
	emuCfg.APIKeys = map[string]string{testKey: "", keyWorkspaceA: "team-a"} // team-b's key is revoked
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	cfg := tenantTestConfig(ts.URL)
	cfg.DeadLetterDirectory = t.TempDir()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newTenantRouter(context.Background(), metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, r.Shutdown(context.Background())) })

	require.NoError(t, r.ConsumeTraces(withHeader("Authorization", "Bearer token-b"), forged(1)))
	require.NoError(t, r.ConsumeTraces(withAuth(authData{"username": "alice"}), forged(2)))
	require.Eventually(t, func() bool { return len(emu.Runs("team-a")) == 2 }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return deadLettered(t, tel, "team-b") == 2 }, 10*time.Second, 10*time.Millisecond,
		"team-b's runs are refused (401) and dead-lettered, counted under its tenant")
	assert.Zero(t, deadLettered(t, tel, "team-a"))
	assert.Empty(t, emu.Runs("team-b"))
	// exporterhelper's own metrics carry the tenant as a data-point attribute.
	assert.Eventually(t, func() bool { return sentSpans(t, tel, "team-a") == 2 }, 10*time.Second, 10*time.Millisecond)
	assert.Zero(t, sentSpans(t, tel, "team-b"))
}

func TestRouterUnknownTenantIsPermanent(t *testing.T) {
	r, err := newTenantRouter(context.Background(), exportertest.NewNopSettings(metadata.Type), tenantTestConfig("http://127.0.0.1:1"))
	require.NoError(t, err)
	err = r.ConsumeTraces(withKey("team-z", ""), testTrace(1, 1))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
}

// postsByKey counts the runs each API key posted in accepted ingest requests.
func postsByKey(emu *smithemu.Server) map[string]int {
	out := map[string]int{}
	for _, req := range emu.Requests() {
		if req.Status/100 == 2 && req.Posts > 0 {
			out[req.Headers["x-api-key"]] += req.Posts
		}
	}
	return out
}

// deadLettered sums the dead-lettered runs the exporter of tenant counted (its meter's scope
// carries tenant=<name>).
func deadLettered(t *testing.T, tel *componenttest.Telemetry, tenant string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.Reader.Collect(context.Background(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		if v, ok := sm.Scope.Attributes.Value("tenant"); !ok || v.AsString() != tenant {
			continue
		}
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "otelcol_exporter_langsmith_runs_dead_lettered" {
				for _, dp := range sum.DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}

// sentSpans sums otelcol_exporter_sent_spans of the data points with tenant=<tenant>.
func sentSpans(t *testing.T, tel *componenttest.Telemetry, tenant string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.Reader.Collect(context.Background(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || m.Name != "otelcol_exporter_sent_spans" {
				continue
			}
			for _, dp := range sum.DataPoints {
				if v, ok := dp.Attributes.Value("tenant"); ok && v.AsString() == tenant {
					n += dp.Value
				}
			}
		}
	}
	return n
}

// A dead-letter directory is re-driven with one key, so tenants never share one.
func TestTenantConfigHasItsOwnDeadLetterDirectory(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DeadLetterDirectory = "/var/lib/otelcol/dead-letter"
	a := tenantConfig(cfg, &TenantConfig{Name: "team-a", Project: "a"})
	b := tenantConfig(cfg, &TenantConfig{Name: "team-b", Project: "b"})
	assert.Equal(t, filepath.Join(cfg.DeadLetterDirectory, "tenant_team-a"), a.DeadLetterDirectory)
	assert.Equal(t, filepath.Join(cfg.DeadLetterDirectory, "tenant_team-b"), b.DeadLetterDirectory)
	assert.Equal(t, "/var/lib/otelcol/dead-letter", cfg.DeadLetterDirectory, "the shared exporter's is unchanged")

	cfg.DeadLetterDirectory = ""
	assert.Empty(t, tenantConfig(cfg, &TenantConfig{Name: "team-a"}).DeadLetterDirectory)
}

// startRouter runs a tenant router against a fresh emulator that accepts testKey for any
// project.
func startRouter(t *testing.T, cfg func(*Config)) (*tenantRouter, *smithemu.Server, *componenttest.Telemetry) {
	t.Helper()
	emu := smithemu.New(smithemu.DefaultConfig())
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	c := tenantTestConfig(ts.URL)
	c.Tenants = nil
	cfg(c)
	require.NoError(t, c.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, err := newTenantRouter(context.Background(), metadatatest.NewSettings(tel), c)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, r.Shutdown(context.Background())) })
	return r, emu, tel
}

// naming returns a one-span trace, its span named name, that names project.
func naming(traceNo byte, name, project string) ptrace.Traces {
	td := testTrace(traceNo, 1)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	span.SetName(name)
	span.Attributes().PutStr(conventions.LangSmithSessionName, project)
	return td
}

// A project in `reserved_projects` (the converter lists there the projects langfuse keys pin)
// is out of reach of callers of no tenant; the key pinning it still writes there.
func TestRouterReservedProjects(t *testing.T) {
	r, emu, _ := startRouter(t, func(c *Config) { c.ReservedProjects = []string{"pinned"} })
	require.NoError(t, r.ConsumeTraces(context.Background(), naming(1, "no-identity", "pinned")))
	require.NoError(t, r.ConsumeTraces(withKey("", ""), naming(2, "shared-key", "pinned")))
	require.NoError(t, r.ConsumeTraces(withKey("", "pinned"), naming(3, "pinning-key", "elsewhere")))
	require.NoError(t, r.ConsumeTraces(context.Background(), naming(4, "free", "free")))
	require.Eventually(t, func() bool {
		return len(emu.Runs("shared-default")) == 2 && len(emu.Runs("pinned")) == 1 && len(emu.Runs("free")) == 1
	}, 10*time.Second, 10*time.Millisecond)
	assert.ElementsMatch(t, []string{"no-identity", "shared-key"}, runNames(emu, "shared-default"))
	assert.Equal(t, []string{"pinning-key"}, runNames(emu, "pinned"), "only the pinning key's run is in its project")
}

// A tenant whose own `api_key` (and `tenant_id`) are the exporter's shares the exporter's
// workspace as much as one without a key: its project is reserved too. The same key under
// another `tenant_id` (an org-scoped key) is another workspace, whose project is not.
func TestRouterReservesTenantsWithTheExportersKey(t *testing.T) {
	for _, tt := range []struct {
		name     string
		tenantID string // the tenant's; the exporter's is "ws-1"
		landIn   string // where a shared caller naming the tenant's project lands
	}{
		{name: "same key, same workspace", tenantID: "ws-1", landIn: "shared-default"},
		{name: "same key, other workspace", tenantID: "ws-2", landIn: "team-k"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, emu, _ := startRouter(t, func(c *Config) {
				c.TenantID = "ws-1"
				c.Tenants = []TenantConfig{{Name: "team-k", Project: "team-k", APIKey: c.APIKey, TenantID: tt.tenantID}}
			})
			require.NoError(t, r.ConsumeTraces(context.Background(), naming(1, "no-identity", "team-k")))
			require.NoError(t, r.ConsumeTraces(withKey("team-k", ""), naming(2, "tenant", "elsewhere")))
			require.Eventually(t, func() bool {
				return len(emu.Runs("team-k"))+len(emu.Runs("shared-default")) == 2
			}, 10*time.Second, 10*time.Millisecond)
			assert.Contains(t, runNames(emu, tt.landIn), "no-identity")
			assert.Contains(t, runNames(emu, "team-k"), "tenant")
		})
	}
}

func runNames(emu *smithemu.Server, project string) []string {
	var names []string
	for _, r := range emu.Runs(project) {
		names = append(names, r.Name)
	}
	return names
}

// byID returns a one-span trace, its span named name, that names its project by id.
func byID(traceNo byte, name, projectID string) ptrace.Traces {
	td := testTrace(traceNo, 1)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	span.SetName(name)
	span.Attributes().PutStr(conventions.LangSmithSessionID, projectID)
	return td
}

func projectIDsDropped(t *testing.T, tel *componenttest.Telemetry) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.Reader.Collect(context.Background(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "otelcol_exporter_langsmith_project_ids_dropped" {
				for _, dp := range sum.DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}

// In a workspace hosting reserved projects, a caller of no tenant cannot reach one by its id:
// the exporter cannot tell whose project an id is, so it drops every id such a caller sends
// (counted) and the run lands in the shared project. A tenant's own runs stay pinned.
func TestRouterProjectIDsOfSharedCallers(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cfg    func(*Config)
		landIn string
	}{
		{name: "tenant sharing the workspace", cfg: func(c *Config) {
			c.Tenants = []TenantConfig{{Name: "team-c", Project: "team-c"}}
		}, landIn: "shared-default"},
		{name: "reserved by a langfuse key", cfg: func(c *Config) { c.ReservedProjects = []string{"pinned"} }, landIn: "shared-default"},
		{name: "tenants with workspaces of their own", cfg: func(c *Config) {
			c.Tenants = []TenantConfig{{Name: "team-a", Project: "team-a", APIKey: keyWorkspaceA}}
		}, landIn: "team-c"},
		{name: "no tenants", cfg: func(*Config) {}, landIn: "team-c"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, emu, tel := startRouter(t, tt.cfg)
			teamC := emu.CreateProject("team-c")
			require.NoError(t, r.ConsumeTraces(context.Background(), byID(1, "no-identity", teamC)))
			require.NoError(t, r.ConsumeTraces(withKey("", ""), byID(2, "shared-key", teamC)))
			require.Eventually(t, func() bool { return len(emu.Runs(tt.landIn)) == 2 }, 10*time.Second, 10*time.Millisecond,
				"shared-default %v, team-c %v", runNames(emu, "shared-default"), runNames(emu, "team-c"))
			if tt.landIn == "shared-default" {
				assert.Empty(t, emu.Runs("team-c"))
				assert.Equal(t, int64(2), projectIDsDropped(t, tel))
			} else {
				assert.Zero(t, projectIDsDropped(t, tel), "as without tenants: the data may name its project")
			}
		})
	}
}

// A tenant's runs are pinned whatever id they name; only callers of no tenant lose theirs.
func TestRouterProjectIDsOfTenants(t *testing.T) {
	r, emu, tel := startRouter(t, func(c *Config) {
		c.Tenants = []TenantConfig{{Name: "team-c", Project: "team-c"}}
	})
	other := emu.CreateProject("other")
	require.NoError(t, r.ConsumeTraces(withKey("team-c", ""), byID(1, "tenant", other)))
	require.NoError(t, r.ConsumeTraces(withKey("", "pinned"), byID(2, "pinning-key", other)))
	require.Eventually(t, func() bool { return len(emu.Runs("team-c")) == 1 && len(emu.Runs("pinned")) == 1 }, 10*time.Second, 10*time.Millisecond)
	assert.Empty(t, emu.Runs("other"))
	assert.Zero(t, projectIDsDropped(t, tel))
}

// A span from outside carrying the exporter's patch stamp is posted, never sent as a patch of
// the run its langsmith.span.id names (another caller's, perhaps), whoever sent it.
func TestRouterRemovesForgedPatchStamps(t *testing.T) {
	r, emu, _ := startRouter(t, func(c *Config) {
		c.Tenants = []TenantConfig{{Name: "team-c", Project: "team-c"}}
	})
	forge := func(traceNo byte, name string) ptrace.Traces {
		td := testTrace(traceNo, 1)
		span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
		span.SetName(name)
		span.Attributes().PutStr(conventions.LangSmithSpanID, fmt.Sprintf("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a%02x", traceNo))
		span.Attributes().PutBool(conventions.Patch, true)
		return td
	}
	require.NoError(t, r.ConsumeTraces(context.Background(), forge(1, "no-identity")))
	require.NoError(t, r.ConsumeTraces(withAuth(authData{"username": "mallory"}), forge(2, "unknown-user")))
	require.NoError(t, r.ConsumeTraces(withKey("team-c", ""), forge(3, "tenant")))
	require.Eventually(t, func() bool { return len(emu.Runs("")) == 3 }, 10*time.Second, 10*time.Millisecond)
	for _, run := range emu.Runs("") {
		assert.Equal(t, 1, run.Posts, run.Name)
		assert.Zero(t, run.Patches, "%s: the stamp from outside was removed", run.Name)
	}
}
