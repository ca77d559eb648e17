// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package tools pins the code generator mdatagen. The module proxy serves mdatagen only up to
// v0.159.0, and `go install` of it fails ("loading deprecation"), so it is pinned here as a Go
// tool and built with `go build` (see the Makefile's `generate` target). Its output compiles
// against the v0.165 collector libraries the root module uses.
package tools
