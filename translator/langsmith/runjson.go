// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"github.com/google/uuid"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

// The run's own fields, as the SDKs send them in the main post.<id> / patch.<id> part and inline
// in /runs/batch. status is never sent: LangSmith derives it from error and end_time.

const uuidQuotedLen = 36 + 2

// appendRunFields writes the run's own fields as object members, without braces. A post always
// carries name, run_type and start_time; a patch carries its identity (which multipart requires
// on patches too) plus only the fields it sets.
func appendRunFields(dst []byte, run *Run) []byte {
	dst = append(dst, `"id":`...)
	dst = appendQuotedUUID(dst, run.ID)
	dst = append(dst, `,"trace_id":`...)
	dst = appendQuotedUUID(dst, run.TraceID)
	if run.ParentRunID != uuid.Nil {
		dst = append(dst, `,"parent_run_id":`...)
		dst = appendQuotedUUID(dst, run.ParentRunID)
	}
	dst = append(dst, `,"dotted_order":`...)
	dst = jsontext.AppendString(dst, run.DottedOrder)
	if !run.Patch || run.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = jsontext.AppendString(dst, run.Name)
	}
	if !run.Patch || run.RunType != "" {
		dst = append(dst, `,"run_type":`...)
		dst = jsontext.AppendString(dst, run.RunType)
	}
	if !run.Patch || !run.StartTime.IsZero() {
		dst = append(dst, `,"start_time":`...)
		dst = appendRunTime(dst, run.StartTime)
	}
	if !run.EndTime.IsZero() {
		dst = append(dst, `,"end_time":`...)
		dst = appendRunTime(dst, run.EndTime)
	}
	if run.SessionName != "" {
		dst = append(dst, `,"session_name":`...)
		dst = jsontext.AppendString(dst, run.SessionName)
	}
	if run.SessionID != uuid.Nil {
		dst = append(dst, `,"session_id":`...)
		dst = appendQuotedUUID(dst, run.SessionID)
	}
	if len(run.Tags) > 0 {
		dst = append(dst, `,"tags":[`...)
		for i, tag := range run.Tags {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsontext.AppendString(dst, tag)
		}
		dst = append(dst, ']')
	}
	if run.ReferenceExampleID != uuid.Nil {
		dst = append(dst, `,"reference_example_id":`...)
		dst = appendQuotedUUID(dst, run.ReferenceExampleID)
	}
	return dst
}

// runFieldsLen is len(appendRunFields(nil, run)), computed without encoding.
func runFieldsLen(run *Run) int {
	n := len(`"id":`) + uuidQuotedLen + len(`,"trace_id":`) + uuidQuotedLen
	if run.ParentRunID != uuid.Nil {
		n += len(`,"parent_run_id":`) + uuidQuotedLen
	}
	n += len(`,"dotted_order":`) + jsontext.StringLen(run.DottedOrder)
	if !run.Patch || run.Name != "" {
		n += len(`,"name":`) + jsontext.StringLen(run.Name)
	}
	if !run.Patch || run.RunType != "" {
		n += len(`,"run_type":`) + jsontext.StringLen(run.RunType)
	}
	if !run.Patch || !run.StartTime.IsZero() {
		n += len(`,"start_time":`) + runTimeQuotedLen(run.StartTime)
	}
	if !run.EndTime.IsZero() {
		n += len(`,"end_time":`) + runTimeQuotedLen(run.EndTime)
	}
	if run.SessionName != "" {
		n += len(`,"session_name":`) + jsontext.StringLen(run.SessionName)
	}
	if run.SessionID != uuid.Nil {
		n += len(`,"session_id":`) + uuidQuotedLen
	}
	if len(run.Tags) > 0 {
		n += len(`,"tags":[]`) + len(run.Tags) - 1
		for _, tag := range run.Tags {
			n += jsontext.StringLen(tag)
		}
	}
	if run.ReferenceExampleID != uuid.Nil {
		n += len(`,"reference_example_id":`) + uuidQuotedLen
	}
	return n
}

// runPart is one of the payload fields that travel as their own multipart part.
type runPart struct {
	name string
	data []byte // nil for error, which is encoded from the string
}

// payloadParts lists the run's payload fields in the order the SDKs send them; callers skip the
// empty ones.
func payloadParts(run *Run) [5]runPart {
	return [5]runPart{
		{"inputs", run.Inputs},
		{"outputs", run.Outputs},
		{"extra", run.Extra},
		{"events", run.Events},
		{"error", nil},
	}
}
