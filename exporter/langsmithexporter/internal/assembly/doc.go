// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package assembly turns spans arriving in any order into whole LangSmith run trees: it parks a
// span until its ancestor chain is known, then stamps it with its run identity
// (langsmith.span.dotted_order) and hands it to the upload queue. The stamp is its only contract
// with the uploader; the exporter sees New, Start, ConsumeTraces and Shutdown.
package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"
