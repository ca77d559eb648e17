// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package tenantauth

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
)

// otherAuth is what any other authenticator would put on the context.
type otherAuth struct{}

func (otherAuth) GetAttribute(string) any     { return "team-b" }
func (otherAuth) GetAttributeNames() []string { return []string{AttributeTenant} }

func TestFromContext(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	base := client.NewContext(context.Background(), client.Info{Addr: addr, Metadata: client.NewMetadata(map[string][]string{"k": {"v"}})})
	tests := []struct {
		name        string
		ctx         context.Context
		wantOK      bool
		wantTenant  string
		wantProject string
	}{
		{name: "none", ctx: context.Background()},
		{name: "another authenticator's data, even naming a tenant", ctx: client.NewContext(context.Background(), client.Info{Auth: otherAuth{}})},
		{name: "typed nil", ctx: client.NewContext(context.Background(), client.Info{Auth: (*Auth)(nil)})},
		{name: "tenant", ctx: NewContext(base, New("team-a", "")), wantOK: true, wantTenant: "team-a"},
		{name: "pinned project", ctx: NewContext(base, New("", "proj")), wantOK: true, wantProject: "proj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := FromContext(tt.ctx)
			require.Equal(t, tt.wantOK, ok)
			if !ok {
				return
			}
			assert.Equal(t, tt.wantTenant, a.Tenant())
			assert.Equal(t, tt.wantProject, a.Project())
			assert.Equal(t, tt.wantTenant, a.GetAttribute(AttributeTenant))
			assert.Equal(t, tt.wantProject, a.GetAttribute(AttributeProject))
			assert.Nil(t, a.GetAttribute("subject"))
			assert.ElementsMatch(t, []string{AttributeTenant, AttributeProject}, a.GetAttributeNames())
		})
	}
	// NewContext keeps the rest of the client.Info.
	info := client.FromContext(NewContext(base, New("team-a", "")))
	assert.Equal(t, addr, info.Addr)
	assert.Equal(t, []string{"v"}, info.Metadata.Get("k"))
}
