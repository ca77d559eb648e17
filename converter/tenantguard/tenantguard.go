// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package tenantguard is a confmap converter that refuses, at start-up, a collector
// configuration in which the langsmith exporter would lose the tenant of the data it gets.
//
// The exporter takes a caller's tenant from the request's context (client.Info), never from the
// data. Some pipelines lose that context on the way:
//   - the batch processor (and groupbytrace, tail_sampling) re-sends data on a context of its
//     own: client.Info.Auth is dropped always, client.Info.Metadata kept only for the keys in
//     the batch processor's `metadata_keys`. So identities from an `auth` extension or a
//     langfuse receiver key never survive it; a bearer token survives only with
//     `metadata_keys: [authorization]`.
//   - the OTLP receiver passes the Authorization header on only with `include_metadata: true`.
//   - a langfuse receiver key may name a tenant the exporter does not have.
//
// Each of these would send a tenant's runs into the shared project (or refuse them) instead of
// the tenant's own, so the collector does not start. Nor does it when a tenant's component ID
// is another langsmith exporter's or tenant's (checkTenantIDs): they would share storage.
//
// The converter also hands each langsmith exporter what it cannot see itself: the projects the
// langfuse receivers' keys pin, those of other langsmith exporters' tenants that share
// their exporter's workspace, and those of tenants whose own key is this exporter's. It adds them to the exporter's `reserved_projects`, so the
// data of a caller of no tenant cannot name them (the key's own callers still land there: their
// project is pinned on the context, which wins over any reservation).
package tenantguard // import "github.com/tracebridge/tracebridge/converter/tenantguard"

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// NewFactory returns the converter's factory, for the OCB manifest's `converters:`.
func NewFactory() confmap.ConverterFactory {
	return confmap.NewConverterFactory(func(confmap.ConverterSettings) confmap.Converter { return guard{} })
}

type guard struct{}

// Component types the guard knows.
const (
	typeLangsmith = "langsmith"
	typeLangfuse  = "langfuse"
	typeOTLP      = "otlp"
	typeBatch     = "batch"
)

// contextDroppers are processors that hand data on with a context of their own.
var contextDroppers = []string{typeBatch, "groupbytrace", "tail_sampling"}

// Convert checks the configuration and reserves, on every langsmith exporter, the projects
// pinned where the exporter cannot see it.
func (guard) Convert(_ context.Context, conf *confmap.Conf) error {
	raw := conf.ToStringMap()
	receivers := asMap(raw["receivers"])
	processors := asMap(raw["processors"])
	exporters := asMap(raw["exporters"])
	connectors := asMap(raw["connectors"])
	pipelines := asMap(asMap(raw["service"])["pipelines"])

	var errs []error
	for _, name := range sortedKeys(pipelines) {
		for _, expID := range asStrings(asMap(pipelines[name])["exporters"]) {
			if componentType(expID) != typeLangsmith {
				continue
			}
			feeding := upstream(pipelines, connectors, name)
			errs = append(errs, checkPipeline(expID, asMap(exporters[expID]), feeding, pipelines, receivers, processors)...)
		}
	}
	errs = append(errs, checkTenantIDs(exporters)...)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return reservePinnedProjects(conf, receivers, exporters)
}

// checkTenantIDs refuses two langsmith exporters, or tenants, that would run under one
// component ID: a tenant of exporter `langsmith/<name>` runs as `langsmith/<name>_tenant_<t>`
// (`langsmith/tenant_<t>` without a name), and its persistent queue, parked spans and ledger
// live in storage under that ID. Shared with another exporter, either would read the other's
// runs and send them with its own key, into its own workspace.
func checkTenantIDs(exporters map[string]any) []error {
	var errs []error
	owner := map[string]string{} // component ID -> what runs as it
	for _, expID := range sortedKeys(exporters) {
		if componentType(expID) == typeLangsmith {
			owner[expID] = fmt.Sprintf("exporter %q", expID)
		}
	}
	for _, expID := range sortedKeys(exporters) {
		if componentType(expID) != typeLangsmith {
			continue
		}
		_, base, _ := strings.Cut(expID, "/")
		for _, tc := range asSlice(asMap(exporters[expID])["tenants"]) {
			name := asString(asMap(tc)["name"])
			if name == "" {
				continue // the exporter's own validation says so
			}
			id := typeLangsmith + "/tenant_" + name
			if base != "" {
				id = typeLangsmith + "/" + base + "_tenant_" + name
			}
			what := fmt.Sprintf("exporter %q tenant %q", expID, name)
			if first, taken := owner[id]; taken {
				errs = append(errs, fmt.Errorf("%s runs as %q, which %s is too: rename one (they would share its queue's and parked spans' storage)", what, id, first))
				continue
			}
			owner[id] = what
		}
	}
	return errs
}

// defaultProject is the langsmith exporter's `project` when the configuration sets none
// (createDefaultConfig in exporter/langsmithexporter).
const defaultProject = "default"

// reservePinnedProjects adds to the `reserved_projects` of every langsmith exporter, whichever
// pipelines they are in, the projects it cannot see are pinned: the project of every langfuse
// receiver key that pins one, the project of every other langsmith exporter's tenant that
// has no `api_key` of its own, and that of every tenant whose own `api_key` and `tenant_id`
// are the exporter's (its runs go to the exporter's workspace). Such a project lives in an exporter's own workspace, and any
// exporter writing there must keep callers of no tenant out of it. Reserving a name in a
// workspace that has no such project only sends a shared caller naming it to the exporter's
// `project`. An exporter's own `project` is never reserved: callers of no tenant land there
// anyway; its own tenants' projects it reserves itself.
func reservePinnedProjects(conf *confmap.Conf, receivers, exporters map[string]any) error {
	var keyPinned []string
	for _, recvID := range sortedKeys(receivers) {
		if componentType(recvID) != typeLangfuse {
			continue
		}
		for _, k := range asSlice(asMap(receivers[recvID])["api_keys"]) {
			if p := asString(asMap(k)["project"]); p != "" && !slices.Contains(keyPinned, p) {
				keyPinned = append(keyPinned, p)
			}
		}
	}
	tenantPinned := map[string][]string{} // exporter -> projects of its tenants sharing its workspace
	type keyedTenant struct{ key, tenantID, project string }
	var keyed []keyedTenant // tenants with an api_key of their own
	anyTenant := false
	for _, expID := range sortedKeys(exporters) {
		if componentType(expID) != typeLangsmith {
			continue
		}
		for _, tc := range asSlice(asMap(exporters[expID])["tenants"]) {
			m := asMap(tc)
			p := asString(m["project"])
			switch {
			case p == "":
			case asString(m["api_key"]) == "":
				tenantPinned[expID] = append(tenantPinned[expID], p)
				anyTenant = true
			default:
				keyed = append(keyed, keyedTenant{key: asString(m["api_key"]), tenantID: asString(m["tenant_id"]), project: p})
				anyTenant = true
			}
		}
	}
	if len(keyPinned) == 0 && !anyTenant {
		return nil
	}
	add := map[string]any{}
	for _, expID := range sortedKeys(exporters) {
		if componentType(expID) != typeLangsmith {
			continue
		}
		cfg := asMap(exporters[expID])
		current, isList := cfg["reserved_projects"].([]any)
		if cfg["reserved_projects"] != nil && !isList {
			continue // not a list: the exporter's own unmarshalling says so
		}
		own := asString(cfg["project"])
		if own == "" {
			own = defaultProject
		}
		pinned := slices.Clone(keyPinned)
		for _, other := range sortedKeys(exporters) {
			if other != expID {
				pinned = append(pinned, tenantPinned[other]...)
			}
		}
		// A tenant whose own key (and tenant_id) is this exporter's writes into this
		// exporter's workspace, whichever exporter it is listed in.
		for _, t := range keyed {
			if key := asString(cfg["api_key"]); key != "" && t.key == key && t.tenantID == asString(cfg["tenant_id"]) {
				pinned = append(pinned, t.project)
			}
		}
		reserved := slices.Clone(current)
		for _, p := range pinned {
			if p != own && !slices.Contains(reserved, any(p)) {
				reserved = append(reserved, p)
			}
		}
		if len(reserved) > len(current) {
			add[expID] = map[string]any{"reserved_projects": reserved}
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := conf.Merge(confmap.NewFromStringMap(map[string]any{"exporters": add})); err != nil {
		return fmt.Errorf("reserving the projects pinned by langfuse keys and tenants: %w", err)
	}
	return nil
}

// upstream returns the pipelines whose data reaches pipeline name: itself and, through every
// connector among its receivers, the pipelines exporting to that connector, transitively.
func upstream(pipelines, connectors map[string]any, name string) []string {
	seen := map[string]bool{name: true}
	order := []string{name}
	for i := 0; i < len(order); i++ {
		for _, recvID := range asStrings(asMap(pipelines[order[i]])["receivers"]) {
			if _, isConnector := connectors[recvID]; !isConnector {
				continue
			}
			for _, other := range sortedKeys(pipelines) {
				if !seen[other] && slices.Contains(asStrings(asMap(pipelines[other])["exporters"]), recvID) {
					seen[other] = true
					order = append(order, other)
				}
			}
		}
	}
	return order
}

// tenancy is what one langsmith exporter needs to see on the context.
type tenancy struct {
	tenants      map[string]bool
	attrTenants  bool // some tenant is matched by an auth extension's attribute
	tokenTenants bool // some tenant is matched by a bearer token
}

func exporterTenancy(cfg map[string]any) tenancy {
	t := tenancy{tenants: map[string]bool{}}
	for _, tc := range asSlice(cfg["tenants"]) {
		m := asMap(tc)
		t.tenants[asString(m["name"])] = true
		for _, match := range asSlice(m["match"]) {
			if asString(asMap(match)["bearer_token"]) != "" {
				t.tokenTenants = true
			} else {
				t.attrTenants = true
			}
		}
	}
	return t
}

// checkPipeline checks what reaches exporter expID through the pipelines feeding it.
func checkPipeline(expID string, expCfg map[string]any, feeding []string, pipelines, receivers, processors map[string]any) []error {
	var errs []error
	t := exporterTenancy(expCfg)
	// keyTenancy: a langfuse receiver feeding the exporter has keys with a tenant or a pinned project.
	keyTenancy := false
	for _, pipeline := range feeding {
		errs = append(errs, checkReceivers(pipeline, expID, asStrings(asMap(pipelines[pipeline])["receivers"]), receivers, t, &keyTenancy)...)
	}
	if !keyTenancy && len(t.tenants) == 0 {
		return errs // shared keys only: nothing to lose
	}
	for _, pipeline := range feeding {
		errs = append(errs, checkProcessors(pipeline, expID, asStrings(asMap(pipelines[pipeline])["processors"]), processors, t, keyTenancy)...)
	}
	return errs
}

func checkReceivers(pipeline, expID string, ids []string, receivers map[string]any, t tenancy, keyTenancy *bool) []error {
	var errs []error
	for _, recvID := range ids {
		cfg := asMap(receivers[recvID])
		switch componentType(recvID) {
		case typeLangfuse:
			for i, k := range asSlice(cfg["api_keys"]) {
				km := asMap(k)
				tenant, project := asString(km["tenant"]), asString(km["project"])
				if tenant != "" || project != "" {
					*keyTenancy = true
				}
				if tenant != "" && !t.tenants[tenant] {
					errs = append(errs, fmt.Errorf("pipeline %q: receiver %q `api_keys[%d]` names tenant %q, which exporter %q does not have in its `tenants`", pipeline, recvID, i, tenant, expID))
				}
			}
		case typeOTLP:
			if !t.tokenTenants {
				continue
			}
			for _, proto := range []string{"grpc", "http"} {
				pc, ok := asMap(cfg["protocols"])[proto]
				if !ok {
					continue
				}
				if !asBool(asMap(pc)["include_metadata"]) {
					errs = append(errs, fmt.Errorf("pipeline %q: receiver %q `protocols::%s` must set `include_metadata: true`: exporter %q matches tenants by bearer token and would not see the Authorization header", pipeline, recvID, proto, expID))
				}
			}
		}
	}
	return errs
}

func checkProcessors(pipeline, expID string, ids []string, processors map[string]any, t tenancy, keyTenancy bool) []error {
	var errs []error
	for _, procID := range ids {
		typ := componentType(procID)
		if !slices.Contains(contextDroppers, typ) {
			continue
		}
		// Only a batch processor that keeps the Authorization header, in front of an exporter
		// whose tenants are all matched by bearer token, hands the exporter what it needs.
		keeps := typ == typeBatch && slices.ContainsFunc(asStrings(asMap(processors[procID])["metadata_keys"]), func(k string) bool {
			return strings.EqualFold(k, "authorization")
		})
		if keeps && !keyTenancy && !t.attrTenants {
			continue
		}
		errs = append(errs, fmt.Errorf("pipeline %q: processor %q hands data on without the caller's identity (client.Info.Auth), so exporter %q could not tell its tenants apart; remove it (the exporter batches each tenant's runs in its own `sending_queue`)%s",
			pipeline, procID, expID, tokenHint(typ, t, keyTenancy)))
	}
	return errs
}

func tokenHint(typ string, t tenancy, keyTenancy bool) string {
	if typ == typeBatch && t.tokenTenants && !t.attrTenants && !keyTenancy {
		return ", or set its `metadata_keys: [authorization]`"
	}
	return ""
}

func componentType(id string) string {
	typ, _, _ := strings.Cut(id, "/")
	return typ
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func asStrings(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// asBool reads a YAML boolean, also one that came through ${env:…} as text.
func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	default:
		return false
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
