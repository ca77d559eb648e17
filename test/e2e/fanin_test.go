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
)

// TestFanInTwoTierLoadBalancing runs the layout the README documents for fan-in: a first tier
// that receives from many services and routes by trace ID with the stock load_balancing
// exporter, and a second tier of collectors running the langsmith exporter. Every span of a
// trace must reach the same second-tier collector, or its tree could not be assembled.
func TestFanInTwoTierLoadBalancing(t *testing.T) {
	emu, url := startEmulator(t)

	tier2 := make([]int, 2)
	for i := range tier2 {
		health, grpc := freePort(t), freePort(t)
		tier2[i] = grpc
		c := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
exporters:
  langsmith:
    endpoint: %s
    api_key: %s
    project: e2e
    assembly:
      orphan_wait: 1m   # a mis-routed span would wait, not land in time
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [langsmith]
`, health, grpc, url, emuKey))
		waitHealthy(t, c, health)
		t.Cleanup(func() { c.stop(t) })
	}

	health, otlpHTTP := freePort(t), freePort(t)
	front := startCollector(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  load_balancing:
    routing_key: traceID
    protocol:
      otlp:
        tls:
          insecure: true
    resolver:
      static:
        hostnames: [127.0.0.1:%d, 127.0.0.1:%d]
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [load_balancing]
`, health, otlpHTTP, tier2[0], tier2[1]))
	waitHealthy(t, front, health)

	const traces, depth = 20, 4
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", otlpHTTP)
	start := time.Now().Add(-time.Second)
	for tr := range traces {
		trace := hexID(16, byte(0x80+tr))
		// Deepest child first, each span in its own request, as services export them.
		for d := depth - 1; d >= 0; d-- {
			parent := ""
			if d > 0 {
				parent = hexID(8, byte(tr*8+d-1))
			}
			span := otlpSpan(trace, hexID(8, byte(tr*8+d)), parent, fmt.Sprintf("step-%d", d),
				start.Add(time.Duration(d)*time.Millisecond), time.Duration(100-d)*time.Millisecond, "")
			require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(span)))
		}
	}

	require.Eventually(t, func() bool { return len(emu.Runs("e2e")) == traces*depth },
		30*time.Second, 50*time.Millisecond, "not every span arrived")
	roots := emu.Trees("e2e")
	require.Len(t, roots, traces)
	for _, root := range roots {
		assert.Equal(t, "step-0(chain)[step-1(chain)[step-2(chain)[step-3(chain)]]]", shape(root))
	}
	for _, r := range emu.Runs("e2e") {
		assert.Equal(t, 1, r.Posts)
	}
	front.stop(t)
}
