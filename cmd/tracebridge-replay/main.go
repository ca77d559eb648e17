// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Command tracebridge-replay moves historical or synthetic traces into LangSmith through a
// tracebridge collector (or, with --direct, through the same exporter code in-process): run-list
// files and Langfuse-style records in, whole run trees with fresh time-ordered IDs out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tracebridge/tracebridge/internal/replay"
	"github.com/tracebridge/tracebridge/internal/synthetic"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

// Exit codes: 0 everything landed, 1 something did not (see the failed file), 2 the replay
// could not run (bad flags, unreadable input, unreachable configuration).
const (
	exitOK      = 0
	exitFailed  = 1
	exitCommand = 2
)

const usage = `Usage: tracebridge-replay [flags] FILE...   (- reads stdin)
       tracebridge-replay --generate N --out FILE [--seed S]
       tracebridge-replay redrive [--repair] [--prune] DEAD_LETTER_DIR

Replays run-list files (a JSON array or NDJSON of LangSmith runs: id, trace_id, parent_run_id,
name, run_type, inputs, outputs, error, extra, tags, start_time, end_time) and Langfuse-style
records (NDJSON) into LangSmith, through a running tracebridge collector (default) or, with
--direct, straight to LangSmith with the collector's exporter built in.

Examples:
  tracebridge-replay --project prod-agent-v2 traces.json
  tracebridge-replay --direct --project demo --endpoint http://127.0.0.1:1984 traces.json
  tracebridge-replay --project prod-agent-v2 replay-failed-20250602T090000Z.ndjson

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "redrive" {
		return runRedrive(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("tracebridge-replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var (
		project       = fs.String("project", os.Getenv("LANGSMITH_PROJECT"), "LangSmith project the runs land in (default $LANGSMITH_PROJECT; empty: each run's session_name, else the exporter's project)")
		endpoint      = fs.String("endpoint", "", "OTLP/HTTP endpoint of a running tracebridge collector (default "+replay.DefaultEndpoint+"); with --direct, LangSmith's API (default $LANGSMITH_ENDPOINT or "+replay.DefaultLangSmithEndpoint+")")
		direct        = fs.Bool("direct", false, "upload straight to LangSmith with the langsmith exporter built in, for machines without a collector")
		apiKey        = fs.String("api-key", "", "LangSmith API key for --direct (default $LANGSMITH_API_KEY)")
		lfEndpoint    = fs.String("langfuse-endpoint", "", "the collector's langfuse receiver, for record files (default: the --endpoint host, port "+replay.DefaultLangfusePort+")")
		lfKey         = fs.String("langfuse-key", os.Getenv("TRACEBRIDGE_LANGFUSE_KEY"), "X-API-Key of the langfuse receiver (default $TRACEBRIDGE_LANGFUSE_KEY)")
		shiftToNow    = fs.Bool("shift-to-now", true, "shift times so the latest start is now (run files; records only when given explicitly)")
		fitWindow     = fs.Duration("fit-window", replay.DefaultFitWindow, "with --shift-to-now, when the runs span more than this, spread the traces over it instead (LangSmith refuses runs more than 24h from now); 0 turns it off")
		shift         = fs.String("shift", "", "shift every time by this much instead: a Go duration, 2d3h24m15s, or '2 days, 3:24:15'")
		newIDs        = fs.Bool("new-ids", true, "give every run a new UUIDv7 (millisecond field = its shifted start), the same old id always mapping to the same new one")
		idSeed        = fs.String("id-seed", "", "seed of the new ids (default: random, printed at the end); the same seed gives the same ids")
		format        = fs.String("format", "auto", "auto (tell runs from records item by item), runs or records")
		concurrency   = fs.Int("concurrency", replay.DefaultConcurrency, "requests in flight")
		batchSpans    = fs.Int("batch-spans", replay.DefaultBatchSpans, "runs per request (whole traces; a larger trace goes alone)")
		maxRetry      = fs.Duration("max-retry-time", replay.DefaultMaxRetryTime, "how long to retry one request on 429/503 and network errors")
		drain         = fs.Duration("drain-timeout", replay.DefaultDrainTimeout, "with --direct, how long to wait at the end for LangSmith to confirm every run")
		failedPath    = fs.String("failed", "", "file for what did not land (default replay-failed-<time>.ndjson); replay it with the same command")
		report        = fs.String("report", "", "write the summary as JSON to this file")
		tempDir       = fs.String("temp-dir", "", "directory for the first pass's spill files (default: the system's)")
		progressMode  = fs.String("progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, plain or none")
		progressEvery = fs.Duration("progress-interval", replay.DefaultProgressInterval, "how often plain progress lines are printed")
		verbose       = fs.Bool("v", false, "log the in-process exporter's retries (--direct)")
		generate      = fs.Int("generate", 0, "write N synthetic agent traces to --out instead of replaying")
		out           = fs.String("out", "", "with --generate, the file to write (.ndjson or .jsonl: one run per line)")
		seed          = fs.Uint64("seed", 1, "with --generate, the random seed")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitCommand
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *generate > 0 {
		return runGenerate(*generate, *seed, *out, stdout, stderr)
	}

	cfg := replay.Config{
		Inputs:           fs.Args(),
		Stdin:            stdin,
		Format:           replay.Format(*format),
		Project:          *project,
		Direct:           *direct,
		Endpoint:         *endpoint,
		APIKey:           *apiKey,
		LangfuseEndpoint: *lfEndpoint,
		LangfuseKey:      *lfKey,
		NewIDs:           *newIDs,
		IDSeed:           *idSeed,
		Concurrency:      *concurrency,
		BatchSpans:       *batchSpans,
		MaxRetryTime:     *maxRetry,
		DrainTimeout:     *drain,
		FailedPath:       *failedPath,
		ReportPath:       *report,
		TempDir:          *tempDir,
		Progress:         replay.ProgressMode(*progressMode),
		ProgressInterval: *progressEvery,
		Log:              stderr,
		Version:          version,
	}
	if cfg.APIKey == "" {
		cfg.APIKey = os.Getenv("LANGSMITH_API_KEY")
	}
	if cfg.Direct && cfg.Endpoint == "" {
		cfg.Endpoint = os.Getenv("LANGSMITH_ENDPOINT")
	}
	if *shift != "" {
		if set["shift-to-now"] && *shiftToNow {
			fmt.Fprintln(stderr, "tracebridge-replay: --shift and --shift-to-now exclude each other")
			return exitCommand
		}
		d, err := replay.ParseShift(*shift)
		if err != nil {
			fmt.Fprintf(stderr, "tracebridge-replay: --shift: %v\n", err)
			return exitCommand
		}
		cfg.Shift, cfg.HasShift = d, true
	} else {
		cfg.ShiftToNow = *shiftToNow
		cfg.ShiftRecordsToNow = set["shift-to-now"] && *shiftToNow
		cfg.FitWindow = *fitWindow
	}
	if cfg.Direct {
		cfg.Logger = newLogger(stderr, *verbose)
	}
	if len(cfg.Inputs) == 0 {
		fs.Usage()
		return exitCommand
	}

	// The first Ctrl-C stops sending and writes what was not sent to the failed file; a second
	// one kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	summary, err := replay.Run(ctx, cfg)
	if summary != nil {
		summary.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tracebridge-replay: %v\n", err)
		return exitCommand
	}
	if !summary.OK() {
		return exitFailed
	}
	return exitOK
}

// newLogger shows the in-process exporter's warnings and errors (its retries too with -v) on
// stderr, in the console format people read.
func newLogger(w io.Writer, verbose bool) *zap.Logger {
	level := zapcore.WarnLevel
	if verbose {
		level = zapcore.InfoLevel
	}
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.TimeEncoderOfLayout(time.TimeOnly)
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), level)
	return zap.New(core)
}

func runGenerate(n int, seed uint64, out string, stdout, stderr io.Writer) int {
	if out == "" {
		fmt.Fprintln(stderr, "tracebridge-replay: --generate needs --out FILE")
		return exitCommand
	}
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			fmt.Fprintf(stderr, "tracebridge-replay: %v\n", err)
			return exitCommand
		}
	}
	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintf(stderr, "tracebridge-replay: %v\n", err)
		return exitCommand
	}
	ext := strings.ToLower(filepath.Ext(out))
	st, err := synthetic.Generate(f, synthetic.Options{Traces: n, Seed: seed, NDJSON: ext == ".ndjson" || ext == ".jsonl"})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "tracebridge-replay: write %s: %v\n", out, err)
		return exitCommand
	}
	fmt.Fprintf(stdout, "Wrote %d traces (%d runs, %d with errors) to %s\n", st.Traces, st.Runs, st.Errors, out)
	return exitOK
}
