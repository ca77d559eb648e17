// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/internal/tenantauth"
	"github.com/tracebridge/tracebridge/translator/conventions"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// tenantRouter is the exporter the pipeline sees. It decides each request's tenant from the
// authenticated identity on its context, never from the data, and hands the spans to that
// tenant's own exporter (assembler, queue, retry, credentials): a tenant's 429s, outage or
// revoked key then back off only its own queue's consumers. Partitioning one exporterhelper
// queue by metadata would not do that: a partition only groups batches, and a batch being
// retried holds one of the consumers every tenant shares.
type tenantRouter struct {
	shared  *langsmithExporter // callers of no tenant: the exporter's own key and project
	tenants []*tenantRoute
	byName  map[string]*tenantRoute
	attrs   []attrMatch
	tokens  []tokenMatch

	// noProjectIDs: the shared exporter's workspace hosts reserved projects, so a caller of no
	// tenant may not name a project by id. The exporter cannot tell whose project an id is
	// (a name it can compare; an id it would have to look up), so every id is dropped.
	noProjectIDs bool
	logger       *zap.Logger
	warnedIDs    atomic.Bool
	warnedPatch  atomic.Bool
}

type tenantRoute struct {
	name    string
	project string
	exp     *langsmithExporter
}

type attrMatch struct {
	attribute, value string
	route            *tenantRoute
}

// tokenMatch keeps a bearer token as its SHA-256 digest; every digest is compared on every
// lookup, so timing says nothing about the tokens (as the langfuse receiver does for its keys).
type tokenMatch struct {
	digest [sha256.Size]byte
	route  *tenantRoute
}

func newTenantRouter(ctx context.Context, set exporter.Settings, cfg *Config) (*tenantRouter, error) {
	sharedCfg := *cfg
	sharedCfg.reservedProjects = slices.Clone(cfg.ReservedProjects)
	for i := range cfg.Tenants {
		if sharesWorkspace(cfg, &cfg.Tenants[i]) && cfg.Tenants[i].Project != "" {
			sharedCfg.reservedProjects = append(sharedCfg.reservedProjects, cfg.Tenants[i].Project)
		}
	}
	shared, err := newExporter(ctx, set, &sharedCfg)
	if err != nil {
		return nil, err
	}
	r := &tenantRouter{
		shared: shared, byName: make(map[string]*tenantRoute, len(cfg.Tenants)),
		noProjectIDs: len(sharedCfg.reservedProjects) > 0, logger: set.Logger,
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		exp, err := newExporter(ctx, tenantSettings(set, t.Name), tenantConfig(cfg, t),
			exporterhelper.WithAttrs(attribute.String("tenant", t.Name)))
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		route := &tenantRoute{name: t.Name, project: t.Project, exp: exp}
		r.tenants = append(r.tenants, route)
		r.byName[t.Name] = route
		for _, m := range t.Match {
			if m.BearerToken != "" {
				r.tokens = append(r.tokens, tokenMatch{digest: sha256.Sum256([]byte(m.BearerToken)), route: route})
				continue
			}
			r.attrs = append(r.attrs, attrMatch{attribute: m.AuthAttribute, value: m.Value, route: route})
		}
	}
	return r, nil
}

// sharesWorkspace reports whether tenant t writes into the exporter's own workspace: it has no
// `api_key` of its own, or the exporter's key under the exporter's `tenant_id` (a key written
// out again is the same workspace as one left empty).
func sharesWorkspace(cfg *Config, t *TenantConfig) bool {
	return t.APIKey == "" || (t.APIKey == cfg.APIKey && t.TenantID == cfg.TenantID)
}

// tenantConfig is the exporter configuration of one tenant: the shared one with the tenant's
// project and, if it has its own, its LangSmith key and workspace.
func tenantConfig(cfg *Config, t *TenantConfig) *Config {
	tc := *cfg
	tc.Tenants = nil
	tc.Project = t.Project
	tc.ProjectFromResourceAttribute = ""
	if t.APIKey != "" {
		tc.APIKey, tc.TenantID = t.APIKey, t.TenantID
	}
	if cfg.DeadLetterDirectory != "" {
		// A dead-letter directory is re-driven with one key: tenants must not share one.
		tc.DeadLetterDirectory = filepath.Join(cfg.DeadLetterDirectory, "tenant_"+t.Name)
	}
	return &tc
}

// tenantSettings gives a tenant's exporter its own component ID, so its persistent queue and
// parked spans have their own storage, and its own telemetry: every metric it reports carries
// the instrumentation-scope attribute tenant=<name>, and its logs the field tenant.
func tenantSettings(set exporter.Settings, tenant string) exporter.Settings {
	name := "tenant_" + tenant
	if base := set.ID.Name(); base != "" {
		name = base + "_" + name
	}
	ts := set
	ts.ID = component.NewIDWithName(set.ID.Type(), name)
	ts.Logger = set.Logger.With(zap.String("tenant", tenant))
	ts.MeterProvider = tenantMeterProvider{MeterProvider: set.MeterProvider, attr: attribute.String("tenant", tenant)}
	return ts
}

// tenantMeterProvider adds the tenant to the instrumentation scope of every meter it makes.
type tenantMeterProvider struct {
	metric.MeterProvider
	attr attribute.KeyValue
}

func (p tenantMeterProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return p.MeterProvider.Meter(name, append(slices.Clone(opts), metric.WithInstrumentationAttributes(p.attr))...)
}

func (r *tenantRouter) Start(ctx context.Context, host component.Host) error {
	if err := r.shared.Start(ctx, host); err != nil {
		return err
	}
	for _, t := range r.tenants {
		if err := t.exp.Start(ctx, host); err != nil {
			return fmt.Errorf("tenant %q: %w", t.name, err)
		}
	}
	return nil
}

// Shutdown stops every tenant's exporter, each flushing what it holds.
func (r *tenantRouter) Shutdown(ctx context.Context) error {
	err := r.shared.Shutdown(ctx)
	for _, t := range r.tenants {
		err = errors.Join(err, t.exp.Shutdown(ctx))
	}
	return err
}

// Capabilities: the router rewrites resource attributes, and the exporters behind it move
// spans out of the batch.
func (*tenantRouter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// ConsumeTraces pins td to its caller's tenant and hands it to that tenant's exporter.
func (r *tenantRouter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	exp, project, err := r.resolve(ctx)
	if err != nil {
		return consumererror.NewPermanent(err)
	}
	pinProject(td, project)
	r.scrub(ctx, td, exp == r.shared && project == "" && r.noProjectIDs)
	return exp.ConsumeTraces(ctx, td)
}

// scrub removes from every span what only this process may decide, whatever the ingress:
//   - the assembler's patch stamp (tracebridge.patch). The assembler stamps the released copy
//     of a run it already posted; no receiver, and no collector in front of this one, ever
//     needs to send it. A span from outside carrying it would go out as a patch of whatever
//     run its langsmith.span.id names, another caller's included.
//   - with dropIDs (a caller of no tenant, in a workspace hosting reserved projects), the
//     attributes naming the run's project by id: the run goes to a project it may name, or to
//     the exporter's own.
func (r *tenantRouter) scrub(ctx context.Context, td ptrace.Traces, dropIDs bool) {
	var patches, ids int64
	hasID := false
	remove := func(k string, _ pcommon.Value) bool {
		switch {
		case k == conventions.Patch:
			patches++
			return true
		case dropIDs && langsmith.IsProjectIDAttribute(k):
			hasID = true
			return true
		}
		return false
	}
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				hasID = false
				span.Attributes().RemoveIf(remove)
				if hasID {
					ids++
				}
			}
		}
	}
	if ids > 0 {
		r.shared.telemetry.ExporterLangsmithProjectIdsDropped.Add(ctx, ids)
		r.logOnce(&r.warnedIDs, "A caller of no tenant named its project by id; this workspace hosts reserved projects, so the id was dropped and the run goes to a project it may name, or the exporter's own (counted in otelcol_exporter_langsmith_project_ids_dropped)", ids)
	}
	if patches > 0 {
		r.logOnce(&r.warnedPatch, "Spans arrived carrying the exporter's own patch stamp (tracebridge.patch); it was removed: only this exporter's assembler decides that a run is a patch", patches)
	}
}

// logOnce warns the first time, then writes at debug level; it never logs attribute values.
func (r *tenantRouter) logOnce(warned *atomic.Bool, msg string, spans int64) {
	level := zap.DebugLevel
	if warned.CompareAndSwap(false, true) {
		level = zap.WarnLevel
	}
	if ce := r.logger.Check(level, msg); ce != nil {
		ce.Write(zap.Int64("spans", spans))
	}
}

// resolve returns the exporter and the pinned project ("" for none) of the caller on ctx. The
// langfuse receiver's own identity comes first (it replaced whatever an extension set), then
// the attributes of an `auth` extension's identity, then a checked bearer token.
func (r *tenantRouter) resolve(ctx context.Context) (*langsmithExporter, string, error) {
	if id, ok := tenantauth.FromContext(ctx); ok {
		if id.Tenant() == "" {
			return r.shared, id.Project(), nil
		}
		route, ok := r.byName[id.Tenant()]
		if !ok {
			return nil, "", fmt.Errorf("the caller's key belongs to tenant %q, which is not among this exporter's `tenants`", id.Tenant())
		}
		return route.exp, route.project, nil
	}
	info := client.FromContext(ctx)
	if info.Auth != nil {
		for _, m := range r.attrs {
			if attributeHas(info.Auth.GetAttribute(m.attribute), m.value) {
				return m.route.exp, m.route.project, nil
			}
		}
	}
	if route := r.byToken(info.Metadata.Get("authorization")); route != nil {
		return route.exp, route.project, nil
	}
	return r.shared, "", nil
}

// attributeHas reports whether an identity attribute is want or, for a list (oidc's
// `membership`, or a `claims.<name>` list as JSON decodes it), holds want.
func attributeHas(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []string:
		return slices.Contains(x, want)
	case []any:
		return slices.Contains(x, any(want))
	default:
		return false
	}
}

// byToken finds the tenant of a `Bearer <token>` Authorization header.
func (r *tenantRouter) byToken(headers []string) *tenantRoute {
	if len(r.tokens) == 0 {
		return nil
	}
	var match *tenantRoute
	for _, h := range headers {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "bearer") {
			continue
		}
		digest := sha256.Sum256([]byte(token))
		for i := range r.tokens {
			if subtle.ConstantTimeCompare(digest[:], r.tokens[i].digest[:]) == 1 && match == nil {
				match = r.tokens[i].route // no early exit: the loop's length stays independent of the match
			}
		}
	}
	return match
}

// pinProject removes every project stamp the data carries (a stamp from outside must never
// choose a project) and, when the caller's identity pins one, stamps that instead; the
// translator lets the stamp win over every attribute naming a project.
func pinProject(td ptrace.Traces, project string) {
	for _, rs := range td.ResourceSpans().All() {
		attrs := rs.Resource().Attributes()
		if project == "" {
			attrs.Remove(conventions.TenantProject)
			continue
		}
		attrs.PutStr(conventions.TenantProject, project)
	}
}
