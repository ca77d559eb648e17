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
}

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
	case conventions.LangSmithTraceID:
		si.traceRun, si.hasTraceRun = parseUUID(v)
	case conventions.LangSmithParentID:
		si.parentRun, si.hasParentRun = parseUUID(v)
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
