// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package assembly // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/assembly"

import (
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// spanInfo is what the assembler reads from a span's attributes, in one pass over them.
type spanInfo struct {
	open     bool // tracebridge.observation.open
	isRoot   bool // langsmith.is_root
	langfuse bool // carries langfuse.trace.name: a Langfuse-style record

	runID, traceRun, parentRun          uuid.UUID
	hasRunID, hasTraceRun, hasParentRun bool
	dotted                              string
	// ids: which of the identity attributes stamp overwrites the span carries, valid or not.
	ids idAttrs
}

// idAttrs is a set of the identity attributes stamp overwrites: langsmith.span.id,
// langsmith.trace.id, langsmith.span.parent_id. A span straight from the input carries those its
// scan saw, so stamp looks up only those; a kept or synthesized body may have taken more from a
// later version (mergeSpan), so it is stamped with allIDAttrs.
type idAttrs uint8

const (
	spanIDAttr idAttrs = 1 << iota
	traceIDAttr
	parentIDAttr

	allIDAttrs = spanIDAttr | traceIDAttr | parentIDAttr
)

// read takes one attribute of the span (scanSpan's pass over them calls it for each).
func (si *spanInfo) read(k string, v pcommon.Value) {
	switch k {
	case conventions.ObservationOpen:
		si.open = isTrue(v)
	case conventions.LangfuseTraceName:
		si.langfuse = true
	case conventions.LangSmithIsRoot:
		si.isRoot = isTrue(v)
	case conventions.LangSmithSpanID:
		si.runID, si.hasRunID = parseUUID(v)
		si.ids |= spanIDAttr
	case conventions.LangSmithTraceID:
		si.traceRun, si.hasTraceRun = parseUUID(v)
		si.ids |= traceIDAttr
	case conventions.LangSmithParentID:
		si.parentRun, si.hasParentRun = parseUUID(v)
		si.ids |= parentIDAttr
	case conventions.LangSmithDottedOrder:
		si.dotted = v.Str()
	}
}

func isTrue(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeStr:
		return strings.EqualFold(v.Str(), "true")
	default:
		return false
	}
}

func parseUUID(v pcommon.Value) (uuid.UUID, bool) {
	if v.Type() != pcommon.ValueTypeStr {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(v.Str())
	return id, err == nil && id != uuid.Nil
}
