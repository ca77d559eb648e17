// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tracebridge/tracebridge/internal/redrive"
	"github.com/tracebridge/tracebridge/internal/replay"
)

const redriveUsage = `Usage: tracebridge-replay redrive [flags] DIR

Re-sends the langsmith exporter's dead-letter directory (its runs-*.jsonl files) to LangSmith,
run by run, and prints what landed and what is still refused. Run ids are kept (or, with
--repair, shifted the same way every time), so a second re-drive gets 409 for what landed:
never a duplicate. Exit status 0 when everything landed, 1 when some runs are still refused.

Flags:
`

func runRedrive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tracebridge-replay redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, redriveUsage)
		fs.PrintDefaults()
	}
	var (
		endpoint = fs.String("endpoint", "", "LangSmith's API (default $LANGSMITH_ENDPOINT or "+replay.DefaultLangSmithEndpoint+")")
		apiKey   = fs.String("api-key", "", "LangSmith API key (default $LANGSMITH_API_KEY)")
		tenantID = fs.String("tenant-id", "", "X-Tenant-Id, for org-scoped keys")
		repair   = fs.Bool("repair", false, "repair before sending: cut names over 128 characters, shift traces outside --window into it")
		window   = fs.Duration("window", 24*time.Hour, "with --repair, LangSmith's start_time window; 0 cuts names only")
		prune    = fs.Bool("prune", false, "remove the runs that landed from their files, and files left empty")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitCommand
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCommand
	}
	cfg := redrive.Config{Endpoint: *endpoint, APIKey: *apiKey, TenantID: *tenantID, Prune: *prune}
	if cfg.Endpoint == "" {
		cfg.Endpoint = os.Getenv("LANGSMITH_ENDPOINT")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = replay.DefaultLangSmithEndpoint
	}
	if cfg.APIKey == "" {
		cfg.APIKey = os.Getenv("LANGSMITH_API_KEY")
	}
	if *repair {
		cfg.CutNames, cfg.ShiftWindow = true, *window
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := redrive.Run(ctx, fs.Arg(0), cfg)
	if sum != nil {
		sum.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tracebridge-replay redrive: %v\n", err)
		return exitCommand
	}
	if _, _, refused := sum.Landed(); refused > 0 {
		return exitFailed
	}
	return exitOK
}
