// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// storageName names the assembler's own client of `assembly::storage`. Its key space:
//
//	p/<trace id hex><span id hex>  one parked (or held open) span, a one-span Traces in protobuf:
//	                               the journal's (parkedKeyPrefix)
//	o/<sequence, 16 hex digits>    one released batch the upload queue refused: the outbox's
//	                               (outKeyPrefix)
const storageName = "assembly"

func marshalTraces(td ptrace.Traces) ([]byte, error) {
	var m ptrace.ProtoMarshaler
	return m.MarshalTraces(td)
}

func unmarshalTraces(b []byte) (ptrace.Traces, error) {
	var u ptrace.ProtoUnmarshaler
	return u.UnmarshalTraces(b)
}

// storageClient gets the assembler's client from the extension `assembly::storage` names. The
// client must be able to Walk its keys: that is how Start finds what a previous run parked.
func (a *Assembler) storageClient(ctx context.Context, host component.Host) (storage.Client, error) {
	id := *a.cfg.Storage
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("`assembly::storage`: extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("`assembly::storage`: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindExporter, a.id, storageName)
	if err != nil {
		return nil, fmt.Errorf("`assembly::storage`: cannot get a client from %q: %w", id, err)
	}
	if _, ok := client.(storage.Walker); !ok {
		_ = client.Close(ctx)
		return nil, fmt.Errorf("`assembly::storage`: the client of %q cannot list its keys (storage.Walker), so parked spans could not be reloaded", id)
	}
	return client, nil
}

type storedEntry struct {
	key   string
	value []byte
}
