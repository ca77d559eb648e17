// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"errors"
	"fmt"
	"regexp"

	"go.opentelemetry.io/collector/config/configopaque"
)

// TenantConfig is one tenant: the callers it authenticates as, the project its runs are pinned
// to, and the LangSmith workspace they go to. Each tenant gets its own assembler, queue, retry
// and HTTP credentials, so its 429s, outages or revoked key never hold up another tenant.
type TenantConfig struct {
	// Name identifies the tenant: a langfuse receiver key with `tenant: <name>` belongs to it,
	// and the exporter's own telemetry names it (exporter `langsmith/<name>` becomes
	// `langsmith/<name>/tenant_<tenant>`, plus the attribute tenant=<name>).
	Name string `mapstructure:"name"`
	// Project is where every run of the tenant goes, whatever its data names.
	Project string `mapstructure:"project"`
	// APIKey is the tenant's LangSmith key (x-api-key); empty means the exporter's own
	// `api_key` and `tenant_id`. Masked in logs.
	APIKey configopaque.String `mapstructure:"api_key"`
	// TenantID is the workspace (X-Tenant-Id) for an org-scoped APIKey.
	TenantID string `mapstructure:"tenant_id"`
	// Match lists the authenticated identities of OTLP callers (or any receiver using an `auth`
	// extension) that belong to the tenant.
	Match []IdentityMatch `mapstructure:"match"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// IdentityMatch is one authenticated identity. Set either AuthAttribute and Value, or
// BearerToken.
type IdentityMatch struct {
	// AuthAttribute names an attribute of the receiver's authenticator (client.Info.Auth):
	// `username` (basicauth), `subject`, `membership` or `claims.<name>` (oidc). Value must
	// equal it, or be one of its values when the attribute is a list.
	AuthAttribute string `mapstructure:"auth_attribute"`
	Value         string `mapstructure:"value"`
	// BearerToken matches the token of the caller's Authorization header (`Bearer <token>`).
	// The bearertokenauth extension checks tokens but names no identity, so the exporter reads
	// the header the extension checked; the OTLP receiver must set `include_metadata: true`.
	BearerToken configopaque.String `mapstructure:"bearer_token"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// tenantName is what a tenant name may hold: it becomes part of a component ID and of the
// file names of persistent queues.
var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// validateTenants checks each tenant and that no two tenants claim one name or identity.
func validateTenants(tenants []TenantConfig) error {
	var errs error
	names := map[string]int{}
	attrs := map[[2]string]int{}
	tokens := map[configopaque.String]int{}
	for i := range tenants {
		t := &tenants[i]
		at := fmt.Sprintf("`tenants[%d]`", i)
		if !tenantName.MatchString(t.Name) {
			errs = errors.Join(errs, fmt.Errorf("%s: `name` %q must be 1-63 lower-case letters, digits, '_' or '-'", at, t.Name))
		} else if first, dup := names[t.Name]; dup {
			errs = errors.Join(errs, fmt.Errorf("%s: `name` %q repeats `tenants[%d]`", at, t.Name, first))
		} else {
			names[t.Name] = i
		}
		if t.Project == "" {
			errs = errors.Join(errs, fmt.Errorf("%s: `project` must be set: a tenant's runs are pinned to it", at))
		}
		if t.APIKey == "" && t.TenantID != "" {
			errs = errors.Join(errs, fmt.Errorf("%s: `tenant_id` needs the tenant's own `api_key`", at))
		}
		for j, m := range t.Match {
			mat := fmt.Sprintf("%s `match[%d]`", at, j)
			switch {
			case m.BearerToken != "" && (m.AuthAttribute != "" || m.Value != ""):
				errs = errors.Join(errs, fmt.Errorf("%s: set either `bearer_token` or `auth_attribute` and `value`", mat))
			case m.BearerToken != "":
				if first, dup := tokens[m.BearerToken]; dup {
					// Never print a token, not even in an error.
					errs = errors.Join(errs, fmt.Errorf("%s: `bearer_token` is already `tenants[%d]`'s", mat, first))
				}
				tokens[m.BearerToken] = i
			case m.AuthAttribute == "" || m.Value == "":
				errs = errors.Join(errs, fmt.Errorf("%s: `auth_attribute` and `value` must both be set", mat))
			default:
				key := [2]string{m.AuthAttribute, m.Value}
				if first, dup := attrs[key]; dup && first != i {
					// No value in the error: with an attribute like `raw` it is a credential.
					errs = errors.Join(errs, fmt.Errorf("%s: this `%s` value is already `tenants[%d]`'s", mat, m.AuthAttribute, first))
				}
				attrs[key] = i
			}
		}
	}
	return errs
}
