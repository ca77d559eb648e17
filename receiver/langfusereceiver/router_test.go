// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadatatest"
)

// TestRouterAnswersAsTheMux holds the router's shortcut to what the mux behind it answers:
// the same status, headers, body, spans and pattern for the ingestion paths, their near
// misses (escapes, doubled or trailing slashes, other methods) and everything else.
func TestRouterAnswersAsTheMux(t *testing.T) {
	tests := []struct {
		method, target, body string
		wantShortcut         bool
	}{
		{method: http.MethodPost, target: pathRaw, body: validRecord, wantShortcut: true},
		{method: http.MethodPost, target: pathTelemetry, body: validRecord, wantShortcut: true},
		{method: http.MethodPost, target: pathSession, body: `{"children":[{}]}`, wantShortcut: true},
		{method: http.MethodPost, target: pathRaw + "?x=1", body: validRecord, wantShortcut: true},
		{method: http.MethodPost, target: pathRaw, body: `{"level":1}`, wantShortcut: true},
		{method: http.MethodPost, target: pathRaw + "/", body: validRecord},
		{method: http.MethodPost, target: "/api/v1//telemetry/raw", body: validRecord},
		{method: http.MethodPost, target: "/api/v1/telemetry/./raw", body: validRecord},
		{method: http.MethodPost, target: "/api/v1/telemetry%2Fraw", body: validRecord},
		{method: http.MethodPost, target: "/api/v1/telemetry/r%61w", body: validRecord},
		{method: http.MethodPut, target: pathRaw, body: validRecord},
		{method: http.MethodGet, target: pathRaw},
		{method: http.MethodPost, target: pathConfig},
		{method: http.MethodGet, target: pathConfig},
		{method: http.MethodHead, target: pathConfig},
		{method: http.MethodPost, target: "/nowhere", body: validRecord},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			serve := func(viaMux, muxless bool) (*httptest.ResponseRecorder, string, int) {
				tel := componenttest.NewTelemetry()
				t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
				sink := new(consumertest.TracesSink)
				r, err := newReceiver(testConfig(), metadatatest.NewSettings(tel), sink)
				require.NoError(t, err)
				t.Cleanup(r.telemetry.Shutdown)
				rt := r.routes().(*router)
				var h http.Handler = rt
				if viaMux {
					h = rt.mux
				}
				if muxless {
					rt.mux = http.NewServeMux() // answers 404 to everything
				}
				req := httptest.NewRequestWithContext(t.Context(), tt.method, tt.target, strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-Key", keyTeamA)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w, req.Pattern, sink.SpanCount()
			}
			want, wantPattern, wantSpans := serve(true, false)
			got, gotPattern, gotSpans := serve(false, false)
			assert.Equal(t, want.Code, got.Code)
			assert.Equal(t, want.Header(), got.Header())
			assert.Equal(t, want.Body.String(), got.Body.String())
			assert.Equal(t, wantSpans, gotSpans)
			if tt.wantShortcut {
				// The mux sets the pattern on the request it is given; so does the shortcut.
				assert.Equal(t, wantPattern, gotPattern)
				assert.NotEmpty(t, gotPattern)
				// And it does not reach the mux at all.
				direct, _, _ := serve(false, true)
				assert.Equal(t, want.Code, direct.Code)
			}
		})
	}
}
