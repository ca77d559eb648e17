// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stock basicauth extension authenticates OTLP callers; the langsmith exporter maps the
// username it vouches for to a tenant (auth_attribute: username). A wrong password is refused
// before any data is read; a right one lands in that tenant's project whatever the data claims.
func TestBasicAuthUsernamePicksTheTenant(t *testing.T) {
	emu, url := startEmulator(t)
	health, otlpHTTP := freePort(t), freePort(t)
	c := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  basicauth:
    htpasswd:
      inline: |
        alice:alice-secret
        bob:bob-secret
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
        auth:
          authenticator: basicauth
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: shared-default
    tenants:
      - name: team-a
        project: team-a
        match: [{auth_attribute: username, value: alice}]
      - name: team-b
        project: team-b
        match: [{auth_attribute: username, value: bob}]
service:
  extensions: [health_check, basicauth]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [langsmith]
`, health, otlpHTTP, url, emuKey))
	waitHealthy(t, c, health)

	send := func(user, password string, seed byte, claim string) int {
		body := otlpBody(otlpSpan(hexID(16, seed), hexID(8, seed), "", user+"-run", time.Now().Add(-time.Second), 10*time.Millisecond,
			strAttr("langsmith.trace.session_name", claim)))
		req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpHTTP), strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, send("mallory", "wrong", 0x11, "team-a"))
	assert.Equal(t, http.StatusUnauthorized, send("alice", "bob-secret", 0x12, "team-b"))
	assert.Equal(t, http.StatusOK, send("alice", "alice-secret", 0x13, "team-b"))
	assert.Equal(t, http.StatusOK, send("bob", "bob-secret", 0x14, "team-a"))

	require.Eventually(t, func() bool {
		return len(emu.Runs("team-a")) == 1 && len(emu.Runs("team-b")) == 1
	}, 20*time.Second, 50*time.Millisecond, "each user's run in its own tenant's project")
	assert.Equal(t, "alice-run", emu.Runs("team-a")[0].Name, "alice's run is in team-a's project although its data claimed team-b")
	assert.Equal(t, "bob-run", emu.Runs("team-b")[0].Name)
	assert.Empty(t, emu.Runs("shared-default"), "the refused requests wrote nothing")
	c.stop(t)
}
