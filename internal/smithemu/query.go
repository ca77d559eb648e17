package smithemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// POST /runs/query (and /api/v1/runs/query): the v1 run query the SDKs' list_runs / listRuns
// send (langsmith-sdk python/langsmith/client.py list_runs, js/src/client.ts _listRuns; the Go
// SDK's RunService.QueryV1 posts to api/v1/runs/query). The body is a RunQueryParams object;
// the answer {"runs": [...], "cursors": {"next": …, "prev": …}}, paged by passing cursors.next
// back as "cursor".
//
// What the emulator serves and how strictly:
//   - the caller's key is required (401) and counts against the key's rate limit, like every
//     POST /runs* route;
//   - a run is visible only to the workspace that wrote it: the key it was written with and the
//     X-Tenant-Id it was written under (an org-scoped key picks its workspace by that header),
//     and to a key bound to a project only inside that project; a post is what makes a run
//     visible (a run known only from patches is not returned);
//   - the filters it implements are id, session (project ids), trace and start_time (runs that
//     started at or after it); one of id, session or trace is required (400), the filter
//     language (filter, query, trace_filter, tree_filter, search_filter) and the other filters
//     are refused (400: not emulated) rather than ignored, so a client never gets an unfiltered
//     answer it did not ask for;
//   - id holds at most queryMaxIDs UUIDs and limit is 1..queryMaxLimit (422 otherwise, in the
//     FastAPI shape); a field that is not a RunQueryParams field is a 422 too.
const (
	queryMaxIDs   = 100
	queryMaxLimit = 100
)

// querySelectable are the v1 select values the emulator can answer (RunQueryV1ParamsSelect).
var querySelectable = []string{
	"id", "name", "run_type", "start_time", "end_time", "status", "error", "inputs", "outputs",
	"extra", "events", "tags", "trace_id", "dotted_order", "parent_run_id", "session_id",
}

// queryParams is RunQueryParams as the emulator reads it. The fields it does not emulate are
// kept raw, so that a non-null value can be refused.
type queryParams struct {
	ID        *[]string `json:"id"`
	Session   *[]string `json:"session"`
	Trace     *string   `json:"trace"`
	StartTime *string   `json:"start_time"`
	Select    *[]string `json:"select"`
	Limit     *int      `json:"limit"`
	Cursor    *string   `json:"cursor"`
	Order     *string   `json:"order"`

	Filter                json.RawMessage `json:"filter"`
	Query                 json.RawMessage `json:"query"`
	TraceFilter           json.RawMessage `json:"trace_filter"`
	TreeFilter            json.RawMessage `json:"tree_filter"`
	SearchFilter          json.RawMessage `json:"search_filter"`
	IsRoot                json.RawMessage `json:"is_root"`
	ParentRun             json.RawMessage `json:"parent_run"`
	RunType               json.RawMessage `json:"run_type"`
	Error                 json.RawMessage `json:"error"`
	ReferenceExample      json.RawMessage `json:"reference_example"`
	ExecutionOrder        json.RawMessage `json:"execution_order"`
	EndTime               json.RawMessage `json:"end_time"`
	DataSourceType        json.RawMessage `json:"data_source_type"`
	SkipPagination        json.RawMessage `json:"skip_pagination"`
	SkipPrevCursor        json.RawMessage `json:"skip_prev_cursor"`
	UseExperimentalSearch json.RawMessage `json:"use_experimental_search"`
}

// validationError is a FastAPI request-validation answer: 422 {"detail": [{loc, msg, type}]}.
type validationError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

func (s *Server) writeValidation(w http.ResponseWriter, rec *RequestRecord, field, msg, typ string) {
	loc := []any{"body"}
	if field != "" {
		loc = append(loc, field)
	}
	rec.Error = msg
	s.writeJSON(w, rec, http.StatusUnprocessableEntity, map[string]any{"detail": []validationError{{Loc: loc, Msg: msg, Type: typ}}})
}

// workspaceOf names the workspace a request acts in: its key and the workspace it selects.
func workspaceOf(apiKey, tenantID string) string { return apiKey + "\x00" + tenantID }

// serveQuery answers POST /runs/query for the caller's workspace.
func (s *Server) serveQuery(w http.ResponseWriter, rec *RequestRecord, apiKey, tenantID, contentType string, body []byte) {
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		// FastAPI reads a JSON body only from a JSON request.
		s.writeValidation(w, rec, "", "Input should be a valid dictionary or object to extract fields from", "model_attributes_type")
		return
	}
	var q queryParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		s.writeValidation(w, rec, "", fmt.Sprintf("Input should be a valid RunQueryParams object: %v", err), "model_attributes_type")
		return
	}
	if dec.More() {
		s.writeValidation(w, rec, "", "JSON decode error: extra data after the object", "json_invalid")
		return
	}
	for name, raw := range map[string]json.RawMessage{
		"filter": q.Filter, "query": q.Query, "trace_filter": q.TraceFilter, "tree_filter": q.TreeFilter,
		"search_filter": q.SearchFilter, "is_root": q.IsRoot, "parent_run": q.ParentRun, "run_type": q.RunType,
		"error": q.Error, "reference_example": q.ReferenceExample, "execution_order": q.ExecutionOrder,
		"end_time": q.EndTime, "data_source_type": q.DataSourceType,
	} {
		if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
			s.writeError(w, rec, badRequestf("run query field %q is not emulated by smithemu", name))
			return
		}
	}
	ids, ok := s.queryIDs(w, rec, "id", q.ID, queryMaxIDs)
	if !ok {
		return
	}
	sessions, ok := s.queryIDs(w, rec, "session", q.Session, -1)
	if !ok {
		return
	}
	var trace string
	if q.Trace != nil {
		if trace, ok = canonicalUUID(*q.Trace); !ok {
			s.writeValidation(w, rec, "trace", "Input should be a valid UUID", "uuid_parsing")
			return
		}
	}
	if ids == nil && sessions == nil && trace == "" {
		s.writeError(w, rec, badRequestf("a run query needs at least one of id, session or trace"))
		return
	}
	var since time.Time
	if q.StartTime != nil {
		t, err := time.Parse(time.RFC3339Nano, *q.StartTime)
		if err != nil {
			s.writeValidation(w, rec, "start_time", "Input should be a valid datetime", "datetime_parsing")
			return
		}
		since = t
	}
	limit := queryMaxLimit
	if q.Limit != nil {
		if *q.Limit < 1 || *q.Limit > queryMaxLimit {
			s.writeValidation(w, rec, "limit", fmt.Sprintf("Input should be between 1 and %d", queryMaxLimit), "less_than_equal")
			return
		}
		limit = *q.Limit
	}
	offset := 0
	if q.Cursor != nil {
		n, err := strconv.Atoi(*q.Cursor)
		if err != nil || n < 0 {
			s.writeError(w, rec, badRequestf("invalid cursor"))
			return
		}
		offset = n
	}
	desc := true
	if q.Order != nil {
		switch *q.Order {
		case "desc":
		case "asc":
			desc = false
		default:
			s.writeValidation(w, rec, "order", "Input should be 'asc' or 'desc'", "enum")
			return
		}
	}
	selects := []string{"id"}
	if q.Select != nil {
		for _, f := range *q.Select {
			if !slices.Contains(querySelectable, f) {
				s.writeValidation(w, rec, "select", fmt.Sprintf("Input should be one of the run columns the emulator serves (%q is not)", f), "enum")
				return
			}
		}
		selects = append(selects, *q.Select...)
	}

	runs := s.queryRuns(workspaceOf(apiKey, tenantID), s.cfg.APIKeys[apiKey], ids, sessions, trace, since)
	slices.SortStableFunc(runs, func(a, b Run) int {
		c := a.StartTime.Compare(b.StartTime)
		if desc {
			c = -c
		}
		return c
	})
	var next any
	if offset >= len(runs) {
		runs = nil
	} else {
		runs = runs[offset:]
		if len(runs) > limit {
			runs = runs[:limit]
			next = strconv.Itoa(offset + limit)
		}
	}
	projectIDs := map[string]string{}
	for _, p := range s.Projects() {
		projectIDs[p.Name] = p.ID
	}
	out := make([]map[string]any, 0, len(runs))
	for i := range runs {
		out = append(out, selectRun(&runs[i], selects, projectIDs))
	}
	s.writeJSON(w, rec, http.StatusOK, map[string]any{
		"runs":         out,
		"cursors":      map[string]any{"next": next, "prev": nil},
		"parsed_query": nil,
	})
}

// queryIDs checks a list of UUIDs in a query body; nil when absent or null. max < 0: no cap.
func (s *Server) queryIDs(w http.ResponseWriter, rec *RequestRecord, field string, list *[]string, maxLen int) (map[string]bool, bool) {
	if list == nil {
		return nil, true
	}
	if maxLen >= 0 && len(*list) > maxLen {
		s.writeValidation(w, rec, field, fmt.Sprintf("List should have at most %d items after validation, not %d", maxLen, len(*list)), "too_long")
		return nil, false
	}
	set := make(map[string]bool, len(*list))
	for _, v := range *list {
		id, ok := canonicalUUID(v)
		if !ok {
			s.writeValidation(w, rec, field, fmt.Sprintf("Input should be a valid UUID, not %q", v), "uuid_parsing")
			return nil, false
		}
		set[id] = true
	}
	return set, true
}

// queryRuns returns the runs the workspace can see that match every filter given.
func (s *Server) queryRuns(workspace, boundProject string, ids, sessions map[string]bool, trace string, since time.Time) []Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.runsWhere(func(rs *runState) bool {
		switch {
		case !rs.posted() || rs.workspace != workspace:
			return false
		case boundProject != "" && rs.project != boundProject:
			return false
		case ids != nil && !ids[rs.id]:
			return false
		case trace != "" && rs.traceID != trace:
			return false
		case sessions != nil:
			p := s.store.projects[rs.project]
			if p == nil || !sessions[p.ID] {
				return false
			}
		}
		if !since.IsZero() {
			t, err := parseRunTime(rs.merged.fields()["start_time"])
			if err != nil || t.Before(since) {
				return false
			}
		}
		return true
	})
}

// selectRun is the answer's object for one run: the selected columns.
func selectRun(r *Run, selects []string, projectIDs map[string]string) map[string]any {
	m := make(map[string]any, len(selects))
	for _, f := range selects {
		switch f {
		case "id":
			m[f] = r.ID
		case "name":
			m[f] = r.Name
		case "run_type":
			m[f] = r.RunType
		case "start_time":
			m[f] = nilIfZero(r.StartTime)
		case "end_time":
			m[f] = nilIfZero(r.EndTime)
		case "status":
			m[f] = r.Status
		case "error":
			m[f] = nilIfEmpty(r.Error)
		case "inputs":
			m[f] = r.Inputs
		case "outputs":
			m[f] = r.Outputs
		case "extra":
			m[f] = r.Extra
		case "events":
			m[f] = r.Events
		case "tags":
			m[f] = r.Tags
		case "trace_id":
			m[f] = r.TraceID
		case "dotted_order":
			m[f] = r.DottedOrder
		case "parent_run_id":
			m[f] = nilIfEmpty(r.ParentRunID)
		case "session_id":
			m[f] = nilIfEmpty(projectIDs[r.Project])
		}
	}
	return m
}

func nilIfZero(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000")
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
