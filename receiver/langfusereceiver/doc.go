// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package langfusereceiver receives raw Langfuse-style records over HTTP
// (POST /api/v1/telemetry/raw) and emits them into the pipeline as OTLP spans.
package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"
