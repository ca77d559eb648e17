// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracebridge/tracebridge/internal/tenantauth"
	"github.com/tracebridge/tracebridge/receiver/langfusereceiver/internal/metadata"
	"github.com/tracebridge/tracebridge/translator/langfuse"
)

// The original API's paths (Cobo Agentic Wallet's Telemetry API).
const (
	pathRaw       = "/api/v1/telemetry/raw"
	pathTelemetry = "/api/v1/telemetry"
	pathSession   = "/api/v1/telemetry/session"
	pathConfig    = "/api/v1/telemetry/config"
)

// allowedMethods answers 405s with an Allow header.
var allowedMethods = map[string]string{
	pathRaw:       http.MethodPost,
	pathTelemetry: http.MethodPost,
	pathSession:   http.MethodPost,
	pathConfig:    http.MethodGet + ", " + http.MethodHead,
}

// Formats recorded by obsreport for the three body shapes.
const (
	formatRecordsJSON   = "langfuse_json"
	formatRecordsNDJSON = "langfuse_ndjson"
	formatSession       = "langfuse_session"
)

// tenantHandler serves a request whose X-API-Key is known (or that an auth extension let in).
// ctx is the request's context with the caller's identity on it; the handler uses it instead
// of req.Context(), so that putting the identity there costs no copy of the request.
type tenantHandler func(ctx context.Context, w http.ResponseWriter, req *http.Request)

func (r *langfuseReceiver) routes() http.Handler {
	records := r.authenticated(r.handleRecords)
	session := r.authenticated(r.handleSession)
	mux := http.NewServeMux()
	mux.Handle("POST "+pathRaw, records)
	mux.Handle("POST "+pathTelemetry, records)
	mux.Handle("POST "+pathSession, session)
	mux.Handle("GET "+pathConfig, r.authenticated(r.handleConfig))
	// The catch-all sees every request no route above takes, so 404 and 405 come in the
	// API's envelope rather than as the mux's plain text.
	mux.HandleFunc("/", r.handleUnrouted)
	return &router{
		posts: map[string]postRoute{
			pathRaw:       {pattern: "POST " + pathRaw, handler: records},
			pathTelemetry: {pattern: "POST " + pathTelemetry, handler: records},
			pathSession:   {pattern: "POST " + pathSession, handler: session},
		},
		mux: mux,
	}
}

// router takes a POST to exactly one of the ingestion paths straight to its handler, as the
// mux would, and hands every other request to the mux. Matching patterns (cleaning the path,
// walking the routing tree) took ~2.7 µs of a one-record request under load.
type router struct {
	posts map[string]postRoute
	mux   *http.ServeMux
}

type postRoute struct {
	pattern string
	handler http.Handler
}

func (rt *router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// A path with escapes (RawPath set) is left to the mux, which matches the escaped form.
	if req.Method == http.MethodPost && req.URL.RawPath == "" {
		if route, ok := rt.posts[req.URL.Path]; ok {
			req.Pattern = route.pattern // what the mux sets
			route.handler.ServeHTTP(w, req)
			return
		}
	}
	rt.mux.ServeHTTP(w, req)
}

func (r *langfuseReceiver) handleUnrouted(w http.ResponseWriter, req *http.Request) {
	if allow, ok := allowedMethods[req.URL.Path]; ok {
		w.Header().Set("Allow", allow)
		r.reject(req.Context(), w, http.StatusMethodNotAllowed, reasonMethod,
			detail([]any{"method"}, "method_not_allowed", "Method Not Allowed: use "+allow, req.Method))
		return
	}
	r.reject(req.Context(), w, http.StatusNotFound, reasonNotFound,
		detail([]any{"path"}, "not_found", "Not Found", req.URL.Path))
}

// authenticated checks X-API-Key when keys are configured and puts the key's identity on the
// request's context as client.Info.Auth, replacing whatever was there: the langsmith exporter
// takes the tenant from there, never from the data. The handler gets that context as its own
// argument: req.WithContext copied the whole request (~250 bytes) on every call. Routing comes
// first, so an unknown path is a 404 whether or not the caller has a key, as in the original.
func (r *langfuseReceiver) authenticated(next tenantHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.keys.enabled() {
			// The `auth` extension has checked the caller and set client.Info.Auth itself.
			next(req.Context(), w, req)
			return
		}
		key := req.Header.Get("X-API-Key")
		if key == "" {
			r.reject(req.Context(), w, http.StatusUnauthorized, reasonAuth,
				detail([]any{"header", "x-api-key"}, "missing", "X-API-Key header is required", nil))
			return
		}
		identity, ok := r.keys.lookup(key)
		if !ok {
			// The key itself is never echoed back or logged.
			r.reject(req.Context(), w, http.StatusUnauthorized, reasonAuth,
				detail([]any{"header", "x-api-key"}, "invalid_api_key", "Invalid API key", nil))
			return
		}
		next(tenantauth.NewContext(req.Context(), identity), w, req)
	})
}

func (r *langfuseReceiver) handleRecords(ctx context.Context, w http.ResponseWriter, req *http.Request) {
	format, obsFormat, ok := recordsFormat(req.Header.Get("Content-Type"))
	if !ok {
		r.rejectMediaType(ctx, w, req, "application/json or application/x-ndjson")
		return
	}
	body, pooled, ok := r.readBody(ctx, w, req)
	if !ok {
		return
	}
	defer putBodyBuffer(pooled) // nothing decoded refers to body: the decoders copy what they keep
	records, err := langfuse.DecodeRecords(body, format, r.cfg.MaxRecordsPerRequest, r.decodeOpts...)
	if err != nil {
		r.rejectInvalid(ctx, w, err)
		return
	}
	if len(records) == 0 {
		w.WriteHeader(http.StatusNoContent) // an empty array: nothing to send on
		return
	}
	r.consume(ctx, w, obsFormat, langfuse.RecordsToTraces(records, r.options()))
}

func (r *langfuseReceiver) handleSession(ctx context.Context, w http.ResponseWriter, req *http.Request) {
	if format, _, ok := recordsFormat(req.Header.Get("Content-Type")); !ok || format != langfuse.FormatJSON {
		r.rejectMediaType(ctx, w, req, "application/json")
		return
	}
	body, pooled, ok := r.readBody(ctx, w, req)
	if !ok {
		return
	}
	defer putBodyBuffer(pooled)
	session, err := langfuse.DecodeSession(body, r.cfg.MaxRecordsPerRequest, r.decodeOpts...)
	if err != nil {
		r.rejectInvalid(ctx, w, err)
		return
	}
	r.consume(ctx, w, formatSession, langfuse.SessionToTraces(session, r.options()))
}

// configResponse carries the flag at the top level, as the issue states it, and inside
// Cobo's standard envelope, whose `result` the generated clients require.
const configResponse = `{"success":true,"result":{"enabled":true,"upload_url":""},"enabled":true,"upload_url":""}` + "\n"

func (*langfuseReceiver) handleConfig(_ context.Context, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(configResponse)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(configResponse))
}

// options leave TenantProject empty: the tenant travels on the context, and the exporter
// ignores (and removes) any project stamp found in the data. ReceivedAt is left to the
// translator, which reads the clock once, and only for a body that leaves a start time out.
func (*langfuseReceiver) options() langfuse.Options {
	return langfuse.Options{ScopeName: metadata.ScopeName}
}

// recordsFormat picks the decoder from Content-Type. A missing Content-Type is read as JSON,
// as FastAPI does; `application/*+json` is JSON too.
func recordsFormat(contentType string) (format langfuse.Format, obsFormat string, ok bool) {
	if contentType == "" || contentType == "application/json" { // the usual case, without parsing
		return langfuse.FormatJSON, formatRecordsJSON, true
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, "", false
	}
	switch {
	case mediaType == "application/json",
		strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json"):
		return langfuse.FormatJSON, formatRecordsJSON, true
	case mediaType == "application/x-ndjson":
		return langfuse.FormatNDJSON, formatRecordsNDJSON, true
	default:
		return 0, "", false
	}
}

func (r *langfuseReceiver) rejectMediaType(ctx context.Context, w http.ResponseWriter, req *http.Request, want string) {
	ct := req.Header.Get("Content-Type")
	r.reject(ctx, w, http.StatusUnsupportedMediaType, reasonMediaType,
		detail([]any{"header", "content-type"}, "unsupported_media_type", "Content-Type must be "+want, ct))
}

// readBody reads the whole body; confighttp has already bounded it (before and after
// decompression) to max_request_body_size. A body announced small is read into a pooled
// buffer, returned as pooled: the caller hands it back with putBodyBuffer once nothing refers
// to body any more (one record per request is the raw endpoint's usual pattern, and a fresh
// buffer for each was a tenth of what a request allocated).
func (r *langfuseReceiver) readBody(ctx context.Context, w http.ResponseWriter, req *http.Request) (body []byte, pooled *[]byte, ok bool) {
	announced := req.ContentLength
	if announced > r.cfg.ServerConfig.MaxRequestBodySize {
		announced = -1 // it will be refused while reading; do not size anything after it
	}
	var start []byte
	if announced >= 0 && announced < pooledBodySize {
		pooled = bodyBuffers.Get().(*[]byte)
		start = (*pooled)[:0]
	}
	body, err := readAll(req.Body, announced, start)
	if err != nil {
		putBodyBuffer(pooled)
		if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
			d := detail([]any{"body"}, "too_large",
				fmt.Sprintf("Request body is larger than the limit of %d bytes", tooBig.Limit), nil)
			d.Ctx = map[string]any{"max_bytes": tooBig.Limit}
			r.reject(ctx, w, http.StatusRequestEntityTooLarge, reasonTooLarge, d)
			return nil, nil, false
		}
		// A body that breaks off or fails to decompress.
		r.reject(ctx, w, http.StatusBadRequest, reasonBadRequest,
			detail([]any{"body"}, "body_read_error", "Failed to read the request body: "+err.Error(), nil))
		return nil, nil, false
	}
	return body, pooled, true
}

// pooledBodySize is the capacity of the pooled body buffers: bodies announced below it (a
// single record is about 1 KiB) are read into one. Larger bodies carry many records, so their
// own buffer is a small part of what they cost.
const pooledBodySize = 16 << 10

var bodyBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, pooledBodySize)
	return &b
}}

// putBodyBuffer hands a buffer from readBody back to the pool; nil is a no-op.
func putBodyBuffer(b *[]byte) {
	if b != nil {
		bodyBuffers.Put(b)
	}
}

// initialBodyBuffer is the most readAll allocates before any data has arrived.
const initialBodyBuffer = 1 << 20

// readAll reads r to the end. Its buffer follows what the client has sent, not what it
// announced: it starts at min(announced, 1 MiB) and doubles as it fills, up to the announced
// length (announced < 0: unknown), so a Content-Length of 20 MiB with no body behind it costs
// 1 MiB, and an honest 20 MiB body ends in a buffer of its own size. start, when its capacity
// holds the announced length and the byte that shows the end, is the first buffer instead; a
// body longer than announced (a decompressed one) grows out of it into buffers of its own.
func readAll(r io.Reader, announced int64, start []byte) ([]byte, error) {
	size := initialBodyBuffer
	if announced >= 0 && announced < initialBodyBuffer {
		size = int(announced)
	}
	buf := start[:0]
	if cap(buf) < size+1 {
		buf = make([]byte, 0, size+1) // +1: the end of the body is seen without growing
	}
	for {
		if len(buf) == cap(buf) {
			grow := cap(buf)
			if rest := announced - int64(len(buf)); rest > 0 && rest < int64(grow) {
				grow = int(rest) + 1
			}
			grown := make([]byte, len(buf), len(buf)+grow) // exactly: append's growth overshoots
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (r *langfuseReceiver) rejectInvalid(ctx context.Context, w http.ResponseWriter, err error) {
	verr, ok := errors.AsType[*langfuse.ValidationError](err)
	if !ok { // the decoders return nothing else; keep the envelope if that ever changes
		r.reject(ctx, w, http.StatusBadRequest, reasonBadRequest, detail([]any{"body"}, "bad_request", err.Error(), nil))
		return
	}
	reason := reasonValidation
	if verr.Status == http.StatusRequestEntityTooLarge {
		reason = reasonTooLarge
	}
	r.reject(ctx, w, verr.Status, reason, verr.Details...)
}

// consume hands the spans to the pipeline and answers with what happened to them: 204 only
// when the pipeline took them. A refusal the client can retry is a 503 (429 when the pipeline
// said "too many requests") with Retry-After; a permanent one is a 400, since resending the
// same data cannot succeed.
func (r *langfuseReceiver) consume(ctx context.Context, w http.ResponseWriter, obsFormat string, td ptrace.Traces) {
	if r.handlersStopped() {
		// Shutdown's grace period is over: the pipeline may already be stopping.
		r.retryLater(ctx, w, http.StatusServiceUnavailable, "The receiver is shutting down", nil)
		return
	}
	spans := td.SpanCount() // before ConsumeTraces: td is not ours afterwards
	opCtx := r.obsrecv.StartTracesOp(ctx)
	err := r.next.ConsumeTraces(opCtx, td)
	r.obsrecv.EndTracesOp(opCtx, obsFormat, spans, err)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case consumererror.IsPermanent(err):
		r.reject(ctx, w, http.StatusBadRequest, reasonPermanent,
			detail([]any{"body"}, "rejected", "The pipeline rejected the data permanently: "+err.Error(), nil))
	default:
		status := http.StatusServiceUnavailable
		if consumererror.ToHTTPStatus(err) == http.StatusTooManyRequests {
			status = http.StatusTooManyRequests
		}
		r.retryLater(ctx, w, status, "The pipeline refused the data", err)
	}
}

// retryLater answers status with Retry-After and a message saying what happened, how long to
// wait and, when there is one, the error.
func (r *langfuseReceiver) retryLater(ctx context.Context, w http.ResponseWriter, status int, what string, err error) {
	seconds := retryAfterSeconds(r.cfg.RetryAfter)
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	msg := fmt.Sprintf("%s, retry after %d s", what, seconds)
	if err != nil {
		msg += ": " + err.Error()
	}
	d := detail([]any{}, "unavailable", msg, nil)
	d.Ctx = map[string]any{"retry_after": seconds}
	r.reject(ctx, w, status, reasonBackpressure, d)
}

// retryAfterSeconds rounds up: Retry-After counts whole seconds, and 0 would invite an
// immediate retry into the same pressure.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
