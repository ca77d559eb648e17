// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/translator/langfuse"
)

// Reasons a request is rejected, the `reason` attribute of receiver_langfuse_requests_rejected.
const (
	reasonAuth         = "auth"
	reasonValidation   = "validation"
	reasonTooLarge     = "too_large"
	reasonMediaType    = "media_type"
	reasonNotFound     = "not_found"
	reasonMethod       = "method_not_allowed"
	reasonBadRequest   = "bad_request"
	reasonBackpressure = "backpressure"
	reasonPermanent    = "permanent"
)

// reasonAttrs are built once: the counter is on the hot path of every rejection.
var reasonAttrs = func() map[string]metric.AddOption {
	m := map[string]metric.AddOption{}
	for _, r := range []string{
		reasonAuth, reasonValidation, reasonTooLarge, reasonMediaType, reasonNotFound,
		reasonMethod, reasonBadRequest, reasonBackpressure, reasonPermanent,
	} {
		m[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	return m
}()

// errorEnvelope is the original API's error body (Cobo's WrappedValidationError): the same
// shape for every refusal, so a client has one thing to parse.
type errorEnvelope struct {
	Success bool      `json:"success"`
	Error   errorBody `json:"error"`
}

type errorBody struct {
	Detail []langfuse.Detail `json:"detail"`
}

// reject answers a refused request with status and the envelope, and counts it.
func (r *langfuseReceiver) reject(ctx context.Context, w http.ResponseWriter, status int, reason string, details ...langfuse.Detail) {
	r.telemetry.ReceiverLangfuseRequestsRejected.Add(ctx, 1, reasonAttrs[reason])
	if ce := r.settings.Logger.Check(zap.DebugLevel, "Rejected a request"); ce != nil {
		ce.Write(zap.Int("status", status), zap.String("reason", reason), zap.Any("detail", details))
	}
	writeEnvelope(w, status, details)
}

func writeEnvelope(w http.ResponseWriter, status int, details []langfuse.Detail) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(errorEnvelope{Error: errorBody{Detail: details}}); err != nil {
		// Details hold only JSON-decoded data and strings, so this cannot happen; answer
		// with the status anyway rather than a half-written body.
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func detail(loc []any, typ, msg string, input any) langfuse.Detail {
	return langfuse.Detail{Loc: loc, Type: typ, Msg: msg, Input: input}
}

// handleServerError turns the errors confighttp answers on its own (an auth extension
// refusing a request, an unsupported Content-Encoding) into the same envelope.
func (r *langfuseReceiver) handleServerError(w http.ResponseWriter, req *http.Request, msg string, status int) {
	switch status {
	case http.StatusUnauthorized:
		r.reject(req.Context(), w, status, reasonAuth, detail([]any{"header", "authorization"}, "unauthorized", msg, nil))
	default:
		r.reject(req.Context(), w, status, reasonBadRequest, detail([]any{"header", "content-encoding"}, "bad_request", msg, nil))
	}
}
