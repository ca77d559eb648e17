// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/translator/conventions"
)

// Options tune SpanToRun.
type Options struct {
	// IDMode derives a run's id when the span carries no langsmith.span.id.
	IDMode IDMode
	// DefaultProject is the LangSmith project (session_name) of spans that name none.
	DefaultProject string
	// ProjectResourceAttribute optionally names a resource attribute holding the project, such
	// as "service.namespace".
	ProjectResourceAttribute string
	// ReservedProjects are projects the data may not name: those pinned to tenants that share
	// this workspace. A span naming one lands in DefaultProject instead.
	ReservedProjects []string
}

// IsProjectIDAttribute reports whether SpanToRun reads the span attribute key as the id of the
// run's project (its session_id). The langsmith exporter drops these from callers that may not
// choose a project by id.
func IsProjectIDAttribute(key string) bool {
	return key == conventions.LangSmithSessionID || key == attrAIMetaProjectID
}

// SpanToRun maps one span to a run. It never fails on odd attribute values (they become
// metadata); it fails only when identity can't be formed: a malformed or inconsistent
// langsmith.* identity attribute, or a child span without a stamped dotted_order (ErrUnresolved).
//
// Identity comes from the langsmith.span.id, langsmith.trace.id, langsmith.span.parent_id and
// langsmith.span.dotted_order attributes the exporter's assembler stamps (or a user set). A
// stamped dotted_order is authoritative: it gives the trace and parent ids when those are absent,
// must agree with them when present, and its last segment's time is the run's start_time. Only
// a root may lack one; its id then derives from opts.IDMode and its dotted_order from its start.
//
// Attributes the mapping places in the run are consumed, and so are the other conventions'
// copies of the inputs and outputs it chose; every other attribute, span and resource alike,
// goes into extra.metadata under its own name.
func SpanToRun(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span, opts Options) (Run, error) {
	return spanToRun(res, scope, span, opts, nil)
}

// spanToRun translates with the JSON fields in a's blocks, or in a buffer of their own when a
// is nil.
func spanToRun(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span, opts Options, a *Arena) (Run, error) {
	var t *translation
	if a != nil {
		t = &a.t
		t.reuse()
		t.resMembers, t.parts = &a.res, &a.parts
	} else {
		t = new(translation)
	}
	t.res, t.scope, t.span, t.attrs, t.opts = res, scope, span, span.Attributes(), opts
	t.idx.build(t.attrs)
	if err := t.resolveIdentity(); err != nil {
		return Run{}, fmt.Errorf("span %s: %w", span.SpanID(), err)
	}
	t.run.EndTime = t.endTime()
	// The assembler's patch stamp: the run was posted before, so this version goes as a patch.
	t.run.Patch = t.patch()
	t.run.RunType = t.runType()
	t.run.Name = t.name()
	if cut, ok := CutName(t.run.Name); ok {
		// LangSmith refuses the whole request over one long name: cut it, keep it whole in
		// metadata.
		t.fullName, t.run.Name, t.run.NameCut = t.run.Name, cut, true
	}
	t.run.Tags = t.tags()
	t.run.SessionName = t.project()
	t.run.ReferenceExampleID = t.referenceExample()
	t.run.Error = t.errorText()
	t.run.Attachments = t.attachments()

	// Inputs, outputs, events and extra share one buffer, sized from the attributes up front, so
	// a run costs one large allocation rather than one per field.
	if a != nil {
		t.buf = a.buffer(t.sizeHint())
	} else {
		t.buf = make([]byte, 0, t.sizeHint())
	}
	var offs [5]int
	offs[0] = len(t.buf)
	t.appendInputs()
	offs[1] = len(t.buf)
	t.appendOutputs()
	offs[2] = len(t.buf)
	t.appendEvents()
	offs[3] = len(t.buf)
	t.appendExtra()
	offs[4] = len(t.buf)
	if a != nil {
		t.buf = a.keep(t.buf)
	}
	field := func(i int) json.RawMessage {
		if offs[i] == offs[i+1] {
			return nil
		}
		return json.RawMessage(t.buf[offs[i]:offs[i+1]:offs[i+1]])
	}
	t.run.Inputs, t.run.Outputs, t.run.Events, t.run.Extra = field(0), field(1), field(2), field(3)
	return t.run, nil
}

// translation is the working state of one SpanToRun call.
type translation struct {
	res   pcommon.Resource
	scope pcommon.InstrumentationScope
	span  ptrace.Span
	attrs pcommon.Map
	opts  Options
	idx   attrIndex
	run   Run
	buf   []byte
	// fullName is the name before CutName, when it had to be cut.
	fullName string
	tree     flatTree // reused by every flattened structure of the span
	// messagesOnly: the outputs are the {"messages":[…]} the chat rewrite wrote, so they hold no
	// usage_metadata of their own and appendUsage need not look.
	messagesOnly bool
	// resMembers caches the resource's metadata members across the runs of an Arena (nil:
	// written each time).
	resMembers *resourceMembers
	// parts is the Arena's room for a message's parts (nil: on the stack each time).
	parts *partRoom
	// meta and params are the member sets of extra.metadata and extra.invocation_params,
	// reset (not cleared) by each use.
	meta, params memberSet
}

// reuse readies an Arena's translation for its next span as a new one would start, but for what
// is read only where this span's index pass wrote it (idx.vals and idx.params, behind idx.pos
// and idx.nParams) and the flattening tree's room (reset before every use): zeroing the whole
// 3 kB translation cost ~3 % of an LLM-heavy run's instructions.
func (t *translation) reuse() {
	t.idx.reuse()
	t.run = Run{}
	t.buf, t.fullName, t.messagesOnly = nil, "", false
}

// appendSemconvMessages appends arr's messages to t.buf in the Arena's room for their parts
// when there is one.
func (t *translation) appendSemconvMessages(arr []byte) ([]byte, bool) {
	if t.parts != nil {
		return appendSemconvMessagesIn(t.buf, arr, t.parts)
	}
	return appendSemconvMessages(t.buf, arr)
}

// patch reads and consumes the tracebridge.patch stamp (never metadata).
func (t *translation) patch() bool {
	v, ok := t.idx.get(slotPatch)
	if !ok {
		return false
	}
	t.idx.consume(slotPatch)
	p, ok := boolValue(v)
	return ok && p
}

// endTime is the span's end, or zero for an observation still in progress. A child whose start
// the assembler clamped forward may end before its new start; the end is clamped with it, since
// a run cannot end before it starts.
func (t *translation) endTime() time.Time {
	if v, ok := t.idx.get(slotObservationOpen); ok {
		if open, ok := boolValue(v); ok {
			t.idx.consume(slotObservationOpen)
			if open {
				return time.Time{}
			}
		}
	}
	end := t.span.EndTimestamp()
	if end == 0 {
		return time.Time{}
	}
	e := end.AsTime().Truncate(time.Microsecond).UTC()
	if e.Before(t.run.StartTime) {
		return t.run.StartTime
	}
	return e
}

// name is the run name: langsmith.trace.name, the ls_run_name metadata the LangSmith JS SDK's
// exporter reads (Vercel's ai.telemetry.metadata.ls_run_name, or langsmith.metadata.ls_run_name),
// a Vercel tool call's ai.toolCall.name, traceloop.entity.name, an OpenInference TOOL span's
// tool.name (as LangSmith's OTLP ingestion names it), else the span name.
func (t *translation) name() string {
	for _, s := range [...]slot{slotLSTraceName, slotAIMetaRunName, slotLSMetaRunName} {
		if v, ok := t.idx.str(s); ok {
			t.idx.consume(s)
			return v
		}
	}
	if t.run.RunType == RunTypeTool {
		if v, ok := t.idx.str(slotAIToolCallName); ok {
			t.idx.consume(slotAIToolCallName)
			return v
		}
	}
	if v, ok := t.idx.str(slotTraceloopEntityName); ok {
		t.idx.consume(slotTraceloopEntityName)
		return v
	}
	if t.run.RunType == RunTypeTool && kindOf(&t.idx, slotOpenInferenceKind, openInferenceRunType) == RunTypeTool {
		if v, ok := t.idx.str(slotOIToolName); ok {
			t.idx.consume(slotOIToolName)
			return v
		}
	}
	if n := t.span.Name(); n != "" {
		return n
	}
	return unnamedRunName
}

// project is the run's session_name (and sets its session_id when the span names the project by
// id). The tenant stamp wins over everything: a tenant's key must never write into another
// project, whatever its spans claim.
func (t *translation) project() string {
	resAttrs := t.res.Attributes()
	if v, ok := resAttrs.Get(conventions.TenantProject); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
		return v.Str()
	}
	// langsmith.trace.session_id names a project by its id (LangSmith rejects an unknown one); a
	// name given beside it still goes, the default project does not.
	for _, s := range [...]slot{slotLSSessionID, slotAIMetaProjectID} {
		if v, ok := t.idx.str(s); ok {
			if id, err := uuid.Parse(strings.TrimSpace(v)); err == nil && id != uuid.Nil {
				t.run.SessionID = id
				t.idx.consume(s)
				break
			}
		}
	}
	for _, s := range [...]slot{slotLSSessionName, slotAIMetaProjectName} {
		if v, ok := t.idx.str(s); ok {
			t.idx.consume(s)
			return t.unreserved(v)
		}
	}
	if t.run.SessionID != uuid.Nil {
		return ""
	}
	if v, ok := resAttrs.Get(conventions.LangSmithSessionName); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
		return t.unreserved(v.Str())
	}
	if k := t.opts.ProjectResourceAttribute; k != "" {
		if v, ok := resAttrs.Get(k); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
			return t.unreserved(v.Str())
		}
	}
	return t.opts.DefaultProject
}

// unreserved is the project the data named, unless a tenant of this workspace has it pinned:
// a caller of no tenant must not write into a tenant's project.
func (t *translation) unreserved(project string) string {
	if slices.Contains(t.opts.ReservedProjects, project) {
		return t.opts.DefaultProject
	}
	return project
}

// resourceConsumed reports resource attributes that are routing stamps, not metadata. The
// attribute named by ProjectResourceAttribute is ordinary resource information and stays.
func resourceConsumed(key string) bool {
	return key == conventions.TenantProject || key == conventions.LangSmithSessionName
}

// sizeHint estimates the JSON the span's payload fields will take, so the shared buffer rarely
// grows. The span's attributes were sized by the index pass, and an Arena's resource by its
// cache of the resource's members, so neither is walked again here.
func (t *translation) sizeHint() int {
	n := 256 + len(t.fullName) + t.idx.hint
	if c := t.resMembers; c != nil {
		if !c.valid || c.res != t.res {
			c.build(t.res)
		}
		n += c.hint
	} else {
		n += mapHint(t.res.Attributes())
	}
	for _, e := range t.span.Events().All() {
		n += len(e.Name()) + 48 + mapHint(e.Attributes())
	}
	return n
}

// mapHint is the sum of attrHint over m.
func mapHint(m pcommon.Map) int {
	n := 0
	for k, v := range m.All() {
		n += attrHint(k, v)
	}
	return n
}

// attrHint is what sizeHint counts for one attribute.
func attrHint(k string, v pcommon.Value) int {
	n := len(k) + 8
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		n += len(s) + len(s)/16
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice, pcommon.ValueTypeBytes:
		n += 64
	default:
		n += 12
	}
	return n
}

// referenceExample reads langsmith.reference_example_id; a value that is not a UUID stays in
// metadata instead.
func (t *translation) referenceExample() uuid.UUID {
	v, ok := t.idx.str(slotLSReferenceExample)
	if !ok {
		return uuid.Nil
	}
	id, err := uuid.Parse(strings.TrimSpace(v))
	if err != nil {
		return uuid.Nil
	}
	t.idx.consume(slotLSReferenceExample)
	return id
}
