// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tracebridge/tracebridge/internal/textenum"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// Config defines the langsmith exporter's configuration.
type Config struct {
	// ClientConfig holds the endpoint (LangSmith's API base: https://api.smith.langchain.com,
	// a regional host, or a self-hosted https://host/api/v1), TLS, headers, timeout and auth.
	ClientConfig confighttp.ClientConfig                                  `mapstructure:",squash"`
	QueueConfig  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// APIKey is sent as x-api-key; masked in logs.
	APIKey configopaque.String `mapstructure:"api_key"`
	// TenantID is sent as X-Tenant-Id (the workspace), needed by org-scoped keys.
	TenantID string `mapstructure:"tenant_id"`
	// Project receives runs whose span, resource and tenant name none.
	Project string `mapstructure:"project"`
	// ProjectFromResourceAttribute names a resource attribute that picks the project.
	ProjectFromResourceAttribute string `mapstructure:"project_from_resource_attribute"`
	// RunIDMode chooses how run IDs are derived from spans.
	RunIDMode langsmith.IDMode `mapstructure:"run_id_mode"`
	// DeadLetterDirectory receives, as JSONL, runs that LangSmith refused permanently, one file
	// per refused request with the reason. Empty means refused runs are logged and counted only.
	DeadLetterDirectory string `mapstructure:"dead_letter_directory"`

	Assembly AssemblyConfig `mapstructure:"assembly"`
	// Limits keeps runs within LangSmith's published ingest limits before they are sent.
	Limits LimitsConfig `mapstructure:"limits"`

	// Tenants are decided by authentication, never by data: a caller whose authenticated
	// identity (or langfuse receiver key) belongs to a tenant has its runs pinned to the
	// tenant's project and sent with the tenant's LangSmith key. Callers of no tenant use
	// api_key, tenant_id and project above, as without tenants.
	Tenants []TenantConfig `mapstructure:"tenants"`

	// ReservedProjects are projects of this exporter's workspace that the data of a caller of
	// no tenant may not name: a run naming one lands in `project` instead. The build's config
	// converter (converter/tenantguard) adds every project a langfuse receiver key pins, since
	// the exporter does not see the receiver's keys; the projects of `tenants` without an
	// `api_key` of their own (or with this exporter's `api_key` and `tenant_id`) are reserved
	// without being listed. While any project is reserved,
	// such a caller may not name a project by id either (the exporter cannot tell whose it is).
	ReservedProjects []string `mapstructure:"reserved_projects"`

	// reservedProjects is ReservedProjects with the projects of tenants that share this
	// exporter's workspace: set by the tenant router on the shared exporter's copy.
	reservedProjects []string
	// observer learns every run's outcome: set by NewFactoryWithObserver, for a program that
	// embeds the exporter.
	observer Observer

	// prevent unkeyed literal initialization
	_ struct{}
}

// AssemblyConfig bounds how the exporter turns spans arriving in any order into whole trees;
// the assembler (internal/assembly) reads it, and validates it.
type AssemblyConfig = assembly.Config

// OrphanPolicy says where a span goes when its parent never arrives.
type OrphanPolicy = assembly.OrphanPolicy

const (
	// OrphanUnderRoot hangs orphans under their trace's root run (or a synthesized one).
	OrphanUnderRoot = assembly.OrphanUnderRoot
	// OrphanAsRoot uploads each orphan as the root of its own LangSmith trace.
	OrphanAsRoot = assembly.OrphanAsRoot
)

// WindowPolicy says what happens to a run whose start_time is outside LangSmith's window.
type WindowPolicy string

const (
	// WindowDeadLetter sends such runs in requests of their own, never beside an in-window run,
	// and dead-letters them if LangSmith refuses them (Cloud does; self-hosted only warns).
	WindowDeadLetter WindowPolicy = "dead_letter"
	// WindowShift moves every run of a trace whose root started outside the window by the same
	// whole number of days, ids included, so the trace lands whole inside it.
	WindowShift WindowPolicy = "shift"
)

// UnmarshalText validates the policy when it is read from configuration.
func (p *WindowPolicy) UnmarshalText(text []byte) error {
	v, err := textenum.Parse(text, "out-of-window policy", WindowDeadLetter, WindowShift)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// LimitsConfig holds LangSmith Cloud's published per-run limits the exporter keeps before it
// sends (names over 128 characters are always cut, the whole name kept in metadata).
type LimitsConfig struct {
	// StartTimeWindow is how far from now a run's start_time may be (LangSmith Cloud: 24h).
	// 0 turns the check off, for self-hosted instances that only warn.
	StartTimeWindow time.Duration `mapstructure:"start_time_window"`
	// OutOfWindow is the policy for runs outside StartTimeWindow.
	OutOfWindow WindowPolicy `mapstructure:"out_of_window"`
	// MaxRunsPerTrace is how many runs one trace may have (LangSmith: 25,000). Further runs of
	// a trace are dead-lettered without being sent. 0 turns the cap off.
	MaxRunsPerTrace int `mapstructure:"max_runs_per_trace"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the limits.
func (cfg *LimitsConfig) Validate() error {
	var errs error
	if cfg.StartTimeWindow < 0 || (cfg.StartTimeWindow > 0 && cfg.StartTimeWindow < 2*langsmith.WindowMargin) {
		errs = errors.Join(errs, fmt.Errorf("`limits::start_time_window` must be 0 (off) or at least %s", 2*langsmith.WindowMargin))
	}
	if cfg.MaxRunsPerTrace < 0 {
		errs = errors.Join(errs, errors.New("`limits::max_runs_per_trace` must be 0 (off) or positive"))
	}
	return errs
}

// Validate checks the configuration at start-up; confmap runs the nested Validate methods too.
func (cfg *Config) Validate() error {
	var errs error
	if cfg.ClientConfig.Endpoint == "" {
		errs = errors.Join(errs, errors.New("`endpoint` must be specified (e.g. https://api.smith.langchain.com)"))
	} else if u, err := url.Parse(cfg.ClientConfig.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = errors.Join(errs, fmt.Errorf("`endpoint` %q must be an http or https URL", cfg.ClientConfig.Endpoint))
	}
	if cfg.APIKey == "" && cfg.ClientConfig.Auth.Get() == nil {
		errs = errors.Join(errs, errors.New("`api_key` must be set (or an `auth` extension configured)"))
	}
	if cfg.Project == "" {
		errs = errors.Join(errs, errors.New("`project` must not be empty"))
	}
	errs = errors.Join(errs, validateQueue(cfg.QueueConfig.Get()), validateTenants(cfg.Tenants), cfg.validateReserved())
	if cfg.ClientConfig.Compression.IsCompressed() {
		errs = errors.Join(errs, errors.New("`compression` is not supported: run uploads are always zstd-compressed"))
	}
	return errs // confmap.Validate runs AssemblyConfig.Validate itself, as for every nested struct
}

// Unmarshal reads the configuration; `sending_queue::sizer: requests` without a `queue_size` gets
// the requests default (unmarshalQueueSize) rather than the default in spans.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if err := conf.Unmarshal(cfg); err != nil {
		return err
	}
	unmarshalQueueSize(conf, cfg)
	return nil
}

// validateReserved checks `reserved_projects`: a reserved name sends the run to `project`,
// so `project` itself cannot be one.
func (cfg *Config) validateReserved() error {
	var errs error
	for i, p := range cfg.ReservedProjects {
		switch {
		case strings.TrimSpace(p) == "":
			errs = errors.Join(errs, fmt.Errorf("`reserved_projects[%d]` must not be empty", i))
		case p == cfg.Project:
			errs = errors.Join(errs, fmt.Errorf("`reserved_projects[%d]` %q is the exporter's `project`: runs naming a reserved project land there", i, p))
		}
	}
	return errs
}
