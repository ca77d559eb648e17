// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// issuer is a local OpenID Connect issuer: discovery document, JWKS, and RS256 tokens signed
// with a key made for the test.
type issuer struct {
	*httptest.Server
	key *rsa.PrivateKey
}

const oidcKeyID = "e2e-key-1"

func startIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	iss := &issuer{key: key}
	mux := http.NewServeMux()
	iss.Server = httptest.NewServer(mux)
	t.Cleanup(iss.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.URL,
			"jwks_uri":                              iss.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": oidcKeyID,
			"n": b64url(key.N.Bytes()), "e": b64url(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	return iss
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// token signs claims (iss, exp and iat filled in when absent) with key under this issuer's key id.
func (iss *issuer) token(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	full := map[string]any{"iss": iss.URL, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		full[k] = v
	}
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": oidcKeyID})
	require.NoError(t, err)
	payload, err := json.Marshal(full)
	require.NoError(t, err)
	signing := b64url(header) + "." + b64url(payload)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	require.NoError(t, err)
	return signing + "." + b64url(sig)
}

// The stock oidc extension verifies tokens from a real (local) issuer; the exporter maps the
// subject it vouches for, or a group of its groups claim, to a tenant. A token signed by another
// key, for another audience, or expired is refused with 401; the data's own project claims are
// ignored.
func TestOIDCSubjectAndGroupPickTheTenant(t *testing.T) {
	iss := startIssuer(t)
	emu, url := startTenantEmulator(t)
	health, otlpHTTP := freePort(t), freePort(t)
	c := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  oidc:
    issuer_url: %s
    audience: tracebridge
    groups_claim: groups
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
        auth:
          authenticator: oidc
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: shared-default
    tenants:
      - name: team-a
        project: team-a
        api_key: %s
        match: [{auth_attribute: subject, value: svc-team-a}]
      - name: team-b
        project: team-b
        api_key: %s
        match: [{auth_attribute: membership, value: team-b-writers}]
service:
  extensions: [health_check, oidc]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [langsmith]
`, health, iss.URL, otlpHTTP, url, emuKey, wsKeyA, wsKeyB))
	waitHealthy(t, c, health)
	otlpURL := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpHTTP)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	// With `groups_claim` set, the extension refuses a token without that claim.
	tokenA := iss.token(t, iss.key, map[string]any{"sub": "svc-team-a", "aud": "tracebridge", "groups": []string{"readers"}})
	tokenB := iss.token(t, iss.key, map[string]any{"sub": "svc-other", "aud": []string{"tracebridge"}, "groups": []string{"readers", "team-b-writers"}})
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{name: "a", token: tokenA, want: http.StatusOK},
		{name: "b", token: tokenB, want: http.StatusOK},
		{name: "bad-signature", token: iss.token(t, otherKey, map[string]any{"sub": "svc-team-a", "aud": "tracebridge", "groups": []string{"readers"}}), want: http.StatusUnauthorized},
		{name: "wrong-audience", token: iss.token(t, iss.key, map[string]any{"sub": "svc-team-a", "aud": "someone-else", "groups": []string{"readers"}}), want: http.StatusUnauthorized},
		{name: "expired", token: iss.token(t, iss.key, map[string]any{"sub": "svc-team-a", "aud": "tracebridge", "exp": time.Now().Add(-time.Hour).Unix(), "groups": []string{"readers"}}), want: http.StatusUnauthorized},
		{name: "tampered", token: tamper(tokenA, "svc-team-b"), want: http.StatusUnauthorized},
		{name: "no-groups", token: iss.token(t, iss.key, map[string]any{"sub": "svc-team-a", "aud": "tracebridge"}), want: http.StatusUnauthorized},
		{name: "no-token", want: http.StatusUnauthorized},
	}
	for i, tt := range tests {
		// Every request claims the other tenant's project every way OTLP can.
		claim := "team-b"
		if tt.name == "b" {
			claim = "team-a"
		}
		body := strings.ReplaceAll(forgedOTLP(hexID(16, byte(0x10*(i+1))), "oidc-"+tt.name), `"team-b"`, fmt.Sprintf("%q", claim))
		headers := map[string]string{}
		if tt.token != "" {
			headers["Authorization"] = "Bearer " + tt.token
		}
		assert.Equal(t, tt.want, post(t, otlpURL, headers, body), tt.name)
	}

	require.Eventually(t, func() bool {
		return len(emu.Runs("team-a")) == 1 && len(emu.Runs("team-b")) == 1
	}, 20*time.Second, 50*time.Millisecond, "team-a %v, team-b %v", runNames(emu, "team-a"), runNames(emu, "team-b"))
	assert.Equal(t, []string{"oidc-a"}, runNames(emu, "team-a"), "the subject's run is in its tenant's project although its data claimed team-b")
	assert.Equal(t, []string{"oidc-b"}, runNames(emu, "team-b"), "the group member's run is in its tenant's project although its data claimed team-a")
	assert.Empty(t, emu.Runs("shared-default"), "refused requests wrote nothing")
	assert.Equal(t, map[string]int{wsKeyA: 1, wsKeyB: 1}, postsByKey(emu), "each tenant's run went with its own workspace key")
	c.stop(t)
}

// tamper replaces the subject in a signed token's payload, keeping its signature.
func tamper(token, subject string) string {
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	claims["sub"] = subject
	payload, _ = json.Marshal(claims)
	return parts[0] + "." + b64url(payload) + "." + parts[2]
}
