// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// metricSink is an OTLP/HTTP metrics endpoint that sums each sum metric's data points by name
// and model.
type metricSink struct {
	mu   sync.Mutex
	sums map[string]int64 // "<metric>/<gen_ai.request.model>"
}

func (s *metricSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	req := pmetricotlp.NewExportRequest()
	if err == nil {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rm := range req.Metrics().ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Type() != pmetric.MetricTypeSum {
					continue
				}
				for _, dp := range m.Sum().DataPoints().All() {
					model, _ := dp.Attributes().Get("gen_ai.request.model")
					s.sums[m.Name()+"/"+model.AsString()] += dp.IntValue()
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

func (s *metricSink) sum(key string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sums[key]
}

// The signal_to_metrics connector, configured as in examples/redaction.yaml, turns the
// gen_ai.usage.* of the spans that go to LangSmith into token sums by model.
func TestTokenMetricsFromTheSameSpans(t *testing.T) {
	emu, url := startEmulator(t)
	sink := &metricSink{sums: map[string]int64{}}
	ts := httptest.NewServer(sink)
	t.Cleanup(ts.Close)
	health, otlpHTTP := freePort(t), freePort(t)
	c := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
connectors:
  signal_to_metrics:
    error_mode: ignore
    spans:
      - name: gen_ai.client.token.usage.input
        conditions:
          - span.attributes["gen_ai.usage.input_tokens"] != nil
        attributes:
          - key: gen_ai.request.model
            default_value: unknown
        sum:
          value: Int(span.attributes["gen_ai.usage.input_tokens"])
          monotonic: true
      - name: gen_ai.client.token.usage.output
        conditions:
          - span.attributes["gen_ai.usage.output_tokens"] != nil
        attributes:
          - key: gen_ai.request.model
            default_value: unknown
        sum:
          value: Int(span.attributes["gen_ai.usage.output_tokens"])
          monotonic: true
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: e2e
  otlp_http:
    metrics_endpoint: %s/v1/metrics
    compression: none
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [langsmith, signal_to_metrics]
    metrics:
      receivers: [signal_to_metrics]
      exporters: [otlp_http]
`, health, otlpHTTP, url, emuKey, ts.URL))
	waitHealthy(t, c, health)

	intAttr := func(k string, v int) string {
		return fmt.Sprintf(`{"key":%q,"value":{"intValue":"%d"}}`, k, v)
	}
	llm := func(model string, in, out int) string {
		return strAttr("gen_ai.operation.name", "chat") + "," + strAttr("gen_ai.request.model", model) + "," +
			intAttr("gen_ai.usage.input_tokens", in) + "," + intAttr("gen_ai.usage.output_tokens", out)
	}
	trace, root := hexID(16, 0x81), hexID(8, 0x82)
	start := time.Now().Add(-time.Second)
	require.Equal(t, http.StatusOK, postJSON(t, fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpHTTP), "",
		otlpBody(
			otlpSpan(trace, hexID(8, 0x83), root, "chat gpt-4o", start.Add(time.Millisecond), 20*time.Millisecond, llm("gpt-4o", 120, 30)),
			otlpSpan(trace, hexID(8, 0x84), root, "chat gpt-4o", start.Add(30*time.Millisecond), 20*time.Millisecond, llm("gpt-4o", 80, 12)),
			otlpSpan(trace, hexID(8, 0x85), root, "chat claude", start.Add(60*time.Millisecond), 20*time.Millisecond, llm("claude-sonnet-4", 50, 7)),
			otlpSpan(trace, root, "", "agent", start, 100*time.Millisecond, ""),
		)))

	require.Eventually(t, func() bool {
		return sink.sum("gen_ai.client.token.usage.input/gpt-4o") == 200 &&
			sink.sum("gen_ai.client.token.usage.output/gpt-4o") == 42 &&
			sink.sum("gen_ai.client.token.usage.input/claude-sonnet-4") == 50 &&
			sink.sum("gen_ai.client.token.usage.output/claude-sonnet-4") == 7
	}, 20*time.Second, 50*time.Millisecond, "the token sums never reached the metrics sink")
	assert.Zero(t, sink.sum("gen_ai.client.token.usage.input/unknown"), "the agent span has no tokens")
	// The same spans still make their runs.
	require.Eventually(t, func() bool { return len(emu.Runs("e2e")) == 4 }, 20*time.Second, 50*time.Millisecond)
	c.stop(t)
}
