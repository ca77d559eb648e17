// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package langsmithexporter uploads OTLP spans from any receiver to LangSmith as run trees,
// through the collector's queue, retry and timeout helpers.
package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"
