// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

// Package e2e runs the built otelcol-tracebridge binary as a subprocess with real YAML
// configurations. `make e2e-test` builds the binary and points TRACEBRIDGE_COLLECTOR at it.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collector is one running otelcol-tracebridge process.
type collector struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan error
}

// syncBuffer collects the collector's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func collectorBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("TRACEBRIDGE_COLLECTOR")
	require.NotEmpty(t, bin, "TRACEBRIDGE_COLLECTOR must name the built collector (make e2e-test sets it)")
	return bin
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCollector writes config to a file and starts the collector with it.
func startCollector(t *testing.T, config string) *collector {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	c := &collector{output: &syncBuffer{}, done: make(chan error, 1)}
	c.cmd = exec.Command(collectorBinary(t), "--config", path)
	c.cmd.Stdout = c.output
	c.cmd.Stderr = c.output
	require.NoError(t, c.cmd.Start())
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.wait() // killed in cleanup: its exit status says nothing
		}
		if t.Failed() {
			t.Logf("collector output:\n%s", c.output.String())
		}
	})
	return c
}

// waitHealthy waits until health_check answers 200.
func waitHealthy(t *testing.T, c *collector, healthPort int) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", healthPort)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-c.done:
			c.done <- err
			t.Fatalf("collector exited before it was healthy: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(url) //nolint:gosec,noctx // test-local URL
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
	}
	t.Fatal("health_check never answered 200")
}

// wait returns the process's exit error once it has exited; later calls return the same.
func (c *collector) wait() error {
	err := <-c.done
	c.done <- err
	return err
}

// stop sends SIGTERM and requires a clean exit.
func (c *collector) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-c.done:
		require.NoError(t, err, "collector did not exit cleanly")
	case <-time.After(30 * time.Second):
		t.Fatal("collector did not stop within 30s of SIGTERM")
	}
}

func TestComponentsRegistered(t *testing.T) {
	out, err := exec.CommandContext(context.Background(), collectorBinary(t), "components").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, name := range []string{
		"name: langfuse", "name: langsmith", "name: otlp", "name: memory_limiter", "name: batch",
		"name: debug", "name: otlp_http", "name: load_balancing", "name: file_storage",
		"name: health_check", "name: pprof", "name: zpages", "name: bearertokenauth", "name: oidc", "name: basicauth",
		// What platform teams put around LLM traces (issue #19).
		"name: redaction", "name: transform", "name: filter", "name: attributes", "name: resource",
		"name: probabilistic_sampler", "name: tail_sampling", "name: span_metrics", "name: signal_to_metrics",
	} {
		assert.Contains(t, string(out), name)
	}
}

func TestSmokeStartHealthyStop(t *testing.T) {
	health := freePort(t)
	config := fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
receivers:
  langfuse:
    endpoint: 127.0.0.1:%d
    api_keys:
      - key: smoke-raw-key
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  langsmith:
    endpoint: http://127.0.0.1:%d
    api_key: smoke-key
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [langfuse, otlp]
      exporters: [langsmith]
`, health, freePort(t), freePort(t), freePort(t))
	c := startCollector(t, config)
	waitHealthy(t, c, health)
	c.stop(t)
	assert.Contains(t, c.output.String(), "Shutdown complete", "no clean shutdown in the log")
}
