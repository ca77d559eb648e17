package smithemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Runs returns the merged runs of a project ("" = all projects), sorted by
// dotted_order.
func (s *Server) Runs(project string) []Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.runsWhere(func(rs *runState) bool { return project == "" || rs.project == project })
}

// Trace returns the runs of one trace nested as trees: normally one root,
// more if some run's parent never arrived. project "" matches any project.
func (s *Server) Trace(project, traceID string) []*TreeNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return buildForest(s.store.runsWhere(func(rs *runState) bool {
		return rs.traceID == traceID && (project == "" || rs.project == project)
	}))
}

// Trees returns every trace of a project ("" = all) as trees, ordered by the
// root's dotted_order (that is, by start time).
func (s *Server) Trees(project string) []*TreeNode {
	return buildForest(s.Runs(project))
}

// Projects returns the known projects sorted by name.
func (s *Server) Projects() []Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Project, 0, len(s.store.projects))
	for _, p := range s.store.projects {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Project) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// CreateProject creates a project (if needed) and returns its id, for tests
// that send session_id.
func (s *Server) CreateProject(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.ensureProject(name).ID
}

// Feedback returns the feedback objects received in multipart bodies.
func (s *Server) Feedback() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, len(s.store.feedback))
	for i, f := range s.store.feedback {
		out[i] = copyJSON(f).(map[string]any)
	}
	return out
}

// Requests returns the request log (control routes excluded), oldest first.
func (s *Server) Requests() []RequestRecord {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	return slices.Clone(s.requests)
}

// Reset forgets all runs, projects, requests, pending faults and the rate
// limit.
func (s *Server) Reset() {
	s.mu.Lock()
	s.store = newStore()
	s.mu.Unlock()
	s.ctlMu.Lock()
	s.faults, s.limiter, s.requests = nil, nil, nil
	s.ctlMu.Unlock()
}

// serveControl serves the test-only /_emu/ routes.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	q := r.URL.Query()
	switch {
	case path == "/_emu/runs" && r.Method == http.MethodGet:
		runs := s.Runs(q.Get("project"))
		if tid := q.Get("trace_id"); tid != "" {
			runs = slices.DeleteFunc(runs, func(r Run) bool { return r.TraceID != tid })
		}
		writeJSONList(w, runs)
	case path == "/_emu/trees" && r.Method == http.MethodGet:
		if tid := q.Get("trace_id"); tid != "" {
			writeJSONList(w, s.Trace(q.Get("project"), tid))
			return
		}
		writeJSONList(w, s.Trees(q.Get("project")))
	case path == "/_emu/requests" && r.Method == http.MethodGet:
		s.writeJSON(w, nil, http.StatusOK, nonNil(s.Requests()))
	case path == "/_emu/projects" && r.Method == http.MethodGet:
		s.writeJSON(w, nil, http.StatusOK, s.Projects())
	case path == "/_emu/reset" && r.Method == http.MethodPost:
		s.Reset()
		s.writeJSON(w, nil, http.StatusOK, map[string]string{"message": "reset"})
	case path == "/_emu/faults" && r.Method == http.MethodGet:
		s.writeJSON(w, nil, http.StatusOK, nonNil(s.PendingFaults()))
	case path == "/_emu/faults" && r.Method == http.MethodDelete:
		s.ctlMu.Lock()
		s.faults = nil
		s.ctlMu.Unlock()
		s.writeJSON(w, nil, http.StatusOK, map[string]string{"message": "cleared"})
	case path == "/_emu/faults" && r.Method == http.MethodPost:
		faults, err := decodeFaults(r.Body)
		if err != nil {
			s.writeJSON(w, nil, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.InjectFaults(faults...)
		s.writeJSON(w, nil, http.StatusOK, map[string]any{"queued": len(faults)})
	case path == "/_emu/ratelimit" && r.Method == http.MethodPost:
		var rl struct {
			PerMinute  int     `json:"per_minute"`
			Burst      int     `json:"burst"`
			RetryAfter float64 `json:"retry_after"` // seconds
		}
		if err := json.NewDecoder(r.Body).Decode(&rl); err != nil {
			s.writeJSON(w, nil, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("invalid rate limit: %v", err)})
			return
		}
		s.SetRateLimit(rl.PerMinute, rl.Burst, time.Duration(rl.RetryAfter*float64(time.Second)))
		s.writeJSON(w, nil, http.StatusOK, map[string]string{"message": "ok"})
	default:
		s.writeJSON(w, nil, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	}
}

// decodeFaults reads one fault object or an array of them.
func decodeFaults(r io.Reader) ([]Fault, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read faults: %w", err)
	}
	var faults []Fault
	if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "[") {
		err = json.Unmarshal(raw, &faults)
	} else {
		var f Fault
		err = json.Unmarshal(raw, &f)
		faults = []Fault{f}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid faults: %w", err)
	}
	for i := range faults {
		if err := faults[i].validate(); err != nil {
			return nil, err
		}
	}
	return faults, nil
}

// writeJSONList answers 200 with list as writeJSON would write it (nil as []), but an element at
// a time: encoding/json builds the whole answer in memory first, and GET /_emu/runs after a load
// of 100k runs is some 170 MB, grown by doubling. An encoded list is '[', its elements encoded
// and joined by ',', then ']', so the bytes are the same.
func writeJSONList[T any](w http.ResponseWriter, list []T) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as writeJSON
	buf.WriteByte('[')
	for i := range list {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(&list[i]); err != nil {
			return // not reached: what the store holds always encodes (writeJSON drops it too)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if buf.Len() >= 64<<10 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
			buf.Reset()
		}
	}
	buf.WriteString("]\n")
	_, _ = w.Write(buf.Bytes())
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
