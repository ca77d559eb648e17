// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// TestExporterItemsQueueTakesLargeRelease: with the queue sized in items, a release larger than
// the queue's capacity (one trace of 300 spans into a queue of 100) reaches LangSmith whole,
// every run once, in memory and in a persistent queue: the assembler cuts it to the queue
// (exporterhelper refuses a larger request retryably, forever, which would block every later
// batch behind it).
func TestExporterItemsQueueTakesLargeRelease(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		name := "memory"
		if persistent {
			name = "file_storage"
		}
		t.Run(name, func(t *testing.T) {
			host := storagetest.Host{}
			id := component.MustNewID("file_storage")
			if persistent {
				host = storagetest.HostWith(id, storagetest.NewMem())
			}
			h := newHarnessOn(t, host, smithemu.DefaultConfig(), func(cfg *Config) {
				q := cfg.QueueConfig.Get()
				q.QueueSize = 100
				b := q.Batch.Get()
				b.MinSize, b.MaxSize = 10, 50
				require.NoError(t, validateQueue(q))
				if persistent {
					q.StorageID = &id
				}
			})
			emu, exp := h.emu, h.exporter

			require.NoError(t, exp.ConsumeTraces(context.Background(), testTrace(1, 300)))
			require.Eventually(t, func() bool { return len(emu.Runs("exporter-test")) == 300 },
				time.Minute, 10*time.Millisecond)
			for _, r := range emu.Runs("exporter-test") {
				assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.ID, r.Posts)
			}
		})
	}
}
