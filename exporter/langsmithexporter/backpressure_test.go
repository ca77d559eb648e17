// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"
	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// TestExporterFullQueuePushesBack holds every upload until released: the exporter takes
// queue_size released one-span batches (as many spans) and then what fills the assembler's
// pending-out (merged into batches of up to queue_size spans), then refuses further batches retryably, so what it holds under an overload is bounded
// by the queue and pending-out, not by the assembler's caps; once uploads go through, everything
// taken is delivered once and new batches are taken again.
func TestExporterFullQueuePushesBack(t *testing.T) {
	emuCfg := smithemu.DefaultConfig()
	emuCfg.APIKeys = map[string]string{testKey: ""}
	emu := smithemu.New(emuCfg)
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/runs/multipart" {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = ts.URL
	cfg.APIKey = testKey
	cfg.Project = "exporter-test"
	// 1000 spans (the items sizer), in batches of 100 to 1000, a valid configuration: once
	// uploads go through, each tick moves up to 1000 spans from pending-out into the queue.
	queueSize := 1000
	q := cfg.QueueConfig.Get()
	q.QueueSize = int64(queueSize)
	q.Batch.Get().MinSize, q.Batch.Get().MaxSize = 100, int64(queueSize)
	require.NoError(t, validateQueue(q))
	exp, err := newExporter(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	ctx := context.Background()
	taken := 0
	for traceNo := 0; ; traceNo++ {
		require.Less(t, traceNo, 2*(queueSize+assembly.PendingOutSpans), "the exporter never pushed back")
		// One root span per batch: released at once, one queue request each.
		err := exp.ConsumeTraces(ctx, rootOnly(traceNo))
		if err != nil {
			assert.False(t, consumererror.IsPermanent(err), "backpressure must be retryable: %v", err)
			require.ErrorContains(t, err, "upload queue is full")
			break
		}
		taken++
	}
	assert.Equal(t, queueSize+assembly.PendingOutSpans, taken, "the queue's requests and a full pending-out")

	close(release)
	require.Eventually(t, func() bool { return len(emu.Runs("exporter-test")) == taken },
		time.Minute, 10*time.Millisecond)
	require.Eventually(t, func() bool { return exp.ConsumeTraces(ctx, rootOnly(taken)) == nil },
		10*time.Second, 10*time.Millisecond, "batches are taken again once the queue drains")
	require.NoError(t, exp.Shutdown(ctx))
	assert.Len(t, emu.Runs("exporter-test"), taken+1)
	for _, r := range emu.Runs("exporter-test") {
		assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.ID, r.Posts)
	}
}

// rootOnly is a trace of one root span, its trace ID from n.
func rootOnly(n int) ptrace.Traces {
	td := testTrace(1, 1)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	id := span.TraceID()
	binary.BigEndian.PutUint32(id[4:8], uint32(n)) //nolint:gosec // small test counts
	span.SetTraceID(id)
	return td
}
