// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// LangSmith keys of two workspaces, each able to write only into its tenant's project (the
// emulator binds them), and the OTLP tokens and raw-record keys the tenants' services use.
const (
	wsKeyA, wsKeyB         = "ws-a-key", "ws-b-key"
	otlpTokenA, otlpTokenB = "otlp-token-a", "otlp-token-b"
	rawKeyA, rawKeyB       = "raw-a-key", "raw-b-key"
	rawKeyShared           = "raw-shared-key"
)

type tenantPorts struct{ health, otlpHTTP, langfuse int }

func tenantsConfig(ports tenantPorts, emulatorURL string) string {
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  bearertokenauth:
    scheme: Bearer
    tokens: [%s, %s]
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
        include_metadata: true
        auth:
          authenticator: bearertokenauth
  langfuse:
    endpoint: 127.0.0.1:%d
    api_keys:
      - {key: %s, tenant: team-a}
      - {key: %s, tenant: team-b}
      - {key: %s}
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 400
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: shared-default
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
    assembly:
      orphan_wait: 1s
      resolved_ttl: 1h
    tenants:
      - name: team-a
        project: team-a
        api_key: %s
        match: [{bearer_token: %s}]
      - name: team-b
        project: team-b
        api_key: %s
        match: [{bearer_token: %s}]
service:
  extensions: [health_check, bearertokenauth]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp, langfuse]
      processors: [memory_limiter]
      exporters: [langsmith]
`, ports.health, otlpTokenA, otlpTokenB, ports.otlpHTTP, ports.langfuse, rawKeyA, rawKeyB, rawKeyShared,
		emulatorURL, emuKey, wsKeyA, otlpTokenA, wsKeyB, otlpTokenB)
}

func startTenantEmulator(t *testing.T) (*smithemu.Server, string) {
	t.Helper()
	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = map[string]string{emuKey: "", wsKeyA: "team-a", wsKeyB: "team-b"}
	emu := smithemu.New(cfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	return emu, ts.URL
}

func post(t *testing.T, url string, headers map[string]string, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body)) //nolint:noctx // test
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode
}

// forgedOTLP is one root span whose resource and span claim team-b every way OTLP can.
func forgedOTLP(trace, name string) string {
	forge := strings.Join([]string{
		strAttr("tracebridge.tenant.project", "team-b"),
		strAttr("langsmith.trace.session_name", "team-b"),
		strAttr("tracebridge.tenant", "team-b"),
		strAttr("langsmith.trace.session_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
		strAttr("ai.telemetry.metadata.ls_project_name", "team-b"),
	}, ",")
	span := otlpSpan(trace, hexID(8, 0x11), "", name, time.Now().Add(-time.Second), 10*time.Millisecond, forge)
	return `{"resourceSpans":[{"resource":{"attributes":[` + strAttr("service.name", "forger") + "," + forge + `,` +
		strAttr("service.namespace", "team-b") + `]},"scopeSpans":[{"scope":{"name":"e2e"},"spans":[` + span + `]}]}]}`
}

// forgedRecord is one raw record whose extras claim team-b.
func forgedRecord(trace, name string) string {
	now := time.Now().Add(-time.Second)
	return fmt.Sprintf(`{"trace_id":%q,"span_id":%q,"span_name":%q,"start_time_unix_nano":%d,"end_time_unix_nano":%d,`+
		`"extra":{"tracebridge.tenant.project":"team-b","langsmith.trace.session_name":"team-b","tracebridge.tenant":"team-b"}}`,
		trace, hexID(8, 0x22), name, now.UnixNano(), now.Add(10*time.Millisecond).UnixNano())
}

// postsByKey counts the runs each LangSmith key posted in accepted requests.
func postsByKey(emu *smithemu.Server) map[string]int {
	out := map[string]int{}
	for _, req := range emu.Requests() {
		if req.Status/100 == 2 && req.Posts > 0 {
			out[req.Headers["x-api-key"]] += req.Posts
		}
	}
	return out
}

func runNames(emu *smithemu.Server, project string) []string {
	var names []string
	for _, r := range emu.Runs(project) {
		names = append(names, r.Name)
	}
	return names
}

// TestTenantsCannotBeForged tries every way in with data claiming team-b's project; only
// team-b's own credentials reach it, and each tenant's runs go with its own LangSmith key.
func TestTenantsCannotBeForged(t *testing.T) {
	emu, url := startTenantEmulator(t)
	ports := tenantPorts{health: freePort(t), otlpHTTP: freePort(t), langfuse: freePort(t)}
	c := startCollector(t, tenantsConfig(ports, url))
	waitHealthy(t, c, ports.health)
	otlpURL := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", ports.otlpHTTP)
	rawURL := fmt.Sprintf("http://127.0.0.1:%d/api/v1/telemetry/raw", ports.langfuse)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	tests := []struct {
		name    string
		url     string
		headers map[string]string
		body    string
		want    int
	}{
		{name: "otlp-a-stamps", url: otlpURL, headers: bearer(otlpTokenA), body: forgedOTLP(hexID(16, 0x01), "otlp-a-stamps"), want: http.StatusOK},
		{
			name: "otlp-a-forged-header", url: otlpURL,
			headers: map[string]string{"Authorization": "Bearer " + otlpTokenA, "tracebridge.tenant": "team-b", "X-Tenant": "team-b"},
			body:    forgedOTLP(hexID(16, 0x02), "otlp-a-forged-header"), want: http.StatusOK,
		},
		{name: "otlp-wrong-token", url: otlpURL, headers: bearer("otlp-token-x"), body: forgedOTLP(hexID(16, 0x03), "otlp-wrong-token"), want: http.StatusUnauthorized},
		{name: "otlp-no-token", url: otlpURL, body: forgedOTLP(hexID(16, 0x04), "otlp-no-token"), want: http.StatusUnauthorized},
		{name: "raw-a-extras", url: rawURL, headers: map[string]string{"X-API-Key": rawKeyA}, body: forgedRecord(hexID(16, 0x05), "raw-a-extras"), want: http.StatusNoContent},
		{
			name: "raw-a-with-b-token", url: rawURL,
			headers: map[string]string{"X-API-Key": rawKeyA, "Authorization": "Bearer " + otlpTokenB},
			body:    forgedRecord(hexID(16, 0x06), "raw-a-with-b-token"), want: http.StatusNoContent,
		},
		{name: "raw-wrong-key", url: rawURL, headers: map[string]string{"X-API-Key": "raw-x-key"}, body: forgedRecord(hexID(16, 0x07), "raw-wrong-key"), want: http.StatusUnauthorized},
		{name: "raw-no-key", url: rawURL, body: forgedRecord(hexID(16, 0x08), "raw-no-key"), want: http.StatusUnauthorized},
		{name: "otlp-b", url: otlpURL, headers: bearer(otlpTokenB), body: forgedOTLP(hexID(16, 0x09), "otlp-b"), want: http.StatusOK},
		{name: "raw-b", url: rawURL, headers: map[string]string{"X-API-Key": rawKeyB}, body: forgedRecord(hexID(16, 0x0a), "raw-b"), want: http.StatusNoContent},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, post(t, tt.url, tt.headers, tt.body), tt.name)
	}
	// A shared key keeps today's behavior, in the exporter's own workspace: its extras are
	// run metadata, and the run goes to the exporter's project.
	require.Equal(t, http.StatusNoContent, post(t, rawURL, map[string]string{"X-API-Key": rawKeyShared}, forgedRecord(hexID(16, 0x0b), "raw-shared")))

	assert.Eventually(t, func() bool {
		// A raw record of a trace without a trace-level record also makes its synthesized root.
		return len(emu.Runs("team-a")) == 6 && len(emu.Runs("team-b")) == 3 && len(emu.Runs("shared-default")) == 2
	}, 30*time.Second, 50*time.Millisecond, "team-a %v, team-b %v, shared-default %v", runNames(emu, "team-a"), runNames(emu, "team-b"), runNames(emu, "shared-default"))
	if t.Failed() {
		for _, r := range emu.Requests() {
			t.Logf("emulator: %s %s -> %d %s key=%s", r.Method, r.Path, r.Status, r.Error, r.Headers["x-api-key"])
		}
	}
	assert.ElementsMatch(t, []string{"otlp-a-stamps", "otlp-a-forged-header", "raw-a-extras", "trace", "raw-a-with-b-token", "trace"}, runNames(emu, "team-a"))
	assert.ElementsMatch(t, []string{"otlp-b", "raw-b", "trace"}, runNames(emu, "team-b"), "only team-b's own credentials reach its project")
	assert.ElementsMatch(t, []string{"raw-shared", "trace"}, runNames(emu, "shared-default"))
	assert.Equal(t, map[string]int{wsKeyA: 6, wsKeyB: 3, emuKey: 2}, postsByKey(emu), "each tenant's runs go with its own workspace key")
	c.stop(t)
}

// TestTenantOutageDoesNotDelayAnother: team-b's workspace answers 503 for as long as the test
// runs; team-a's runs, sent after team-b's through the same collector, land anyway.
func TestTenantOutageDoesNotDelayAnother(t *testing.T) {
	emu, url := startTenantEmulator(t)
	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteIngest, APIKey: wsKeyB, Status: http.StatusServiceUnavailable, Count: 1 << 20})
	ports := tenantPorts{health: freePort(t), otlpHTTP: freePort(t), langfuse: freePort(t)}
	c := startCollector(t, tenantsConfig(ports, url))
	waitHealthy(t, c, ports.health)
	otlpURL := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", ports.otlpHTTP)

	for i := range 20 {
		body := otlpBody(otlpSpan(hexID(16, byte(0x40+i)), hexID(8, 0x33), "", fmt.Sprintf("b-%d", i), time.Now().Add(-time.Second), time.Millisecond, ""))
		require.Equal(t, http.StatusOK, post(t, otlpURL, map[string]string{"Authorization": "Bearer " + otlpTokenB}, body))
	}
	require.Eventually(t, func() bool {
		for _, r := range emu.Requests() {
			if r.Headers["x-api-key"] == wsKeyB && r.Status == http.StatusServiceUnavailable {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "team-b's uploads meet its outage")
	start := time.Now()
	for i := range 5 {
		body := otlpBody(otlpSpan(hexID(16, byte(0x80+i)), hexID(8, 0x44), "", fmt.Sprintf("a-%d", i), time.Now().Add(-time.Second), time.Millisecond, ""))
		require.Equal(t, http.StatusOK, post(t, otlpURL, map[string]string{"Authorization": "Bearer " + otlpTokenA}, body))
	}
	require.Eventually(t, func() bool { return len(emu.Runs("team-a")) == 5 }, 10*time.Second, 20*time.Millisecond)
	t.Logf("team-a's 5 runs landed %s after they were sent, while team-b's workspace was down", time.Since(start).Round(time.Millisecond))
	assert.Empty(t, emu.Runs("team-b"))
	assert.NotEmpty(t, emu.PendingFaults(), "team-b's outage lasted through the test")
}

// TestTenantLosingConfigIsRefused: a batch processor between the receivers and a tenant-aware
// exporter would drop the callers' identities; the collector refuses to start.
func TestTenantLosingConfigIsRefused(t *testing.T) {
	ports := tenantPorts{health: freePort(t), otlpHTTP: freePort(t), langfuse: freePort(t)}
	cfg := tenantsConfig(ports, "http://127.0.0.1:1")
	cfg = strings.Replace(cfg, "processors:\n", "processors:\n  batch: {}\n", 1)
	cfg = strings.Replace(cfg, "processors: [memory_limiter]", "processors: [memory_limiter, batch]", 1)
	c := startCollector(t, cfg)
	select {
	case err := <-c.done:
		c.done <- err
		require.Error(t, err, "the collector must not start")
	case <-time.After(30 * time.Second):
		t.Fatal("the collector started with a configuration that loses tenants")
	}
	assert.Contains(t, c.output.String(), `processor "batch" hands data on without the caller's identity`)
}
