// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadatatest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// exporterhelper never cancels a push's context at shutdown: it stops its retry sender, then
// flushes the queue without retries. The gate's waits (Retry-After, pacing) end at a graceful
// stop too, and the request waiting goes back to exporterhelper as a retry, so a throttled
// LangSmith cannot hold the stop. The gate's sleep here returns only when its context ends.
func TestGateWaitEndsAtShutdown(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	g, _ := newTestGate()
	g.sleep = func(ctx context.Context, _ time.Duration) error {
		<-ctx.Done()
		return ctx.Err()
	}
	u, emu := uploaderHarness(t, metadatatest.NewSettings(tel), g)

	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteMultipart, Status: http.StatusTooManyRequests, RetryAfter: 1})
	done := make(chan error, 1)
	go func() { done <- u.pushTraces(context.Background(), llmSpans(3)) }()
	require.Eventually(t, func() bool {
		return len(emu.Requests()) > 0 && emu.Requests()[len(emu.Requests())-1].Status == http.StatusTooManyRequests
	},
		10*time.Second, 5*time.Millisecond, "the request is throttled and waits in the gate")
	u.stopWaiting()
	var pushErr error
	require.Eventually(t, func() bool {
		select {
		case pushErr = <-done:
			return true
		default:
			return false
		}
	}, 10*time.Second, 5*time.Millisecond, "the gate's wait ended at the stop")
	require.Error(t, pushErr)
	assert.False(t, consumererror.IsPermanent(pushErr), "the throttled runs go back to exporterhelper")
	var retry consumererror.Traces
	require.ErrorAs(t, pushErr, &retry)
	assert.Equal(t, 3, retry.Data().SpanCount())
	assert.Empty(t, emu.Runs(""))
}
