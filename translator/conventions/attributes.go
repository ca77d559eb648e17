// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package conventions // import "github.com/tracebridge/tracebridge/translator/conventions"

// Langfuse attribute names, as Langfuse's OTLP ingestion reads them
// (its OpenTelemetry docs' property mapping, https://langfuse.com/docs/opentelemetry).
const (
	LangfuseTraceName                 = "langfuse.trace.name"
	LangfuseTraceInput                = "langfuse.trace.input"
	LangfuseTraceOutput               = "langfuse.trace.output"
	LangfuseTraceTags                 = "langfuse.trace.tags"
	LangfuseTraceMetadataPrefix       = "langfuse.trace.metadata."
	LangfuseUserID                    = "langfuse.user.id"
	LangfuseSessionID                 = "langfuse.session.id"
	LangfuseObservationType           = "langfuse.observation.type"
	LangfuseObservationInput          = "langfuse.observation.input"
	LangfuseObservationOutput         = "langfuse.observation.output"
	LangfuseObservationLevel          = "langfuse.observation.level"
	LangfuseObservationStatusMessage  = "langfuse.observation.status_message"
	LangfuseObservationMetadataPrefix = "langfuse.observation.metadata."
	UserID                            = "user.id"
	SessionID                         = "session.id"
)

// LangSmith attribute names, as its OTLP ingestion reads them
// (https://docs.langchain.com/langsmith/trace-with-opentelemetry). The identity ones override what
// the exporter derives; the exporter's assembler also writes them, so that a span leaving
// assembly describes its run completely and can sit in a persistent queue on its own.
const (
	LangSmithSpanID           = "langsmith.span.id"
	LangSmithTraceID          = "langsmith.trace.id"
	LangSmithParentID         = "langsmith.span.parent_id"
	LangSmithDottedOrder      = "langsmith.span.dotted_order"
	LangSmithIsRoot           = "langsmith.is_root"
	LangSmithSpanKind         = "langsmith.span.kind"
	LangSmithTraceName        = "langsmith.trace.name"
	LangSmithSessionName      = "langsmith.trace.session_name"
	LangSmithSessionID        = "langsmith.trace.session_id"
	LangSmithSpanTags         = "langsmith.span.tags"
	LangSmithMetadataPrefix   = "langsmith.metadata."
	LangSmithUsageMetadata    = "langsmith.usage_metadata"
	LangSmithReferenceExample = "langsmith.reference_example_id"
)

// tracebridge's own stamps.
const (
	// TenantProject is set on the resource by the langfuse receiver when the request's API key
	// names a project. The exporter gives it precedence over every span or resource attribute,
	// so one tenant's key can never write into another tenant's project.
	TenantProject = "tracebridge.tenant.project"
	// ObservationOpen marks a span whose record had no end time yet: the observation is still
	// running, and its end time is not a real end.
	ObservationOpen = "tracebridge.observation.open"
	// Orphan marks a run whose parent never arrived and which was uploaded under the trace root
	// or as its own root; the value is the OTel parent span ID in hex.
	Orphan = "tracebridge.orphan.parent_span_id"
	// SyntheticRoot marks the run tracebridge made to hold a trace's several parentless spans.
	SyntheticRoot = "tracebridge.synthetic_root"
	// Patch marks a span the assembler re-releases after its run was already posted: the
	// exporter sends it as a patch of what may have changed, never as a second post.
	Patch = "tracebridge.patch"
)

// More Langfuse attribute names the LangSmith translator reads (its OpenTelemetry
// docs, and @langfuse/core's LangfuseOtelSpanAttributes).
const (
	LangfuseTraceMetadata                  = "langfuse.trace.metadata"
	LangfuseObservationMetadata            = "langfuse.observation.metadata"
	LangfuseObservationModelName           = "langfuse.observation.model.name"
	LangfuseObservationModelParameters     = "langfuse.observation.model.parameters"
	LangfuseObservationUsageDetails        = "langfuse.observation.usage_details"
	LangfuseObservationCompletionStartTime = "langfuse.observation.completion_start_time"
)

// OpenInference names the LangSmith translator reads for a run's payloads (JSON text copied into
// the run as it is), and the replay writes.
const (
	OpenInferenceInputValue       = "input.value"
	OpenInferenceOutputValue      = "output.value"
	OpenInferenceInvocationParams = "llm.invocation_parameters"
)
