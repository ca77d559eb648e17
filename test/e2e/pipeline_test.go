// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"encoding/hex"
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

const emuKey = "e2e-key"

// startEmulator serves a strict LangSmith emulator on loopback.
func startEmulator(t *testing.T) (*smithemu.Server, string) {
	t.Helper()
	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = map[string]string{emuKey: ""}
	emu := smithemu.New(cfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	return emu, ts.URL
}

// pipelineConfig is a collector with both receivers feeding the langsmith exporter.
type pipelineConfig struct {
	health, otlpHTTP, langfuse int
	emulatorURL, storageDir    string
	orphanWait                 string
	// withDebug puts the debug exporter beside langsmith, as config.yaml does: the collector
	// then clones each batch for langsmith, which moves spans out of what it is given.
	withDebug bool
}

func (p pipelineConfig) yaml() string {
	storage, extensions, exporterStorage := "", "[health_check]", ""
	if p.storageDir != "" {
		storage = fmt.Sprintf("  file_storage:\n    directory: %s\n    create_directory: true\n", p.storageDir)
		extensions = "[health_check, file_storage]"
		exporterStorage = "    sending_queue:\n      storage: file_storage\n"
	}
	orphanWait := p.orphanWait
	if orphanWait == "" {
		orphanWait = "2s"
	}
	assemblyStorage := ""
	if p.storageDir != "" {
		assemblyStorage = "      storage: file_storage\n"
	}
	debug, exporters := "", "[langsmith]"
	if p.withDebug {
		debug, exporters = "  debug:\n    verbosity: detailed\n", "[langsmith, debug]"
	}
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
%s
receivers:
  langfuse:
    endpoint: 127.0.0.1:%d
    api_keys:
      - key: tenant-a-key
        project: tenant-a
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: e2e
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
%s    assembly:
      orphan_wait: %s
      resolved_ttl: 1h
%s%s
service:
  extensions: %s
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [langfuse, otlp]
      exporters: %s
`, p.health, storage, p.langfuse, p.otlpHTTP, p.emulatorURL, emuKey, exporterStorage, orphanWait, assemblyStorage, debug, extensions, exporters)
}

func newPipeline(t *testing.T, emulatorURL string) pipelineConfig {
	return pipelineConfig{health: freePort(t), otlpHTTP: freePort(t), langfuse: freePort(t), emulatorURL: emulatorURL}
}

func postJSON(t *testing.T, url, apiKey, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body)) //nolint:noctx // test
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("POST %s -> %d %s", url, resp.StatusCode, b.String())
	}
	return resp.StatusCode
}

// otlpSpan renders one span of trace as OTLP/JSON.
func otlpSpan(trace, id, parent, name string, start time.Time, dur time.Duration, attrs string) string {
	p := ""
	if parent != "" {
		p = fmt.Sprintf(`"parentSpanId":%q,`, parent)
	}
	return fmt.Sprintf(`{"traceId":%q,"spanId":%q,%s"name":%q,"kind":1,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[%s]}`,
		trace, id, p, name, start.UnixNano(), start.Add(dur).UnixNano(), attrs)
}

func otlpBody(spans ...string) string {
	return `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"e2e-agent"}}]},"scopeSpans":[{"scope":{"name":"e2e"},"spans":[` +
		strings.Join(spans, ",") + `]}]}]}`
}

func strAttr(k, v string) string {
	return fmt.Sprintf(`{"key":%q,"value":{"stringValue":%q}}`, k, v)
}

// shape renders a tree as "name(type)[child,child]" so whole trees compare in one assertion.
func shape(n *smithemu.TreeNode) string {
	s := n.Run.Name + "(" + n.Run.RunType + ")"
	if len(n.Children) == 0 {
		return s
	}
	parts := make([]string, len(n.Children))
	for i, c := range n.Children {
		parts[i] = shape(c)
	}
	return s + "[" + strings.Join(parts, ",") + "]"
}

func hexID(n int, seed byte) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return hex.EncodeToString(b)
}

// findTrace returns the single tree of project whose root has the given name.
func findTrace(emu *smithemu.Server, project, rootName string) *smithemu.TreeNode {
	for _, root := range emu.Trees(project) {
		if root.Run.Name == rootName {
			return root
		}
	}
	return nil
}

func TestPipelineOTLPChildrenFirstBecomesOneTree(t *testing.T) {
	for _, withDebug := range []bool{false, true} {
		t.Run(fmt.Sprintf("debug exporter beside langsmith: %v", withDebug), func(t *testing.T) {
			testChildrenFirst(t, withDebug)
		})
	}
}

func testChildrenFirst(t *testing.T, withDebug bool) {
	emu, url := startEmulator(t)
	p := newPipeline(t, url)
	p.withDebug = withDebug
	c := startCollector(t, p.yaml())
	waitHealthy(t, c, p.health)

	trace := hexID(16, 0x10)
	root, llm, tool := hexID(8, 0x20), hexID(8, 0x30), hexID(8, 0x40)
	start := time.Now().Add(-time.Second)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", p.otlpHTTP)
	// Children first, in separate requests, as SDKs export spans when they end.
	require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(otlpSpan(trace, tool, llm, "get_weather", start.Add(30*time.Millisecond), 20*time.Millisecond,
		strAttr("gen_ai.operation.name", "execute_tool")+","+strAttr("gen_ai.tool.name", "get_weather")))))
	require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(otlpSpan(trace, llm, root, "chat gpt-4o", start.Add(10*time.Millisecond), 100*time.Millisecond,
		strAttr("gen_ai.operation.name", "chat")+","+strAttr("gen_ai.request.model", "gpt-4o")))))
	require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(otlpSpan(trace, root, "", "agent", start, 200*time.Millisecond,
		strAttr("input.value", "hello")))))

	var tree *smithemu.TreeNode
	require.Eventually(t, func() bool {
		tree = findTrace(emu, "e2e", "agent")
		return tree != nil && shape(tree) == "agent(chain)[chat gpt-4o(llm)[get_weather(tool)]]"
	}, 20*time.Second, 50*time.Millisecond, "the tree never arrived whole")
	for _, r := range emu.Runs("e2e") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
		assert.Equal(t, "success", r.Status)
	}
	c.stop(t)
	if withDebug {
		// The debug exporter saw the spans whole: langsmith got a clone, not the shared batch.
		for _, name := range []string{"get_weather", "chat gpt-4o", "agent"} {
			assert.Contains(t, c.output.String(), "Name           : "+name)
		}
	}
}

func TestPipelineRawRecordsLandInTenantProject(t *testing.T) {
	emu, url := startEmulator(t)
	p := newPipeline(t, url)
	c := startCollector(t, p.yaml())
	waitHealthy(t, c, p.health)

	trace := hexID(16, 0x50)
	now := time.Now().Add(-time.Second)
	record := func(span, name string, startMs, endMs int) string {
		return fmt.Sprintf(`{"user_id":"u-42","session_id":"sess-9","trace_id":%q,"trace_name":"wallet-agent","span_id":%q,"span_name":%q,`+
			`"start_time_unix_nano":%d,"end_time_unix_nano":%d,"input":"in","output":"out","level":"INFO","error":false}`,
			trace, span, name, now.Add(time.Duration(startMs)*time.Millisecond).UnixNano(), now.Add(time.Duration(endMs)*time.Millisecond).UnixNano())
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/api/v1/telemetry/raw", p.langfuse)
	assert.Equal(t, http.StatusUnauthorized, postJSON(t, endpoint, "", record(hexID(8, 0x60), "exec:one", 0, 10)))
	require.Equal(t, http.StatusNoContent, postJSON(t, endpoint, "tenant-a-key", record(hexID(8, 0x60), "exec:one", 0, 10)))
	require.Equal(t, http.StatusNoContent, postJSON(t, endpoint, "tenant-a-key", record(hexID(8, 0x70), "exec:two", 20, 40)))

	require.Eventually(t, func() bool {
		tree := findTrace(emu, "tenant-a", "wallet-agent")
		return tree != nil && len(tree.Children) == 2
	}, 20*time.Second, 50*time.Millisecond, "the records never arrived under one synthesized root in the tenant's project")
	assert.Empty(t, emu.Runs("e2e"), "a tenant's records leaked into the default project")

	// A trace-level record (no span_id) that comes after the observations is the same root:
	// it updates it with the trace's input and output instead of starting a second tree.
	traceLevel := fmt.Sprintf(`{"trace_id":%q,"trace_name":"wallet-agent","start_time_unix_nano":%d,"end_time_unix_nano":%d,`+
		`"input":"{\"task\":\"pay bob\"}","output":"{\"result\":\"paid\"}"}`, trace, now.UnixNano(), now.Add(50*time.Millisecond).UnixNano())
	require.Equal(t, http.StatusNoContent, postJSON(t, endpoint, "tenant-a-key", traceLevel))
	require.Eventually(t, func() bool {
		tree := findTrace(emu, "tenant-a", "wallet-agent")
		return tree != nil && len(emu.Trees("tenant-a")) == 1 && len(tree.Children) == 2 &&
			tree.Run.Inputs["task"] == "pay bob" && tree.Run.Outputs["result"] == "paid"
	}, 20*time.Second, 50*time.Millisecond, "the trace-level record did not update the synthesized root")
	for _, r := range emu.Runs("tenant-a") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
	}
	c.stop(t)
}
