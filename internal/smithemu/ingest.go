package smithemu

import (
	"fmt"
	"time"
)

// completedTrace is a trace to report to OnTraceComplete.
type completedTrace struct {
	project string
	root    *TreeNode
}

// ingest checks the whole request and, only if every op passes, commits it.
// Checking and committing happen under one lock so that a rejected request
// leaves no trace and concurrent requests cannot interleave with it.
func (s *Server) ingest(apiKey string, in *ingestRequest) ([]completedTrace, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()

	for _, o := range in.ops {
		if !o.selfDescribing {
			if aerr := s.fillDerived(o); aerr != nil {
				return nil, aerr
			}
		}
		if aerr := s.validateOp(o); aerr != nil {
			return nil, aerr
		}
		if !o.has("trace_id") {
			if segs, err := parseDottedOrder(o.str("dotted_order")); err == nil {
				o.set("trace_id", segs[0].id)
			}
		}
	}
	if aerr := s.assignProjects(apiKey, in); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkConflicts(in); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkTraceCap(in); aerr != nil {
		return nil, aerr
	}
	return s.commit(in), nil
}

// assignProjects resolves each op's project and enforces key bindings.
func (s *Server) assignProjects(apiKey string, in *ingestRequest) *apiError {
	bound := s.cfg.APIKeys[apiKey]
	runProject := make(map[string]string, len(in.ops)) // run id -> project decided earlier in this request
	for _, o := range in.ops {
		name, aerr := s.resolveProject(o, bound, runProject)
		if aerr != nil {
			return aerr
		}
		if bound != "" && name != bound {
			return errForbidden()
		}
		o.project = name
		if o.kind == opPost || runProject[o.id] == "" {
			runProject[o.id] = name
		}
	}
	return nil
}

// checkConflicts applies the idempotency guard: a second create, or a patch
// setting outputs/end_time that an earlier request (or an earlier patch of
// this one) already set, is a conflict. A post and a patch of one run in the
// same request merge.
func (s *Server) checkConflicts(in *ingestRequest) *apiError {
	// finished: an earlier request ended the run. LangSmith treats a finished run as
	// immutable: any later update is a 409 (langsmith-sdk#2111, #2078), not only one that
	// re-sets outputs or end_time.
	type staged struct{ posted, outputs, endTime, finished bool }
	stages := make(map[string]*staged, len(in.ops))
	for _, o := range in.ops {
		sg := stages[o.id]
		if sg == nil {
			sg = &staged{}
			if rs := s.store.runs[o.id]; rs != nil {
				sg.posted = rs.posted()
				sg.outputs = rs.hasOutputs
				sg.endTime = rs.hasEndTime
				sg.finished = sg.endTime
			}
			stages[o.id] = sg
		}
		if o.kind == opPost {
			if sg.posted || o.dupMain {
				return errConflict()
			}
			sg.posted = true
			continue
		}
		if sg.finished || (o.has("outputs") && sg.outputs) || (o.has("end_time") && sg.endTime) {
			return errConflict()
		}
		sg.outputs = sg.outputs || o.has("outputs")
		sg.endTime = sg.endTime || o.has("end_time")
	}
	return nil
}

// checkTraceCap enforces the per-trace limit on distinct runs.
func (s *Server) checkTraceCap(in *ingestRequest) *apiError {
	if s.cfg.MaxRunsPerTrace < 0 {
		return nil
	}
	added := map[string]map[string]bool{}
	for _, o := range in.ops {
		tid := o.str("trace_id")
		existing := 0
		if t := s.store.traces[tid]; t != nil {
			if t.runs[o.id] != nil {
				continue
			}
			existing = len(t.runs)
		}
		if added[tid] == nil {
			added[tid] = map[string]bool{}
		}
		added[tid][o.id] = true
		if existing+len(added[tid]) > s.cfg.MaxRunsPerTrace {
			return runFieldError("trace_id", o, "trace %s has reached the limit of %d runs", tid, s.cfg.MaxRunsPerTrace)
		}
	}
	return nil
}

// commit stores a checked request and returns the traces it completed.
func (s *Server) commit(in *ingestRequest) []completedTrace {
	st := s.store
	touched := map[string]*traceState{}
	for _, o := range in.ops {
		st.ensureProject(o.project)
		touched[o.str("trace_id")] = st.apply(o)
		if rs := st.runs[o.id]; rs.workspace == "" {
			rs.workspace = in.workspace
		}
	}
	for _, a := range in.attachments {
		if st.attachments[a.runID] == nil {
			st.attachments[a.runID] = map[string]Attachment{}
		}
		st.attachments[a.runID][a.name] = Attachment{ContentType: a.contentType, Size: a.size}
		if rs := st.runs[a.runID]; rs != nil {
			if t := st.traces[rs.traceID]; t != nil {
				t.version++
				touched[rs.traceID] = t
			}
		}
	}
	st.feedback = append(st.feedback, in.feedback...)

	if s.cfg.OnTraceComplete == nil {
		return nil
	}
	var done []completedTrace
	for tid, t := range touched {
		if t.notified == t.version || !t.complete(tid) {
			continue
		}
		t.notified = t.version
		for _, root := range buildForest(st.traceRuns(t)) {
			if root.Run.ID == tid {
				done = append(done, completedTrace{project: root.Run.Project, root: root})
			}
		}
	}
	return done
}

// resolveProject picks the project an op writes to: session_id (must exist),
// else session_name (created on commit), else the run's existing project, else
// the key's bound project, else "default".
func (s *Server) resolveProject(o *op, bound string, inRequest map[string]string) (string, *apiError) {
	if o.has("session_id") {
		p := s.store.projectByID[o.str("session_id")]
		if p == nil {
			return "", runFieldError("session_id", o, "project %s not found", o.str("session_id"))
		}
		return p.Name, nil
	}
	if name := o.str("session_name"); name != "" {
		return name, nil
	}
	if o.kind == opPatch {
		if name := inRequest[o.id]; name != "" {
			return name, nil
		}
		if rs := s.store.runs[o.id]; rs != nil && rs.project != "" {
			return rs.project, nil
		}
	}
	if bound != "" {
		return bound, nil
	}
	return "default", nil
}

// fillDerived completes an op from the REST routes, which may omit trace_id
// and dotted_order: the service derives them (from the parent for POST
// /runs, from the stored run for PATCH /runs/{id}).
func (s *Server) fillDerived(o *op) *apiError {
	if o.kind == opPatch {
		rs := s.store.runs[o.id]
		if rs == nil {
			if o.has("trace_id") && o.has("dotted_order") {
				return nil
			}
			return errNotFound(fmt.Sprintf("Run %s not found", o.id))
		}
		if !o.has("dotted_order") {
			merged := rs.merged.fields()
			for _, k := range []string{"trace_id", "dotted_order", "parent_run_id"} {
				if v := merged[k]; v != nil {
					o.set(k, v)
				}
			}
		}
		return nil
	}
	if o.has("dotted_order") {
		return nil
	}
	start := s.cfg.Now()
	if o.has("start_time") {
		t, err := parseRunTime(o.fields["start_time"])
		if err != nil {
			return runFieldError("start_time", o, "%v", err)
		}
		start = t
	} else {
		o.set("start_time", start.UTC().Format(time.RFC3339Nano))
	}
	seg := dottedSegment(start, o.id)
	if !o.has("parent_run_id") {
		o.set("dotted_order", seg)
		return nil
	}
	pid, _ := o.fields["parent_run_id"].(string)
	pid, ok := canonicalUUID(pid)
	if !ok {
		return runFieldError("parent_run_id", o, "%s is not a valid UUID", jsonValue(o.fields["parent_run_id"]))
	}
	parent := s.store.runs[pid]
	var parentOrder any
	if parent != nil {
		parentOrder = parent.merged.fields()["dotted_order"]
	}
	if parentOrder == nil {
		return runFieldError("parent_run_id", o, "parent run %s not found", pid)
	}
	o.set("dotted_order", parentOrder.(string)+"."+seg)
	if !o.has("trace_id") {
		o.set("trace_id", parent.traceID)
	}
	return nil
}

// dottedSegment formats one dotted_order segment: UTC start time with exactly
// six fractional digits, "Z", run id.
func dottedSegment(t time.Time, id string) string {
	t = t.UTC()
	return t.Format("20060102T150405") + fmt.Sprintf("%06d", t.Nanosecond()/1000) + "Z" + id
}
