// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Run types LangSmith accepts.
const (
	RunTypeChain     = "chain"
	RunTypeLLM       = "llm"
	RunTypeTool      = "tool"
	RunTypeRetriever = "retriever"
	RunTypeEmbedding = "embedding"
	RunTypePrompt    = "prompt"
	RunTypeParser    = "parser"
)

// Run is one LangSmith run, ready to upload. The free-form fields are kept as encoded JSON so
// that the encoders copy bytes instead of walking maps.
type Run struct {
	ID          uuid.UUID
	TraceID     uuid.UUID
	ParentRunID uuid.UUID // uuid.Nil for a root run
	DottedOrder string
	Name        string
	RunType     string
	SessionName string
	// SessionID is the project by id (langsmith.trace.session_id); uuid.Nil for none.
	SessionID uuid.UUID
	StartTime time.Time
	EndTime   time.Time       // zero while the run is in progress
	Inputs    json.RawMessage // a JSON object, or nil
	Outputs   json.RawMessage // a JSON object, or nil
	Extra     json.RawMessage // a JSON object ({"metadata":…,"invocation_params":…}), or nil
	Events    json.RawMessage // a JSON array, or nil
	Error     string
	Tags      []string
	// ReferenceExampleID links the run to a dataset example (langsmith.reference_example_id);
	// uuid.Nil for none.
	ReferenceExampleID uuid.UUID
	// Attachments travel as attachment.<id>.<name> parts of a multipart request
	// (langsmith.attachments); /runs/batch cannot carry them.
	Attachments []Attachment
	// Patch is true when the run was already posted and this is an update of what changed.
	Patch bool
	// NameCut is true when the span's name was longer than MaxNameLength and Name holds it cut;
	// extra.metadata keeps the whole name under FullNameKey.
	NameCut bool
}
