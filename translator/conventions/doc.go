// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package conventions names the span and resource attributes that both sides of tracebridge
// agree on: the Langfuse names the receiver writes (the ones Langfuse's own OTLP ingestion
// reads), the LangSmith names the exporter reads, and tracebridge's own stamps. Keeping them in
// one place means a receiver and an exporter can never drift apart on a spelling.
package conventions // import "github.com/tracebridge/tracebridge/translator/conventions"
