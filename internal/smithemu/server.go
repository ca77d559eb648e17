package smithemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Server emulates LangSmith's run-ingestion API. It implements http.Handler.
type Server struct {
	cfg    Config
	logger *zap.Logger

	mu    sync.Mutex // guards store
	store *store

	ctlMu    sync.Mutex // guards faults, limiter, requests
	faults   []Fault
	limiter  *rateLimiter
	requests []RequestRecord
}

var _ http.Handler = (*Server)(nil)

// New returns an emulator with the given configuration.
func New(cfg Config) *Server {
	cfg.applyDefaults()
	return &Server{cfg: cfg, logger: cfg.Logger, store: newStore()}
}

// recordedHeaders are the request headers kept in the request log.
var recordedHeaders = []string{
	"Content-Type", "Content-Encoding", "Content-Length", "Transfer-Encoding",
	"User-Agent", "X-Api-Key", "X-Tenant-Id", "X-Pre-Compressed-Size",
}

// classify maps a path to a route name ("" when unknown), the run id of
// PATCH /runs/{id}, and the one method the route allows.
func classify(path string) (route, runID string, allowed string) {
	switch {
	case path == "/info":
		return RouteInfo, "", http.MethodGet
	case path == "/runs/multipart":
		return RouteMultipart, "", http.MethodPost
	case path == "/runs/batch":
		return RouteBatch, "", http.MethodPost
	case path == "/runs":
		return RouteRuns, "", http.MethodPost
	case path == "/runs/query":
		return RouteQuery, "", http.MethodPost
	case strings.HasPrefix(path, "/runs/") && len(path) > len("/runs/") && !strings.Contains(path[len("/runs/"):], "/"):
		return RouteRuns, path[len("/runs/"):], http.MethodPatch
	}
	return "", "", ""
}

// ServeHTTP serves the ingest routes, each also under /api/v1, and the
// /_emu/ control routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, "/api/v1/") {
		path = path[len("/api/v1"):]
	}
	if strings.HasPrefix(path, "/_emu/") {
		s.serveControl(w, r, path)
		return
	}

	rec := &RequestRecord{Time: s.cfg.Now(), Method: r.Method, Path: r.URL.Path, Headers: map[string]string{}}
	for _, h := range recordedHeaders {
		if v := r.Header.Get(h); v != "" {
			rec.Headers[strings.ToLower(h)] = v
		}
	}
	if len(r.TransferEncoding) > 0 {
		rec.Headers["transfer-encoding"] = strings.Join(r.TransferEncoding, ",")
	}
	defer s.record(rec)

	route, runID, allowed := classify(path)
	if route == "" {
		s.writeError(w, rec, errNotFound("Not Found"))
		return
	}
	if r.Method != allowed {
		w.Header().Set("Allow", allowed)
		s.writeError(w, rec, &apiError{status: http.StatusMethodNotAllowed, key: "detail", msg: "Method Not Allowed"})
		return
	}

	// Faults and the rate limit act before authentication and parsing, as
	// the load balancer in front of the service does.
	if f := s.takeFault(route, r.Header.Get("X-Api-Key")); f != nil && s.applyFault(w, r, f, rec) {
		return
	}
	if route == RouteInfo {
		s.writeJSON(w, rec, http.StatusOK, s.info())
		return
	}
	if route == RouteMultipart && s.cfg.DisableMultipart {
		drain(r.Body)
		s.writeError(w, rec, errNotFound("Not Found"))
		return
	}

	apiKey := r.Header.Get("X-Api-Key")
	if ok, retryAfter := s.allowRate(apiKey); !ok {
		rec.Fault = "rate_limited"
		drain(r.Body)
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
		}
		s.writeError(w, rec, statusError(http.StatusTooManyRequests))
		return
	}
	// With no keys configured any key is accepted, but like LangSmith the emulator never takes
	// a request without one.
	if _, ok := s.cfg.APIKeys[apiKey]; apiKey == "" || (len(s.cfg.APIKeys) > 0 && !ok) {
		{
			drain(r.Body)
			s.writeError(w, rec, errUnauthorized())
			return
		}
	}

	buf := getBodyBuffers()
	defer putBodyBuffers(buf)
	body, aerr := s.readBody(r, buf)
	if aerr != nil {
		s.writeError(w, rec, aerr)
		return
	}
	rec.BodyBytes = len(body)
	workspace := workspaceOf(apiKey, r.Header.Get("X-Tenant-Id"))
	if route == RouteQuery {
		s.serveQuery(w, rec, apiKey, r.Header.Get("X-Tenant-Id"), r.Header.Get("Content-Type"), body)
		return
	}

	var in *ingestRequest
	switch {
	case route == RouteMultipart:
		in, aerr = parseMultipart(r.Header.Get("Content-Type"), body)
	case route == RouteBatch:
		in, aerr = parseBatch(body)
	case r.Method == http.MethodPatch:
		in, aerr = parseSingleRun(opPatch, runID, body)
	default:
		in, aerr = parseSingleRun(opPost, "", body)
	}
	if aerr != nil {
		s.writeError(w, rec, aerr)
		return
	}
	in.workspace = workspace
	rec.Posts, rec.Patches = in.counts()
	rec.Feedback, rec.Attachments = len(in.feedback), len(in.attachments)

	done, aerr := s.ingest(apiKey, in)
	if aerr != nil {
		s.writeError(w, rec, aerr)
		return
	}
	if s.cfg.OnAccepted != nil {
		s.cfg.OnAccepted(in.postIDs())
	}
	for _, c := range done {
		s.cfg.OnTraceComplete(c.project, c.root)
	}
	s.writeJSON(w, rec, http.StatusAccepted, map[string]string{"message": "accepted"})
}

// info is the /info document (shape of the service's InfoGetResponse).
func (s *Server) info() map[string]any {
	return map[string]any{
		"version":                 "0.10.0-smithemu",
		"license_expiration_time": nil,
		"git_sha":                 nil,
		"batch_ingest_config": map[string]any{
			"use_multipart_endpoint":    !s.cfg.AdvertiseNoMultipart,
			"scale_up_qsize_trigger":    1000,
			"scale_up_nthreads_limit":   16,
			"scale_down_nempty_trigger": 4,
			"size_limit":                s.cfg.SizeLimit,
			"size_limit_bytes":          s.cfg.SizeLimitBytes,
		},
		"instance_flags": map[string]any{
			"zstd_compression_enabled": !s.cfg.DisableZstd && !s.cfg.UncompressedOnly,
			"gzip_body_enabled":        s.cfg.GzipBodyEnabled && !s.cfg.UncompressedOnly,
		},
		"customer_info": nil,
	}
}

func (s *Server) writeError(w http.ResponseWriter, rec *RequestRecord, e *apiError) {
	rec.Error = e.msg
	s.logger.Info("request rejected", zap.String("method", rec.Method), zap.String("path", rec.Path),
		zap.Int("status", e.status), zap.String("error", e.msg))
	s.writeJSON(w, rec, e.status, e.body())
}

func (s *Server) writeJSON(w http.ResponseWriter, rec *RequestRecord, status int, v any) {
	if rec != nil {
		rec.Status = status
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep "parent_run_id:<nil>" readable
	_ = enc.Encode(v)
}

func (s *Server) record(rec *RequestRecord) {
	s.logger.Debug("request", zap.String("method", rec.Method), zap.String("path", rec.Path),
		zap.Int("status", rec.Status), zap.Int("posts", rec.Posts), zap.Int("patches", rec.Patches),
		zap.String("fault", rec.Fault))
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.requests = append(s.requests, *rec)
}
