// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package langfusereceiver receives raw Langfuse-style records over HTTP, with the paths and
// answers of Cobo Agentic Wallet's Telemetry API (POST /api/v1/telemetry/raw, /telemetry and
// /telemetry/session, GET /telemetry/config), and emits them into the pipeline as OTLP spans.
// The mapping is translator/langfuse; this package is the HTTP side: auth, limits, the error
// envelope, backpressure and observability.
package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"
