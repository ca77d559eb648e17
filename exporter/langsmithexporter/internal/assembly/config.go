// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"errors"
	"time"

	"github.com/tracebridge/tracebridge/internal/textenum"

	"go.opentelemetry.io/collector/component"
)

// OrphanPolicy says where a span goes when its parent never arrives.
type OrphanPolicy string

const (
	// OrphanUnderRoot hangs orphans under their trace's root run (or a synthesized one).
	OrphanUnderRoot OrphanPolicy = "reparent_to_root"
	// OrphanAsRoot uploads each orphan as the root of its own LangSmith trace.
	OrphanAsRoot OrphanPolicy = "own_root"
)

// UnmarshalText validates the policy when it is read from configuration.
func (p *OrphanPolicy) UnmarshalText(text []byte) error {
	v, err := textenum.Parse(text, "orphan policy", OrphanUnderRoot, OrphanAsRoot)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Config bounds how the exporter turns spans arriving in any order into whole trees.
type Config struct {
	// OrphanWait is how long a span waits for a missing ancestor before the orphan policy applies.
	OrphanWait time.Duration `mapstructure:"orphan_wait"`
	// OrphanPolicy applies to spans whose parent did not arrive within OrphanWait.
	OrphanPolicy OrphanPolicy `mapstructure:"orphan_policy"`
	// OpenRunWait is how long a run that has not ended yet (an open observation) waits for its
	// end before it is uploaded as it is. Ignored when LiveView is on.
	OpenRunWait time.Duration `mapstructure:"open_run_wait"`
	// LiveView uploads open runs at once as in-progress runs and patches them when they end.
	LiveView bool `mapstructure:"live_view"`
	// MaxSpans and MaxBytes cap what the assembler holds; past them the oldest traces are flushed
	// as they are (orphan policy) and counted.
	MaxSpans int   `mapstructure:"max_spans"`
	MaxBytes int64 `mapstructure:"max_bytes"`
	// ResolvedTTL and ResolvedMaxTraces bound the cache of released traces kept to parent late
	// spans correctly and to recognize re-sent ones.
	ResolvedTTL       time.Duration `mapstructure:"resolved_ttl"`
	ResolvedMaxTraces int           `mapstructure:"resolved_max_traces"`
	// Storage names a storage extension (e.g. file_storage) that keeps parked spans across
	// restarts. Without it, spans parked at the moment of a crash are lost.
	Storage *component.ID `mapstructure:"storage"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the assembly bounds.
func (cfg *Config) Validate() error {
	var errs error
	if cfg.OrphanWait <= 0 {
		errs = errors.Join(errs, errors.New("`assembly::orphan_wait` must be positive"))
	}
	if cfg.OpenRunWait <= 0 {
		errs = errors.Join(errs, errors.New("`assembly::open_run_wait` must be positive"))
	}
	if cfg.MaxSpans <= 0 {
		errs = errors.Join(errs, errors.New("`assembly::max_spans` must be positive"))
	}
	if cfg.MaxBytes <= 0 {
		errs = errors.Join(errs, errors.New("`assembly::max_bytes` must be positive"))
	}
	if cfg.ResolvedTTL < cfg.OrphanWait {
		errs = errors.Join(errs, errors.New("`assembly::resolved_ttl` must be at least `assembly::orphan_wait`, or late children lose their parent"))
	}
	if cfg.ResolvedMaxTraces <= 0 {
		errs = errors.Join(errs, errors.New("`assembly::resolved_max_traces` must be positive"))
	}
	return errs
}
