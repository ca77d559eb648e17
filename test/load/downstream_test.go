// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import "testing"

func TestDownstreamOf(t *testing.T) {
	tests := []struct {
		name           string
		own, flag      string
		wantKind       string
		wantOverridden bool
	}{
		{name: "lite by default", wantKind: "lite"},
		{name: "its own", own: "strict", wantKind: "strict"},
		{name: "the flag over the default", flag: "strict", wantKind: "strict", wantOverridden: true},
		{name: "the flag naming the default", flag: "lite", wantKind: "lite"},
		{name: "the flag naming its own", own: "strict", flag: "strict", wantKind: "strict"},
		{name: "a binary over its own", own: "strict", flag: "/x/smithemu", wantKind: "/x/smithemu", wantOverridden: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, overridden := downstreamOf(scenario{Downstream: tt.own}, options{downstream: tt.flag})
			if kind != tt.wantKind || overridden != tt.wantOverridden {
				t.Fatalf("downstreamOf = %q, %v; want %q, %v", kind, overridden, tt.wantKind, tt.wantOverridden)
			}
		})
	}
}
