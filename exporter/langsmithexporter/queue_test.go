// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// memStorage is a storage extension over one in-memory client.
type memStorage struct {
	component.StartFunc
	component.ShutdownFunc
	client storage.Client
}

func (m *memStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return m.client, nil
}

type storageHost map[component.ID]component.Component

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h }

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
			emuCfg := smithemu.DefaultConfig()
			emuCfg.APIKeys = map[string]string{testKey: ""}
			emu := smithemu.New(emuCfg)
			ts := httptest.NewServer(emu)
			t.Cleanup(ts.Close)

			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = ts.URL
			cfg.APIKey = testKey
			cfg.Project = "exporter-test"
			q := cfg.QueueConfig.Get()
			q.QueueSize = 100
			b := q.Batch.Get()
			b.MinSize, b.MaxSize = 10, 50
			require.NoError(t, validateQueue(q))
			host := storageHost{}
			if persistent {
				id := component.MustNewID("file_storage")
				q.StorageID = &id
				host[id] = &memStorage{client: storagetest.NewMem()}
			}
			exp, err := newExporter(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), host))

			require.NoError(t, exp.ConsumeTraces(context.Background(), testTrace(1, 300)))
			require.Eventually(t, func() bool { return len(emu.Runs("exporter-test")) == 300 },
				time.Minute, 10*time.Millisecond)
			require.NoError(t, exp.Shutdown(context.Background()))
			for _, r := range emu.Runs("exporter-test") {
				assert.Equal(t, 1, r.Posts, "run %s posted %d times", r.ID, r.Posts)
			}
		})
	}
}
