// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package tenantauth carries the tenant of a request the langfuse receiver authenticated to the
// langsmith exporter on the collector's own channel for it: client.Info.Auth on the context.
// Nothing in a request body or header can produce an Auth: only code in this module constructs
// one, after checking an X-API-Key, so the exporter can trust it where it must not trust an
// attribute of the data.
package tenantauth // import "github.com/tracebridge/tracebridge/internal/tenantauth"

import (
	"context"

	"go.opentelemetry.io/collector/client"
)

// Attribute names Auth answers to, for components that read any client.AuthData.
const (
	AttributeTenant  = "tracebridge.tenant"
	AttributeProject = "tracebridge.project"
)

// Auth is the identity of a caller whose X-API-Key the langfuse receiver accepted: the tenant
// the key belongs to, or the project the key pins (for keys that name no tenant), or neither
// (a shared key: the data may name its project).
type Auth struct {
	tenant  string
	project string
}

var _ client.AuthData = (*Auth)(nil)

// New returns the identity of a key belonging to tenant and pinning project (either may be empty).
func New(tenant, project string) *Auth { return &Auth{tenant: tenant, project: project} }

// Tenant is the tenant the key belongs to ("" for none).
func (a *Auth) Tenant() string { return a.tenant }

// Project is the project the key pins ("" for none).
func (a *Auth) Project() string { return a.project }

// GetAttribute implements client.AuthData.
func (a *Auth) GetAttribute(name string) any {
	switch name {
	case AttributeTenant:
		return a.tenant
	case AttributeProject:
		return a.project
	default:
		return nil
	}
}

// GetAttributeNames implements client.AuthData.
func (*Auth) GetAttributeNames() []string { return []string{AttributeTenant, AttributeProject} }

// NewContext returns ctx with a as its client.Info.Auth; the rest of the client.Info (the
// peer address, metadata) is kept.
func NewContext(ctx context.Context, a *Auth) context.Context {
	info := client.FromContext(ctx)
	info.Auth = a
	return client.NewContext(ctx, info)
}

// FromContext returns the Auth the langfuse receiver put on ctx, if it did.
func FromContext(ctx context.Context) (*Auth, bool) {
	a, ok := client.FromContext(ctx).Auth.(*Auth)
	return a, ok && a != nil
}
