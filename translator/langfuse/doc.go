// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package langfuse is the pure mapping from the raw Langfuse record API (Cobo Agentic Wallet's
// POST /api/v1/telemetry/raw, /telemetry and /telemetry/session) to OpenTelemetry spans.
//
// The decoders are as strict as the original's pydantic models (a string is never a number,
// an integer never a float) and report each problem with its exact location, in the shape of
// FastAPI's 422 "detail" list (the first MaxProblems of them, then a count of the rest). What
// one body may cost is bounded before it is decoded: its JSON nodes, its nesting and the
// depth of a session tree (see NodeBudget and the DecodeOptions). The mapping writes the attribute names Langfuse's own OTLP
// ingestion reads, so the same spans render correctly if a pipeline also fans them out to
// Langfuse. The package does no I/O.
package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"
