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

// TestNothingLostAcrossKill9 kills the collector with SIGKILL while it holds two kinds of data:
// runs of a complete trace sitting in the persistent sending queue (LangSmith answers 503), and
// children of another trace parked in the assembler waiting for their root. With file_storage
// configured, both must land after a restart, each run exactly once.
func TestNothingLostAcrossKill9(t *testing.T) {
	emu, url := startEmulator(t)
	p := newPipeline(t, url)
	p.storageDir = t.TempDir()
	p.orphanWait = "10m"
	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteIngest, Count: 1_000_000, Status: http.StatusServiceUnavailable})

	c := startCollector(t, p.yaml())
	waitHealthy(t, c, p.health)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/v1/traces", p.otlpHTTP)
	start := time.Now().Add(-time.Second)

	queued := hexID(16, 0xa0)
	require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(
		otlpSpan(queued, hexID(8, 0xa1), "", "queued-root", start, 300*time.Millisecond, ""),
		otlpSpan(queued, hexID(8, 0xa2), hexID(8, 0xa1), "queued-child", start.Add(time.Millisecond), 100*time.Millisecond, ""),
	)))
	parked := hexID(16, 0xb0)
	require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(
		otlpSpan(parked, hexID(8, 0xb3), hexID(8, 0xb2), "parked-grandchild", start.Add(2*time.Millisecond), 50*time.Millisecond, ""),
		otlpSpan(parked, hexID(8, 0xb2), hexID(8, 0xb1), "parked-child", start.Add(time.Millisecond), 100*time.Millisecond, ""),
	)))
	// The queued runs have met LangSmith's 503 at least once: they are in the queue, not lost.
	require.Eventually(t, func() bool { return len(emu.Requests()) >= 2 }, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, c.cmd.Process.Kill())
	require.Error(t, c.wait(), "a killed collector exits with the signal")
	emu.Reset() // LangSmith is healthy again

	c2 := startCollector(t, p.yaml())
	waitHealthy(t, c2, p.health)
	require.Equal(t, http.StatusOK, postJSON(t, endpoint, "", otlpBody(
		otlpSpan(parked, hexID(8, 0xb1), "", "parked-root", start, 300*time.Millisecond, ""),
	)))

	require.Eventually(t, func() bool {
		q, pk := findTrace(emu, "e2e", "queued-root"), findTrace(emu, "e2e", "parked-root")
		return q != nil && pk != nil &&
			shape(q) == "queued-root(chain)[queued-child(chain)]" &&
			shape(pk) == "parked-root(chain)[parked-child(chain)[parked-grandchild(chain)]]"
	}, 30*time.Second, 50*time.Millisecond, "runs held at the time of the kill never arrived")
	for _, r := range emu.Runs("e2e") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.Name, r.Posts)
	}
	c2.stop(t)
}
