package emuoracle

import (
	"fmt"
	"net/http"
)

// apiError is a rejection: the HTTP status and the JSON body LangSmith answers
// with. Bodies keep the service's two shapes: {"error": ...} from the current
// ingest backend and {"detail": ...} from its auth layer.
type apiError struct {
	status int
	key    string // "error" or "detail"
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

func (e *apiError) body() map[string]string { return map[string]string{e.key: e.msg} }

func badRequestf(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, key: "error", msg: "Bad request: " + fmt.Sprintf(format, args...)}
}

// runFieldError formats a per-run validation failure the way the ingest
// backend does, naming the run's identifiers so a batch can be debugged:
// Bad request: invalid 'dotted_order': <msg> for run_id:… trace_id:… dotted_order:… parent_run_id:…
func runFieldError(field string, o *op, format string, args ...any) *apiError {
	parent := o.str("parent_run_id")
	if parent == "" {
		parent = "<nil>"
	}
	return badRequestf("invalid '%s': %s for run_id:%s trace_id:%s dotted_order:%s parent_run_id:%s",
		field, fmt.Sprintf(format, args...), o.id, o.str("trace_id"), o.str("dotted_order"), parent)
}

// errNameTooLong is the schema check's answer to a run name over the limit: a 422 in the
// FastAPI shape, worded as the service words it (langchain-ai/langchain#17950):
// {"detail":"['post', 'items', 'properties', 'name', 'maxLength']: \"…\" is longer than 128 characters"}
func errNameTooLong(o *op, name string, limit int) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, key: "detail",
		msg: fmt.Sprintf("['%s', 'items', 'properties', 'name', 'maxLength']: %q is longer than %d characters", o.kind, name, limit)}
}

func errConflict() *apiError {
	return &apiError{status: http.StatusConflict, key: "error", msg: "Conflict: payload already received: payloads already received"}
}

func errForbidden() *apiError {
	return &apiError{status: http.StatusForbidden, key: "error", msg: "Forbidden"}
}

func errUnauthorized() *apiError {
	return &apiError{status: http.StatusUnauthorized, key: "detail", msg: "Invalid token"}
}

func errTooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, key: "error",
		msg: fmt.Sprintf("Request Entity Too Large: body exceeds %d bytes", limit)}
}

func errNotFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, key: "detail", msg: msg}
}

// statusError is the body of an injected fault or rate-limit answer.
func statusError(status int) *apiError {
	switch status {
	case http.StatusConflict:
		return errConflict()
	case http.StatusUnauthorized:
		return errUnauthorized()
	case http.StatusForbidden:
		return errForbidden()
	}
	text := http.StatusText(status)
	if text == "" {
		text = fmt.Sprintf("status %d", status)
	}
	if status == http.StatusBadRequest {
		text = "Bad request: injected fault"
	}
	return &apiError{status: status, key: "error", msg: text}
}
