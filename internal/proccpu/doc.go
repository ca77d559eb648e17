// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package proccpu reads the process's own CPU time, which the benchmarks and the load harness
// report per span: what the 2-core budget pays, less sensitive than wall time to other load.
package proccpu // import "github.com/tracebridge/tracebridge/internal/proccpu"
