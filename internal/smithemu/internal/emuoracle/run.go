package emuoracle

import (
	"time"
)

// Run is the merged view of one run: its post overlaid with its patches in
// arrival order.
type Run struct {
	ID          string `json:"id"`
	TraceID     string `json:"trace_id"`
	ParentRunID string `json:"parent_run_id,omitempty"`
	DottedOrder string `json:"dotted_order"`
	Name        string `json:"name"`
	RunType     string `json:"run_type"`
	Project     string `json:"project"`
	Error       string `json:"error,omitempty"`
	// Status is derived, never taken from the payload: "error" when error
	// is set, else "success" when end_time is set, else "pending".
	Status      string                `json:"status"`
	StartTime   time.Time             `json:"start_time,omitzero"`
	EndTime     time.Time             `json:"end_time,omitzero"`
	Inputs      map[string]any        `json:"inputs,omitempty"`
	Outputs     map[string]any        `json:"outputs,omitempty"`
	Extra       map[string]any        `json:"extra,omitempty"`
	Serialized  map[string]any        `json:"serialized,omitempty"`
	Events      []any                 `json:"events,omitempty"`
	Tags        []string              `json:"tags,omitempty"`
	Attachments map[string]Attachment `json:"attachments,omitempty"`
	// Posts and Patches count the operations received for this run; a run
	// known only from patches (its post has not arrived) has Posts == 0.
	Posts   int `json:"posts"`
	Patches int `json:"patches"`
	// Unopenable marks a UUIDv7 id whose millisecond field differs from the run's start_time:
	// LangSmith ingests such a run but cannot open it by id (404 in the UI).
	Unopenable bool `json:"unopenable,omitempty"`
	// RenderIssues lists why LangSmith's UI would not show the run as meant (render.go): an llm
	// run's messages without role/content, usage_metadata on a run that is not an llm run.
	RenderIssues []string `json:"render_issues,omitempty"`
}

// Duration is EndTime-StartTime, or 0 while the run is pending.
func (r Run) Duration() time.Duration {
	if r.StartTime.IsZero() || r.EndTime.IsZero() {
		return 0
	}
	return r.EndTime.Sub(r.StartTime)
}

// Attachment describes a multipart attachment.<run_id>.<name> part.
type Attachment struct {
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// TreeNode is a run with its children, sorted by dotted_order.
type TreeNode struct {
	Run      Run         `json:"run"`
	Children []*TreeNode `json:"children,omitempty"`
}

// Project is a tracing project (session).
type Project struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RequestRecord is one entry of the request log.
type RequestRecord struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
	// Headers holds the request headers that matter for ingestion
	// (Content-Type, Content-Encoding, Content-Length, Transfer-Encoding,
	// User-Agent, X-Api-Key, X-Tenant-Id, X-Pre-Compressed-Size), keyed by
	// lower-case name.
	Headers     map[string]string `json:"headers"`
	BodyBytes   int               `json:"body_bytes"` // decoded size
	Posts       int               `json:"posts"`
	Patches     int               `json:"patches"`
	Feedback    int               `json:"feedback"`
	Attachments int               `json:"attachments"`
	// Error is the rejection message, Fault names an injected fault or
	// "rate_limited".
	Error string `json:"error,omitempty"`
	Fault string `json:"fault,omitempty"`
}
