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
	"github.com/tracebridge/tracebridge/translator/langfuse"
)

type langfuseReceiver struct {
	cfg       *Config
	settings  receiver.Settings
	next      consumer.Traces
	obsrecv   *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	keys      apiKeys
	// decodeOpts bound what decoding one body may cost besides max_records_per_request: its
	// JSON nodes (NodesPerRecord per record, within [MinNodes, MaxNodes]); its nesting and
	// the depth of a session tree keep the translator's defaults.
	decodeOpts []langfuse.DecodeOption

	server     *http.Server
	addr       net.Addr // where the server listens, once started
	shutdownWG sync.WaitGroup

	// The requests being handled. Once Shutdown's grace period is over, stopped is set and
	// handlerCtx, every request's base context, is canceled: a request still running is told
	// to give up, and one that has not reached the pipeline yet answers 503 instead of
	// handing data to a pipeline that is shutting down.
	handlersMu   sync.Mutex
	stopped      bool
	inFlight     int
	drained      chan struct{} // closed once stopped with nothing in flight
	handlerCtx   context.Context
	stopHandlers context.CancelFunc
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
	handlerCtx, stopHandlers := context.WithCancel(context.Background())
	return &langfuseReceiver{
		cfg:          cfg,
		settings:     set,
		next:         next,
		obsrecv:      obsrecv,
		telemetry:    tb,
		keys:         newAPIKeys(cfg.APIKeys),
		decodeOpts:   []langfuse.DecodeOption{langfuse.WithMaxNodes(langfuse.NodeBudget(cfg.MaxRecordsPerRequest))},
		drained:      make(chan struct{}),
		handlerCtx:   handlerCtx,
		stopHandlers: stopHandlers,
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
	srv.BaseContext = func(net.Listener) context.Context { return r.handlerCtx }
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
	opts := append([]confighttp.ToServerOption{confighttp.WithErrorHandler(r.handleServerError)},
		otelhttpOptions(ctx, r.settings.TelemetrySettings)...)
	return r.cfg.ServerConfig.ToServer(ctx, extensions, r.settings.TelemetrySettings, r.tracked(r.routes()), opts...)
}

// tracked counts the requests next is handling, so that Shutdown can wait for them; once
// they are stopped, a request answers 503 without being handled.
func (r *langfuseReceiver) tracked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.handlersMu.Lock()
		if r.stopped {
			r.handlersMu.Unlock()
			r.retryLater(req.Context(), w, http.StatusServiceUnavailable, "The receiver is shutting down", nil)
			return
		}
		r.inFlight++
		r.handlersMu.Unlock()
		defer func() {
			r.handlersMu.Lock()
			r.inFlight--
			if r.stopped && r.inFlight == 0 {
				close(r.drained)
			}
			r.handlersMu.Unlock()
		}()
		next.ServeHTTP(w, req)
	})
}

// handlersStopped reports whether Shutdown's grace period is over.
func (r *langfuseReceiver) handlersStopped() bool {
	r.handlersMu.Lock()
	defer r.handlersMu.Unlock()
	return r.stopped
}

// Shutdown stops accepting connections and waits for the requests in flight: each of them
// gets the answer its ConsumeTraces earned, so a client never loses an acknowledgement. If
// ctx ends first, the requests still running are told to give up (their context is
// canceled, and any not yet at the pipeline answers 503 without reaching it), and Shutdown
// waits for them as long as ctx allows, which is not at all once its deadline has passed.
func (r *langfuseReceiver) Shutdown(ctx context.Context) error {
	var err error
	if r.server != nil {
		err = r.server.Shutdown(ctx)
	}
	r.handlersMu.Lock()
	if !r.stopped {
		r.stopped = true
		if r.inFlight == 0 {
			close(r.drained)
		}
	}
	r.handlersMu.Unlock()
	r.stopHandlers()
	select {
	case <-r.drained: // nothing left, whatever ctx says
	default:
		select {
		case <-r.drained:
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
		}
	}
	r.shutdownWG.Wait()
	r.telemetry.Shutdown()
	return err
}
