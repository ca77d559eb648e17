// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package storagetest // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Extension is a storage extension handing out one client, as file_storage would its file.
type Extension struct {
	component.StartFunc
	component.ShutdownFunc
	Client storage.Client
}

// GetClient returns the extension's one client, whoever asks.
func (e *Extension) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return e.Client, nil
}

// Host is a component.Host holding the given extensions.
type Host map[component.ID]component.Component

// GetExtensions returns the host's extensions.
func (h Host) GetExtensions() map[component.ID]component.Component { return h }

// HostWith returns a host whose extension id is a storage extension over client.
func HostWith(id component.ID, client storage.Client) Host {
	return Host{id: &Extension{Client: client}}
}
