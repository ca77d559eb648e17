// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// A langfuse key pins a project in the exporter's own workspace; OTLP callers are not
// authenticated, so they are all callers of no tenant. None of them reaches the key's project:
// not by its name (the build's converter reserves it on the exporter), not by its id, and not
// by patching one of its runs with a forged patch stamp. The key's own runs still land there.
func TestSharedCallersCannotReachAKeysProject(t *testing.T) {
	emu, url := startEmulator(t)
	health, otlpHTTP, langfuse := freePort(t), freePort(t), freePort(t)
	c := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
  langfuse:
    endpoint: 127.0.0.1:%d
    api_keys:
      - {key: %s, project: pinned}
      - {key: %s}
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: shared-default
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
    assembly:
      live_view: true
      orphan_wait: 1s
      resolved_ttl: 1h
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp, langfuse]
      exporters: [langsmith]
`, health, otlpHTTP, langfuse, rawKeyA, rawKeyShared, url, emuKey))
	waitHealthy(t, c, health)
	otlpURL := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpHTTP)
	rawURL := fmt.Sprintf("http://127.0.0.1:%d/api/v1/telemetry/raw", langfuse)
	pinnedID := emu.CreateProject("pinned")

	// The key's own record, still running (no end time): with live_view it is posted in
	// progress, so a patch could still change it.
	start := time.Now().Add(-time.Second)
	require.Equal(t, http.StatusNoContent, post(t, rawURL, map[string]string{"X-API-Key": rawKeyA}, fmt.Sprintf(
		`{"trace_id":%q,"span_id":%q,"span_name":"keys-own","start_time_unix_nano":%d,"extra":{"langsmith.trace.session_name":"elsewhere"}}`,
		hexID(16, 0x01), hexID(8, 0x01), start.UnixNano())))
	var target smithemu.Run
	require.Eventually(t, func() bool {
		for _, r := range emu.Runs("pinned") {
			if r.Name == "keys-own" {
				target = r
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "the key's run lands in its project whatever its data names")
	require.Equal(t, "pending", target.Status)

	send := func(name, attrs string) {
		t.Helper()
		body := otlpBody(otlpSpan(hexID(16, byte(len(name))), hexID(8, 0x02), "", name, start, 10*time.Millisecond, attrs))
		require.Equal(t, http.StatusOK, post(t, otlpURL, nil, body), name)
	}
	send("by-name", strAttr("langsmith.trace.session_name", "pinned"))
	send("by-id", strAttr("langsmith.trace.session_id", pinnedID))
	send("by-metadata-id", strAttr("ai.telemetry.metadata.ls_project_id", pinnedID))
	// A patch of the key's run: its identity, the exporter's patch stamp and new outputs.
	send("forged-patch", strAttr("langsmith.span.id", target.ID)+","+strAttr("langsmith.trace.id", target.TraceID)+","+
		strAttr("langsmith.span.dotted_order", target.DottedOrder)+`,{"key":"tracebridge.patch","value":{"boolValue":true}},`+
		strAttr("output.value", "forged"))
	// A shared raw-record key names the project too.
	require.Equal(t, http.StatusNoContent, post(t, rawURL, map[string]string{"X-API-Key": rawKeyShared}, fmt.Sprintf(
		`{"trace_id":%q,"span_id":%q,"span_name":"shared-key","start_time_unix_nano":%d,"end_time_unix_nano":%d,"extra":{"langsmith.trace.session_name":"pinned"}}`,
		hexID(16, 0x03), hexID(8, 0x03), start.UnixNano(), start.Add(time.Millisecond).UnixNano())))

	require.Eventually(t, func() bool {
		names := runNames(emu, "shared-default")
		return len(names) >= 4 && conflicted(emu) > 0
	}, 20*time.Second, 50*time.Millisecond, "shared-default %v", runNames(emu, "shared-default"))
	assert.Subset(t, runNames(emu, "shared-default"), []string{"by-name", "by-id", "by-metadata-id", "shared-key"})
	var now smithemu.Run
	for _, r := range emu.Runs("") {
		if r.ID == target.ID {
			now = r
		}
	}
	assert.Equal(t, "pinned", now.Project)
	assert.Zero(t, now.Patches, "the forged patch stamp was removed: the span went as a post, which LangSmith refuses as a duplicate")
	assert.Equal(t, "pending", now.Status)
	assert.NotContains(t, fmt.Sprint(now.Outputs), "forged")
	for _, name := range runNames(emu, "pinned") {
		assert.Contains(t, []string{"keys-own", "trace"}, name, "only the key's runs are in its project")
	}
	assert.Contains(t, c.output.String(), "the id was dropped")
	c.stop(t)
}

// conflicted counts the ingest requests the emulator answered 409.
func conflicted(emu *smithemu.Server) int {
	n := 0
	for _, r := range emu.Requests() {
		if r.Status == http.StatusConflict {
			n++
		}
	}
	return n
}
