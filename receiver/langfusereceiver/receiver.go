// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

type langfuseReceiver struct {
	cfg      *Config
	settings receiver.Settings
	next     consumer.Traces
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (*langfuseReceiver, error) {
	return &langfuseReceiver{cfg: cfg, settings: set, next: next}, nil
}

func (*langfuseReceiver) Start(context.Context, component.Host) error { return nil }

func (*langfuseReceiver) Shutdown(context.Context) error { return nil }
