// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// TestExamplesValidate checks every configuration in examples/ with the collector's own
// `validate` command, so a component renamed or dropped from the build breaks `make test`.
func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no examples found")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := exec.CommandContext(context.Background(), collectorBinary(t), "validate", "--config", f)
			// The examples read secrets from the environment, as a deployment would.
			cmd.Env = append(os.Environ(), "LANGSMITH_API_KEY=validate-only", "TRACEBRIDGE_RAW_API_KEY=raw",
				"TEAM_SEARCH_KEY=search", "TEAM_BILLING_KEY=billing", "OTLP_TOKEN_SEARCH=tok-search", "OTLP_TOKEN_BILLING=tok-billing",
				"TEAM_SEARCH_LANGSMITH_KEY=ls-search", "TEAM_BILLING_LANGSMITH_KEY=ls-billing", "TRACEBRIDGE_DATA_DIR="+t.TempDir())
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "validate %s:\n%s", f, out)
		})
	}
}

// processorPipeline is a collector with OTLP/HTTP in, the given processors, langsmith out, and
// its own metrics on a Prometheus port.
type processorPipeline struct {
	health, otlpHTTP, metrics int
}

func (p processorPipeline) start(t *testing.T, emulatorURL, processors, names string) *collector {
	t.Helper()
	config := fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
%s
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: e2e
    assembly:
      orphan_wait: 500ms
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
  pipelines:
    traces:
      receivers: [otlp]
      processors: [%s]
      exporters: [langsmith]
`, p.health, p.otlpHTTP, processors, emulatorURL, emuKey, p.metrics, names)
	c := startCollector(t, config)
	waitHealthy(t, c, p.health)
	return c
}

func newProcessorPipeline(t *testing.T) processorPipeline {
	return processorPipeline{health: freePort(t), otlpHTTP: freePort(t), metrics: freePort(t)}
}

// spanOfKind renders one OTLP/JSON span with an explicit span kind (2 server, 3 client).
func spanOfKind(trace, id, parent, name string, kind int, start time.Time, dur time.Duration, attrs string) string {
	s := otlpSpan(trace, id, parent, name, start, dur, attrs)
	return strings.Replace(s, `"kind":1`, fmt.Sprintf(`"kind":%d`, kind), 1)
}

// counter sums one of the collector's Prometheus series (with or without _total).
func counter(t *testing.T, port int, name string) float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port)) //nolint:gosec,noctx // test-local URL
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var v float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		series, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		n, _, _ := strings.Cut(series, "{")
		if strings.TrimSuffix(n, "_total") != name {
			continue
		}
		if x, err := strconv.ParseFloat(value, 64); err == nil {
			v += x
		}
	}
	return v
}

func TestRedactionRemovesEmailBeforeLangSmith(t *testing.T) {
	emu, url := startEmulator(t)
	p := newProcessorPipeline(t)
	c := p.start(t, url, `  redaction:
    allow_all_keys: true
    blocked_values:
      - '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'`, "redaction")

	trace, root := hexID(16, 0x71), hexID(8, 0x72)
	start := time.Now().Add(-time.Second)
	prompt := `[{"role":"user","content":"Write to jane.doe@example.com about the invoice"}]`
	require.Equal(t, http.StatusOK, postJSON(t, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", p.otlpHTTP), "",
		otlpBody(otlpSpan(trace, root, "", "chat gpt-4o", start, 50*time.Millisecond,
			strAttr("gen_ai.operation.name", "chat")+","+strAttr("gen_ai.request.model", "gpt-4o")+","+
				strAttr("gen_ai.input.messages", prompt)))))

	var run smithemu.Run
	require.Eventually(t, func() bool {
		runs := emu.Runs("e2e")
		if len(runs) != 1 {
			return false
		}
		run = runs[0]
		return true
	}, 20*time.Second, 50*time.Millisecond, "the run never arrived")
	body, err := json.Marshal(run)
	require.NoError(t, err)
	assert.NotContains(t, string(body), "jane.doe@example.com", "the e-mail address reached LangSmith")
	assert.NotContains(t, string(body), "example.com")
	inputs, err := json.Marshal(run.Inputs)
	require.NoError(t, err)
	assert.Contains(t, string(inputs), "Write to **** about the invoice", "the prompt lost more than the address")
	c.stop(t)
}

func TestFilterDropsHTTPSpansAndKeepsLLMTreeWhole(t *testing.T) {
	emu, url := startEmulator(t)
	p := newProcessorPipeline(t)
	c := p.start(t, url, `  filter:
    error_mode: ignore
    traces:
      span:
        - 'kind == SPAN_KIND_CLIENT and attributes["http.request.method"] != nil'`, "filter")

	trace := hexID(16, 0x81)
	root, httpSpan, llm, tool := hexID(8, 0x82), hexID(8, 0x83), hexID(8, 0x84), hexID(8, 0x85)
	start := time.Now().Add(-time.Second)
	httpAttrs := strAttr("http.request.method", "POST") + "," + strAttr("url.full", "https://api.openai.com/v1/chat/completions")
	// The auto-instrumented HTTP client span sits between the agent and its LLM call, and an
	// LLM call of its own under it: both must survive its removal, under the agent.
	require.Equal(t, http.StatusOK, postJSON(t, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", p.otlpHTTP), "", otlpBody(
		spanOfKind(trace, tool, llm, "get_weather", 1, start.Add(40*time.Millisecond), 10*time.Millisecond,
			strAttr("gen_ai.operation.name", "execute_tool")+","+strAttr("gen_ai.tool.name", "get_weather")),
		spanOfKind(trace, llm, httpSpan, "chat gpt-4o", 1, start.Add(20*time.Millisecond), 60*time.Millisecond,
			strAttr("gen_ai.operation.name", "chat")+","+strAttr("gen_ai.request.model", "gpt-4o")),
		spanOfKind(trace, httpSpan, root, "POST", 3, start.Add(10*time.Millisecond), 80*time.Millisecond, httpAttrs),
		spanOfKind(trace, root, "", "agent", 2, start, 200*time.Millisecond, strAttr("input.value", "weather in Paris?")),
	)))

	var tree *smithemu.TreeNode
	require.Eventually(t, func() bool {
		tree = findTrace(emu, "e2e", "agent")
		return tree != nil && shape(tree) == "agent(chain)[chat gpt-4o(llm)[get_weather(tool)]]"
	}, 20*time.Second, 50*time.Millisecond, "the LLM spans never formed one tree under the agent")
	assert.Len(t, emu.Trees("e2e"), 1, "an orphan became a tree of its own")
	for _, r := range emu.Runs("e2e") {
		assert.NotEqual(t, "POST", r.Name, "the HTTP client span reached LangSmith")
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
	}
	llmRun := tree.Children[0].Run
	assert.Contains(t, fmt.Sprint(llmRun.Extra), httpSpan, "the re-parented run does not name its missing parent")
	assert.Eventually(t, func() bool {
		return counter(t, p.metrics, "otelcol_exporter_langsmith_assembly_orphans") == 1
	}, 10*time.Second, 50*time.Millisecond, "the orphan was not counted once")
	c.stop(t)
}
