// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package replay moves historical or synthetic traces into LangSmith through the same code
// path live traffic takes. It reads run-list files (the flat list of runs a LangSmith export
// or a migration script holds, as a JSON array or NDJSON) and raw Langfuse-style records,
// shifts their times, gives every run a fresh time-ordered UUIDv7, and turns each trace into
// OTLP spans that carry their complete LangSmith identity (langsmith.span.id, .trace.id,
// .parent_id, .dotted_order). Those spans go either to a running tracebridge collector over
// OTLP/HTTP, whose queue, retry and assembly do the uploading, or (--direct) to the langsmith
// exporter built in-process, so there is one uploader, never two.
//
// The data path:
//
//	input files ─► scan (pass 1: classify, index, spill per trace bucket, latest start)
//	            ─► plan (pass 2, per trace: tree, shift, clamp, ids, dotted_order)
//	            ─► spans ─► sink (collector over OTLP/HTTP | in-process exporter)
//	            ─► ledger (progress, summary, failed-trace file)
//
// LangSmith refuses runs more than 24 h from now. When shifting the whole input to now would
// push its oldest traces out of that window, the traces are spread over it instead (timeFit),
// each moving whole so its runs keep their exact timing.
//
// Memory stays bounded on large inputs: pass 1 keeps only a per-trace key set and writes each
// run into one of a few bucket files by a hash of its trace; pass 2 loads one bucket at a time.
//
// A trace that cannot be replayed whole is never half-sent. A trace rejected before sending
// (a corrupt line, a missing parent, two roots) is written to the failed file as it was read,
// so fixing the file and re-running gives it fresh IDs. A trace that was sent but not
// confirmed is written in final form: new IDs and shifted times, marked with
// "tracebridge_replay":{"final":true}. A re-run keeps final runs exactly as they are, so
// whatever part of them already landed is recognized as a duplicate (409, which the exporter
// counts as delivered) instead of being uploaded twice.
package replay // import "github.com/tracebridge/tracebridge/internal/replay"
