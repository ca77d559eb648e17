// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	emuAPIKey = "loadtest-emu-key"
	rawAPIKey = "loadtest-raw-key"
)

// ports are the loopback ports of one scenario.
type ports struct {
	otlpHTTP, otlpGRPC, raw, health, pprof, metrics, downstream int
}

func newPorts() (ports, error) {
	p, err := freePorts(7)
	if err != nil {
		return ports{}, err
	}
	return ports{otlpHTTP: p[0], otlpGRPC: p[1], raw: p[2], health: p[3], pprof: p[4], metrics: p[5], downstream: p[6]}, nil
}

// collectorConfig renders the collector configuration of a scenario. tracebridge mode is
// config.yaml's pipeline (otlp + langfuse → memory_limiter → langsmith) with the exporter's
// default settings; passthrough is what a plain collector runs (otlp → memory_limiter, batch →
// otlp_http, default gzip) into the harness's sink.
func collectorConfig(mode string, p ports, project, workDir string, storage bool, baselineCompression, exporterYAML string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  pprof:
    endpoint: 127.0.0.1:%d
`, p.health, p.pprof)
	exts := "[health_check, pprof]"
	if storage && mode == modeTracebridge {
		fmt.Fprintf(&b, `  file_storage:
    directory: %s
    create_directory: true
`, filepath.Join(workDir, "storage"))
		exts = "[health_check, pprof, file_storage]"
	}
	fmt.Fprintf(&b, `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: 127.0.0.1:%d
`, p.otlpGRPC, p.otlpHTTP)
	if mode == modeTracebridge {
		fmt.Fprintf(&b, `  langfuse:
    endpoint: 127.0.0.1:%d
    api_keys:
      - key: %s
`, p.raw, rawAPIKey)
	}
	b.WriteString(`processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 400
    spike_limit_mib: 100
`)
	if mode == modeTracebridge {
		fmt.Fprintf(&b, `exporters:
  langsmith:
    endpoint: http://127.0.0.1:%d
    api_key: %s
    project: %s
    dead_letter_directory: %s
`, p.downstream, emuAPIKey, project, filepath.Join(workDir, "dead-letter"))
		if storage {
			b.WriteString(`    sending_queue:
      storage: file_storage
    assembly:
      storage: file_storage
`)
		}
		for line := range strings.SplitSeq(strings.TrimRight(exporterYAML, "\n"), "\n") {
			if line != "" {
				b.WriteString("    " + line + "\n")
			}
		}
	} else {
		fmt.Fprintf(&b, `  batch: {}
exporters:
  otlp_http:
    endpoint: http://127.0.0.1:%d
    compression: %s
`, p.downstream, baselineCompression)
	}
	fmt.Fprintf(&b, `service:
  extensions: %s
  telemetry:
    logs:
      level: info
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
`, exts, p.metrics)
	if mode == modeTracebridge {
		b.WriteString(`      receivers: [otlp, langfuse]
      processors: [memory_limiter]
      exporters: [langsmith]
`)
	} else {
		b.WriteString(`      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlp_http]
`)
	}
	return b.String()
}

// waitHTTP waits until url answers 200, or the process exits, or the timeout passes.
func waitHTTP(ctx context.Context, url string, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited before it was ready:\n%s", p.name, p.tail(20))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s", url, timeout)
}

// metrics is one scrape of the collector's Prometheus endpoint: each metric name (without a
// _total suffix) summed over its label sets, plus each labeled series.
type metrics struct {
	sum    map[string]float64
	series map[string]float64
}

func (m metrics) get(name string) float64 { return m.sum[name] }

// sumWhere sums the series of name (with or without _total) whose labels contain label.
func (m metrics) sumWhere(name, label string) float64 {
	var v float64
	for series, x := range m.series {
		n, labels, _ := strings.Cut(series, "{")
		if strings.TrimSuffix(n, "_total") == name && strings.Contains(labels, label) {
			v += x
		}
	}
	return v
}

func scrape(ctx context.Context, port int) (metrics, error) {
	m := metrics{sum: map[string]float64{}, series: map[string]float64{}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, "otelcol_") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		series := line[:sp]
		name := series
		if i := strings.IndexByte(series, '{'); i >= 0 {
			name = series[:i]
		}
		name = strings.TrimSuffix(name, "_total")
		m.sum[name] += v
		m.series[series] = v
	}
	return m, sc.Err()
}

// Metric names (without _total) the harness reads.
const (
	mAccepted      = "otelcol_receiver_accepted_spans"
	mRefused       = "otelcol_receiver_refused_spans"
	mSent          = "otelcol_exporter_sent_spans"
	mSendFailed    = "otelcol_exporter_send_failed_spans"
	mEnqueueFailed = "otelcol_exporter_enqueue_failed_spans"
	mQueueSize     = "otelcol_exporter_queue_size"
	mInFlight      = "otelcol_exporter_in_flight_requests"
	mParked        = "otelcol_exporter_langsmith_assembly_spans_parked"
	mRunsSent      = "otelcol_exporter_langsmith_runs_sent"
	mConflicted    = "otelcol_exporter_langsmith_runs_conflicted"
	mDeadLettered  = "otelcol_exporter_langsmith_runs_dead_lettered"
	mOrphans       = "otelcol_exporter_langsmith_assembly_orphans"
	mEvictions     = "otelcol_exporter_langsmith_assembly_evictions"
	mBytesZ        = "otelcol_exporter_langsmith_request_bytes_compressed"
	mBytesRaw      = "otelcol_exporter_langsmith_request_bytes_uncompressed"
	mThrottled     = "otelcol_exporter_langsmith_requests_throttled"
	mGateWaits     = "otelcol_exporter_langsmith_gate_waits"
	mGateWaitTime  = "otelcol_exporter_langsmith_gate_wait_time_seconds"
	mRunQueries    = "otelcol_exporter_langsmith_run_queries"
	mAlreadyThere  = "otelcol_exporter_langsmith_runs_already_delivered"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
