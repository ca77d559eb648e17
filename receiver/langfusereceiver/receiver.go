// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadata"
)

type langfuseReceiver struct {
	cfg       *Config
	settings  receiver.Settings
	next      consumer.Traces
	obsrecv   *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	keys      apiKeys

	server     *http.Server
	addr       net.Addr // where the server listens, once started
	shutdownWG sync.WaitGroup
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (*langfuseReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create obsreport: %w", err)
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("failed to create telemetry builder: %w", err)
	}
	return &langfuseReceiver{
		cfg:       cfg,
		settings:  set,
		next:      next,
		obsrecv:   obsrecv,
		telemetry: tb,
		keys:      newAPIKeys(cfg.APIKeys),
	}, nil
}

// Start builds the HTTP server through confighttp, so TLS, CORS, compression, auth
// extensions and middlewares all apply, and serves until Shutdown.
func (r *langfuseReceiver) Start(ctx context.Context, host component.Host) error {
	srv, err := r.newServer(ctx, host.GetExtensions())
	if err != nil {
		return fmt.Errorf("failed to create the HTTP server: %w", err)
	}
	ln, err := r.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", r.cfg.ServerConfig.NetAddr.Endpoint, err)
	}
	r.server = srv
	r.addr = ln.Addr()
	r.settings.Logger.Info("Starting HTTP server", zap.Stringer("endpoint", r.addr))
	r.shutdownWG.Go(func() {
		if errHTTP := srv.Serve(ln); errHTTP != nil && !errors.Is(errHTTP, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(errHTTP))
		}
	})
	return nil
}

// newServer is the server Start runs; tests serve its handler from an httptest.Server.
func (r *langfuseReceiver) newServer(ctx context.Context, extensions map[component.ID]component.Component) (*http.Server, error) {
	return r.cfg.ServerConfig.ToServer(ctx, extensions, r.settings.TelemetrySettings, r.routes(),
		confighttp.WithErrorHandler(r.handleServerError))
}

// Shutdown stops accepting connections and waits for the requests in flight: each of them
// gets the answer its ConsumeTraces earned, so a client never loses an acknowledgement.
func (r *langfuseReceiver) Shutdown(ctx context.Context) error {
	var err error
	if r.server != nil {
		err = r.server.Shutdown(ctx)
	}
	r.shutdownWG.Wait()
	r.telemetry.Shutdown()
	return err
}
