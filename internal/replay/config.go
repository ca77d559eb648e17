// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"go.uber.org/zap"
)

// Defaults of the command's flags.
const (
	DefaultEndpoint          = "http://localhost:4318"
	DefaultLangSmithEndpoint = "https://api.smith.langchain.com"
	DefaultLangfusePort      = "4320"
	DefaultConcurrency       = 4
	DefaultBatchSpans        = 512
	DefaultBatchBytes        = 4 << 20
	DefaultBatchRecords      = 500
	DefaultMaxRetryTime      = 5 * time.Minute
	DefaultDrainTimeout      = 10 * time.Minute
	DefaultRequestTimeout    = 60 * time.Second
	DefaultProgressInterval  = 5 * time.Second
)

// Config is one replay.
type Config struct {
	// Inputs are file paths; "-" reads Stdin.
	Inputs []string
	Stdin  io.Reader
	// Format forces how items are read; FormatAuto tells runs from records item by item.
	Format Format

	// Project is the LangSmith project the runs land in. Empty: each run's own session_name,
	// else the exporter's configured project.
	Project string
	// Direct uploads through the langsmith exporter built in-process instead of a collector.
	Direct bool
	// Endpoint is the collector's OTLP/HTTP base URL, or with Direct LangSmith's API base.
	Endpoint string
	// APIKey is LangSmith's key, for Direct.
	APIKey string
	// LangfuseEndpoint is the collector's langfuse receiver, where records go; empty: the
	// Endpoint's host on port 4320. LangfuseKey is its X-API-Key.
	LangfuseEndpoint string
	LangfuseKey      string

	// ShiftToNow moves run times so the latest start is now (ignored when HasShift).
	ShiftToNow bool
	// ShiftRecordsToNow does the same for records; it is off unless asked for, since records
	// usually come from a live system.
	ShiftRecordsToNow bool
	// FitWindow, with ShiftToNow, spreads traces over the last FitWindow when their starts
	// span more than that, so LangSmith's 24 h window accepts all of them; each trace keeps
	// its own timing. 0 turns it off.
	FitWindow time.Duration
	// Shift is an explicit shift for runs and records, used when HasShift.
	Shift    time.Duration
	HasShift bool
	// NewIDs gives runs new UUIDv7s and records new trace and span IDs, from IDSeed (random
	// when empty).
	NewIDs bool
	IDSeed string

	Concurrency  int
	BatchSpans   int
	BatchBytes   int
	BatchRecords int
	MaxRetryTime time.Duration // per request, collector mode
	// RetryInitialInterval is the first backoff (0: 250 ms to a collector, the exporter's
	// default with Direct).
	RetryInitialInterval time.Duration
	DrainTimeout         time.Duration // how long Direct waits for uploads to settle
	RequestTimeout       time.Duration

	// FailedPath receives what did not land; empty: replay-failed-<time>.ndjson here.
	FailedPath string
	// ReportPath, when set, receives the summary as JSON.
	ReportPath string
	// TempDir holds the first pass's spill files; empty: the system's.
	TempDir string

	Progress         ProgressMode
	ProgressInterval time.Duration
	// Log receives progress and log lines (stderr in the command).
	Log io.Writer
	// Logger receives the in-process exporter's logs (Direct).
	Logger *zap.Logger

	// Now, Sleep and HTTPClient are the clock, the wait between retries and the client; tests
	// replace them.
	Now        func() time.Time
	Sleep      func(ctx context.Context, d time.Duration) error
	HTTPClient *http.Client
	// Version is reported in the User-Agent.
	Version string
}

// applyDefaults fills what was left zero.
func (c *Config) applyDefaults() {
	if c.Format == "" {
		c.Format = FormatAuto
	}
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
		if c.Direct {
			c.Endpoint = DefaultLangSmithEndpoint
		}
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.BatchSpans <= 0 {
		c.BatchSpans = DefaultBatchSpans
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = DefaultBatchBytes
	}
	if c.BatchRecords <= 0 {
		c.BatchRecords = DefaultBatchRecords
	}
	if c.MaxRetryTime <= 0 {
		c.MaxRetryTime = DefaultMaxRetryTime
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Progress == "" {
		c.Progress = ProgressAuto
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepContext
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.RequestTimeout}
	}
	if c.FailedPath == "" {
		c.FailedPath = "replay-failed-" + c.Now().UTC().Format("20060102T150405Z") + ".ndjson"
	}
	if c.Version == "" {
		c.Version = "dev"
	}
}

// Validate checks the configuration before anything is read or sent.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Inputs) == 0 {
		errs = append(errs, errors.New("no input: name run-list or record files, or - for stdin"))
	}
	stdin := 0
	for _, in := range c.Inputs {
		if in == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		errs = append(errs, errors.New("stdin (-) can be read only once"))
	}
	switch c.Format {
	case FormatAuto, FormatRuns, FormatRecords:
	default:
		errs = append(errs, fmt.Errorf("unknown format %q: want auto, runs or records", c.Format))
	}
	if err := checkURL(c.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint: %w", err))
	}
	if c.LangfuseEndpoint != "" {
		if err := checkURL(c.LangfuseEndpoint); err != nil {
			errs = append(errs, fmt.Errorf("langfuse endpoint: %w", err))
		}
	}
	if c.Direct && c.APIKey == "" {
		errs = append(errs, errors.New("--direct needs a LangSmith API key (--api-key or LANGSMITH_API_KEY)"))
	}
	switch c.Progress {
	case ProgressAuto, ProgressBar, ProgressPlain, ProgressNone:
	default:
		errs = append(errs, fmt.Errorf("unknown progress mode %q: want auto, bar, plain or none", c.Progress))
	}
	return errors.Join(errs...)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// langfuseEndpoint is where records go: the explicit endpoint, else the collector's host on
// the langfuse receiver's default port.
func (c *Config) langfuseEndpoint() string {
	if c.LangfuseEndpoint != "" {
		return c.LangfuseEndpoint
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		return c.Endpoint
	}
	u.Host = u.Hostname() + ":" + DefaultLangfusePort
	u.Path = ""
	return u.String()
}
