// Package smithemu is a strict local emulator of LangSmith's run-ingestion
// API, for testing clients (the tracebridge LangSmith exporter, the official
// SDKs) against what the hosted service accepts and rejects.
//
// # Routes
//
// Each route is also served under /api/v1 (the self-hosted prefix):
//
//	GET   /info              deployment info (batch_ingest_config, instance_flags)
//	POST  /runs/multipart    post|patch.<id>[.inputs|outputs|events|error|extra|serialized],
//	                         feedback.<id>, attachment.<id>.<name> parts
//	POST  /runs/batch        {"post":[run…],"patch":[run…]}
//	POST  /runs              one run; trace_id/dotted_order derived when absent
//	PATCH /runs/{id}         partial update of a known run
//	POST  /runs/query        the v1 run query by id, session or trace (query.go)
//
// Success is 202 {"message":"accepted"}. Bodies may be zstd, gzip or identity
// encoded and chunked. Rejections use the service's status codes and wording:
// 400 {"error":"Bad request: invalid '<field>': <msg> for run_id:… trace_id:…
// dotted_order:… parent_run_id:…"}, 401 {"detail":"Invalid token"},
// 403 {"error":"Forbidden"}, 409 {"error":"Conflict: payload already
// received: payloads already received"}, 413 for bodies (raw or decompressed)
// over size_limit_bytes plus slack. Any invalid op rejects the whole request,
// and a rejected request stores nothing.
//
// Test-only routes: GET /_emu/runs?project=&trace_id=, GET
// /_emu/trees?project=&trace_id=, GET /_emu/requests, GET /_emu/projects,
// POST /_emu/reset, POST|GET|DELETE /_emu/faults (a Fault object or array;
// latency as "250ms" or milliseconds), POST /_emu/ratelimit
// {"per_minute":N,"burst":N,"retry_after":seconds}.
//
// # Go API
//
//	func New(cfg Config) *Server                      // http.Handler
//	func DefaultConfig() Config
//	func (s *Server) Runs(project string) []Run        // merged runs by dotted_order; "" = all projects
//	func (s *Server) Trace(project, traceID string) []*TreeNode
//	func (s *Server) Trees(project string) []*TreeNode // every trace, by root start
//	func (s *Server) Projects() []Project
//	func (s *Server) CreateProject(name string) string // returns the id, for session_id
//	func (s *Server) Feedback() []map[string]any
//	func (s *Server) Requests() []RequestRecord
//	func (s *Server) InjectFaults(f ...Fault)
//	func (s *Server) PendingFaults() []Fault
//	func (s *Server) SetRateLimit(perMinute, burst int, retryAfter time.Duration)
//	func (s *Server) Reset()
//
// A run's merged view is its post overlaid with its patches in arrival
// order: non-null fields replace, extra.metadata merges key by key. A patch
// may arrive before its post. Status is derived: "error" when error is set,
// else "success" when end_time is set, else "pending".
//
// Typical use in a test:
//
//	emu := smithemu.New(smithemu.DefaultConfig())
//	srv := httptest.NewServer(emu)
//	defer srv.Close()
//	// … point the exporter at srv.URL, export …
//	roots := emu.Trace("my-project", traceID)
//
// # Validation
//
// Mirrors the service (LangSmith's OpenAPI spec, its SDKs and the answers of the real service): ids,
// trace_id, parent_run_id and session_id are UUIDs; run_type is one of
// RunTypes; posts need name and run_type; multipart and batch ops need
// trace_id and dotted_order; each dotted_order segment is exactly
// YYYYMMDDTHHMMSSffffffZ<uuid> (6 fractional digits); a root has one segment
// and trace_id == id, a child at least two; the last segment is the run, the
// first the trace, the second-last the parent; no segment is earlier than
// its parent. Times are ISO-8601 (zone-less = UTC) or epoch milliseconds, and
// with Config.CheckTimeWindow start_time must lie within 24 h of Config.Now.
// session_id must name an existing project; session_name creates one; with
// neither a run goes to its API key's bound project or "default". A trace
// holds at most Config.MaxRunsPerTrace (25,000) runs; a run name longer than
// Config.MaxNameLength (128) characters is a 422. With UncompressedOnly the
// server acts like an older self-hosted instance: /info advertises no zstd
// and compressed bodies are refused. Each limit can be switched off. A run
// whose UUIDv7 millisecond field differs from its start_time is stored, as
// LangSmith ingests it, but marked Run.Unopenable: LangSmith cannot open it by
// id. A second post of a run,
// or a patch setting outputs or end_time that are already set, is a 409; a
// post and a patch of one run in the same request merge.
package smithemu
