// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package langsmith is the pure mapping between OpenTelemetry spans and LangSmith runs: run
// identity (IDs and dotted_order), span → run translation, and the wire encodings LangSmith
// ingests (multipart and /runs/batch JSON). It does no I/O, so the exporter, the replay tool and
// their tests share one truth.
package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"
