// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Command floor measures what one single-record request costs a Go collector receiver before
// it does anything of its own: a confighttp server built as the langfuse receiver builds its
// own (its default server settings, confighttp's middleware: client info, otelhttp filtered
// as the receiver filters it at the default telemetry level, body limit, decompression) whose
// handler only reads the body into a pooled buffer and answers 204. tracebridge-loadgen drives
// it exactly as the raw-single-3k scenario drives the collector (-mode raw -batch 1, 32 in
// flight), from its own process, so the CPU this process spends per request is the floor
// under raw-single-3k's figure: net/http, syscalls, the scheduler and GC of a server that
// keeps nothing.
//
//	go build -o bin/tracebridge-loadgen ./cmd/tracebridge-loadgen
//	go run ./test/load/floor -rate 3000 -duration 20s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/confighttp/xconfighttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/tracebridge/tracebridge/internal/proccpu"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	loadgen := fs.String("loadgen", "bin/tracebridge-loadgen", "the tracebridge-loadgen binary")
	rate := fs.Float64("rate", 3000, "requests per second")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	concurrency := fs.Int("concurrency", 32, "requests in flight at most (raw-single-3k's)")
	withOtelhttp := fs.Bool("otelhttp", false, "keep confighttp's otelhttp instrumentation, as a stock receiver does")
	if err := fs.Parse(args); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var served atomic.Int64
	srv, err := newServer(&served, *withOtelhttp)
	if err != nil {
		return err
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "floor: serve:", err)
		}
	}()
	defer func() { _ = srv.Shutdown(context.Background()) }()

	cmd := exec.Command(*loadgen, //nolint:gosec // a measurement tool run by hand
		"-mode", "raw", "-endpoint", "http://"+ln.Addr().String(), "-api-key", "floor",
		"-rate", strconv.FormatFloat(*rate, 'f', 2, 64), "-duration", duration.String(),
		"-batch", "1", "-concurrency", strconv.Itoa(*concurrency))
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cpu0, wall0 := proccpu.Self(), time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	cpu, wall := proccpu.Self()-cpu0, time.Since(wall0)
	n := served.Load()
	if n == 0 {
		return errors.New("no request served")
	}
	fmt.Printf("requests %d in %.1f s (%.0f/s), server CPU %.2f s = %.1f µs per request (otelhttp %v)\n",
		n, wall.Seconds(), float64(n)/wall.Seconds(), cpu.Seconds(), float64(cpu.Microseconds())/float64(n), *withOtelhttp)
	return nil
}

// newServer builds the server through confighttp with the langfuse receiver's defaults.
func newServer(served *atomic.Int64, withOtelhttp bool) (*http.Server, error) {
	sc := confighttp.NewDefaultServerConfig()
	sc.NetAddr.Endpoint = "127.0.0.1:0"
	sc.MaxRequestBodySize = 20 << 20
	sc.ReadTimeout = 30 * time.Second
	var opts []confighttp.ToServerOption
	if !withOtelhttp {
		opts = append(opts, xconfighttp.WithOtelHTTPOptions(otelhttp.WithFilter(func(*http.Request) bool { return false })))
	}
	buffers := sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b := buffers.Get().(*[]byte)
		body, err := readAll(req.Body, (*b)[:0])
		*b = body[:0]
		buffers.Put(b)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		served.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	ctx := context.Background()
	return sc.ToServer(ctx, nil, componenttest.NewNopTelemetrySettings(), handler, opts...)
}

// readAll reads r to the end into buf, growing it when it is full.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
