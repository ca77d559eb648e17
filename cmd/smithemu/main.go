// Command smithemu serves the LangSmith run-ingestion emulator on a local
// port, prints each completed trace as a tree, and shows the received traces
// as a waterfall page at /.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// apiKeys collects repeated -api-key flags: "key" or "key=project".
type apiKeys map[string]string

func (k apiKeys) String() string { return fmt.Sprint(map[string]string(k)) }

func (k apiKeys) Set(v string) error {
	key, project, _ := strings.Cut(v, "=")
	if key == "" {
		return errors.New("empty api key")
	}
	k[key] = project
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "smithemu:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("smithemu", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:1984", "listen address")
	keys := apiKeys{}
	fs.Var(keys, "api-key", "accepted x-api-key, `key` or key=project to bind it to a project (repeatable; none = auth off)")
	noWindow := fs.Bool("no-time-window", false, "accept start_time further than 24h from now")
	noNameLimit := fs.Bool("no-name-limit", false, "accept run names longer than 128 characters (default: 422)")
	noTraceCap := fs.Bool("no-trace-cap", false, "accept more than 25,000 runs per trace (default: 400)")
	noSizeLimit := fs.Bool("no-size-limit", false, "accept bodies over /info size_limit_bytes (default: 413)")
	uncompressedOnly := fs.Bool("uncompressed-only", false, "act like an older self-hosted instance: /info advertises no zstd, compressed bodies get 400")
	noMultipart := fs.Bool("disable-multipart", false, "answer 404 on /runs/multipart (clients fall back to /runs/batch)")
	verbose := fs.Bool("v", false, "log every request")
	collectorMetrics := fs.String("collector-metrics", "", "`url` of the collector's Prometheus metrics (e.g. http://localhost:8888/metrics), shown on the page")
	if err := fs.Parse(args); err != nil {
		return err
	}

	logCfg := zap.NewDevelopmentConfig()
	logCfg.Level = zap.NewAtomicLevelAt(zapcore.InfoLevel)
	if *verbose {
		logCfg.Level = zap.NewAtomicLevelAt(zapcore.DebugLevel)
	}
	logger, err := logCfg.Build()
	if err != nil {
		return fmt.Errorf("build logger: %w", err)
	}
	defer func() { _ = logger.Sync() }()

	var printMu sync.Mutex
	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = keys
	cfg.CheckTimeWindow = !*noWindow
	cfg.DisableMultipart = *noMultipart
	cfg.NoSizeLimit = *noSizeLimit
	cfg.UncompressedOnly = *uncompressedOnly
	if *noNameLimit {
		cfg.MaxNameLength = -1
	}
	if *noTraceCap {
		cfg.MaxRunsPerTrace = -1
	}
	cfg.Logger = logger
	cfg.OnTraceComplete = func(project string, root *smithemu.TreeNode) {
		printMu.Lock()
		defer printMu.Unlock()
		fmt.Fprint(os.Stdout, formatTree(project, root))
	}
	emu := smithemu.New(cfg)

	var counters *counterSource
	if *collectorMetrics != "" {
		counters = &counterSource{url: *collectorMetrics, client: &http.Client{}}
	}
	mux := newMux(emu, counters)

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("smithemu listening", zap.String("addr", *addr), zap.Int("api_keys", len(keys)),
		zap.Bool("time_window", cfg.CheckTimeWindow), zap.Bool("name_limit", cfg.MaxNameLength > 0),
		zap.Bool("trace_cap", cfg.MaxRunsPerTrace > 0), zap.Bool("size_limit", !cfg.NoSizeLimit),
		zap.Bool("uncompressed_only", cfg.UncompressedOnly))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", *addr, err)
	case <-sig:
		return srv.Close()
	}
}

// newMux serves the emulator's API and, beside it, the pages: the waterfall at / and each run
// at /ui/runs/{id} (a path LangSmith's API does not use).
func newMux(emu *smithemu.Server, counters *counterSource) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/", emu)
	mux.Handle("GET /{$}", pageHandler(emu, counters))
	mux.Handle("GET /ui/runs/{id}", runHandler(emu))
	return mux
}
