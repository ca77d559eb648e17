// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
)

// fileStorageClient starts the real file_storage extension (bbolt) in dir and returns the
// client the ledger gets from it.
func fileStorageClient(b *testing.B, dir string, fsync bool) storage.Client {
	b.Helper()
	ctx := context.Background()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory, cfg.FSync = dir, fsync
	ext, err := f.Create(ctx, extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(b, err)
	require.NoError(b, ext.Start(ctx, componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, ext.Shutdown(ctx)) })
	client, err := ext.(storage.Extension).GetClient(ctx, component.KindExporter, component.NewID(metadata.Type), ledgerStorageName)
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, client.Close(ctx)) })
	return client
}

// BenchmarkLedgerFileStorage measures what the delivered ledger costs each upload request on
// the file_storage extension: the two writes of a request of 100 runs (sent, then delivered),
// with the extension's default (no fsync) and with fsync: true; and the read of a full ring
// at start.
func BenchmarkLedgerFileStorage(b *testing.B) {
	ctx := context.Background()
	runs := ledgerRuns(100, false)
	for _, tc := range []struct {
		name  string
		fsync bool
	}{{"request_of_100_runs", false}, {"request_of_100_runs_fsync", true}} {
		b.Run(tc.name, func(b *testing.B) {
			l, err := loadLedger(ctx, fileStorageClient(b, b.TempDir(), tc.fsync))
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				n, err := l.sent(ctx, runs)
				if err != nil {
					b.Fatal(err)
				}
				if err := l.answered(ctx, n, true, runs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("load_full_ring", func(b *testing.B) {
		client := fileStorageClient(b, b.TempDir(), false)
		l, err := loadLedger(ctx, client)
		require.NoError(b, err)
		for range ledgerRecords {
			n, err := l.sent(ctx, runs)
			require.NoError(b, err)
			require.NoError(b, l.answered(ctx, n, true, runs))
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := loadLedger(ctx, client); err != nil {
				b.Fatal(err)
			}
		}
	})
}
