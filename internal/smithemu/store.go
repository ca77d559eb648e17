package smithemu

import (
	"cmp"
	"slices"
	"time"

	"github.com/google/uuid"
)

// runState is everything received for one run id.
type runState struct {
	id      string
	traceID string
	project string
	// workspace is the key and X-Tenant-Id of the request that first wrote the run: only it
	// finds the run with POST /runs/query.
	workspace string
	post      storedFields   // absent until the post arrives
	patches   []storedFields // arrival order
	merged    storedFields   // post overlaid with patches
	// What the checks of every request read of the merged view, kept beside its text.
	hasOutputs, hasEndTime bool
}

// posted reports whether the run's post has arrived.
func (rs *runState) posted() bool { return rs.post.present() }

type traceState struct {
	runs map[string]*runState
	// version counts changes; notified is the version last reported to
	// OnTraceComplete, so a complete trace is reported once per change.
	version  uint64
	notified uint64
}

type store struct {
	projects    map[string]*Project // by name
	projectByID map[string]*Project
	runs        map[string]*runState
	traces      map[string]*traceState
	attachments map[string]map[string]Attachment // run id -> name -> attachment
	feedback    []map[string]any
	scratch     []byte // storeFields' buffer (apply runs under the server's lock)
}

func newStore() *store {
	return &store{
		projects:    map[string]*Project{},
		projectByID: map[string]*Project{},
		runs:        map[string]*runState{},
		traces:      map[string]*traceState{},
		attachments: map[string]map[string]Attachment{},
	}
}

// ensureProject returns the project with that name, creating it as the
// service does on the first run naming it.
func (st *store) ensureProject(name string) *Project {
	if p, ok := st.projects[name]; ok {
		return p
	}
	p := &Project{ID: uuid.NewString(), Name: name}
	st.projects[name] = p
	st.projectByID[p.ID] = p
	return p
}

func (st *store) trace(id string) *traceState {
	t := st.traces[id]
	if t == nil {
		t = &traceState{runs: map[string]*runState{}}
		st.traces[id] = t
	}
	return t
}

// apply records one validated op.
func (st *store) apply(o *op) *traceState {
	rs := st.runs[o.id]
	if rs == nil {
		rs = &runState{id: o.id}
		st.runs[o.id] = rs
	}
	stored := storeOp(&st.scratch, o)
	if o.kind == opPost {
		rs.post = stored
		rs.project = o.project
	} else {
		rs.patches = append(rs.patches, stored)
		if rs.project == "" {
			rs.project = o.project
		}
	}
	var merged map[string]any
	if o.kind == opPost && len(rs.patches) == 0 && !hasNull(o.fields) {
		// A post alone with no null field is its own merged view (mergeRun's own shortcut).
		merged, rs.merged = o.fields, stored
	} else {
		patches := make([]map[string]any, len(rs.patches))
		for i, p := range rs.patches {
			patches[i] = p.fields()
		}
		merged = mergeRun(rs.post.fields(), patches)
		rs.merged = storeFields(&st.scratch, merged)
	}
	rs.hasOutputs, rs.hasEndTime = merged["outputs"] != nil, merged["end_time"] != nil

	traceID, _ := merged["trace_id"].(string)
	if rs.traceID != "" && rs.traceID != traceID {
		if old := st.traces[rs.traceID]; old != nil {
			delete(old.runs, rs.id)
			old.version++
		}
	}
	rs.traceID = traceID
	t := st.trace(traceID)
	t.runs[rs.id] = rs
	t.version++
	return t
}

// mergeRun overlays the non-null fields of each patch on the post;
// extra.metadata is merged key by key rather than replaced, as the service
// does so that a patch adding metadata keeps what the post sent.
func mergeRun(post map[string]any, patches []map[string]any) map[string]any {
	// A post alone with no null field is its own merged view: neither map is
	// ever written after commit, so sharing it saves a copy per run.
	if len(patches) == 0 && post != nil && !hasNull(post) {
		return post
	}
	merged := map[string]any{}
	overlay := func(src map[string]any) {
		for k, v := range src {
			if v == nil {
				continue
			}
			if k == "extra" {
				if prev, ok := asObject(merged[k]); ok {
					if next, ok := asObject(v); ok {
						merged[k] = mergeExtra(prev, next)
						continue
					}
				}
			}
			merged[k] = v
		}
	}
	overlay(post)
	for _, p := range patches {
		overlay(p)
	}
	return merged
}

func hasNull(m map[string]any) bool {
	for _, v := range m {
		if v == nil {
			return true
		}
	}
	return false
}

func mergeExtra(prev, next map[string]any) map[string]any {
	out := make(map[string]any, len(prev)+len(next))
	for k, v := range prev {
		out[k] = v
	}
	for k, v := range next {
		if v == nil {
			continue
		}
		if k == "metadata" {
			if pm, ok := out[k].(map[string]any); ok {
				if nm, ok := v.(map[string]any); ok {
					out[k] = deepMerge(pm, nm)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

func deepMerge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if am, ok := out[k].(map[string]any); ok {
			if bm, ok := v.(map[string]any); ok {
				out[k] = deepMerge(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// snapshot renders the merged view as a Run, deep-copied so callers cannot
// reach the store's maps.
func (st *store) snapshot(rs *runState) Run {
	m := rs.merged.fields()
	str := func(k string) string { s, _ := m[k].(string); return s }
	obj := func(k string) map[string]any {
		switch v := m[k].(type) {
		case map[string]any:
			return copyJSON(v).(map[string]any)
		case rawJSON:
			o, _ := v.decode().(map[string]any) // a fresh value: nothing to copy
			return o
		}
		return nil
	}
	r := Run{
		ID:          rs.id,
		TraceID:     rs.traceID,
		ParentRunID: str("parent_run_id"),
		DottedOrder: str("dotted_order"),
		Name:        str("name"),
		RunType:     str("run_type"),
		Project:     rs.project,
		Error:       str("error"),
		Inputs:      obj("inputs"),
		Outputs:     obj("outputs"),
		Extra:       obj("extra"),
		Serialized:  obj("serialized"),
		Posts:       boolInt(rs.posted()),
		Patches:     len(rs.patches),
	}
	if v, ok := m["start_time"]; ok {
		r.StartTime, _ = parseRunTime(v)
	} else if segs, err := parseDottedOrder(r.DottedOrder); err == nil {
		// The service derives a missing start_time from the run's own
		// dotted_order segment.
		r.StartTime = segs[len(segs)-1].t
	}
	if v, ok := m["end_time"]; ok {
		r.EndTime, _ = parseRunTime(v)
	}
	r.Unopenable = !openableByID(rs.id, r.StartTime)
	switch ev := m["events"].(type) {
	case []any:
		r.Events = copyJSON(ev).([]any)
	case rawJSON:
		r.Events, _ = ev.decode().([]any)
	}
	if tags, ok := m["tags"].([]any); ok {
		for _, t := range tags {
			s, _ := t.(string)
			r.Tags = append(r.Tags, s)
		}
	}
	r.RenderIssues = renderIssues(&r)
	if att := st.attachments[rs.id]; len(att) > 0 {
		r.Attachments = make(map[string]Attachment, len(att))
		for k, v := range att {
			r.Attachments[k] = v
		}
	}
	switch {
	case m["error"] != nil:
		r.Status = "error"
	case m["end_time"] != nil:
		r.Status = "success"
	default:
		r.Status = "pending"
	}
	return r
}

// runsWhere returns snapshots of the matching runs sorted by dotted_order.
func (st *store) runsWhere(keep func(*runState) bool) []Run {
	var out []Run
	for _, rs := range st.runs {
		if keep(rs) {
			out = append(out, st.snapshot(rs))
		}
	}
	sortRuns(out)
	return out
}

// traceRuns returns snapshots of a trace's runs sorted by dotted_order: the trace's own index,
// so reporting a completed trace costs its size, not the store's.
func (st *store) traceRuns(t *traceState) []Run {
	out := make([]Run, 0, len(t.runs))
	for _, rs := range t.runs {
		out = append(out, st.snapshot(rs))
	}
	sortRuns(out)
	return out
}

func sortRuns(runs []Run) {
	slices.SortFunc(runs, func(a, b Run) int {
		return cmp.Or(cmp.Compare(a.DottedOrder, b.DottedOrder), cmp.Compare(a.ID, b.ID))
	})
}

func copyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = copyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyJSON(e)
		}
		return out
	default:
		return v
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// openableByID reports whether LangSmith can open the run by its id: a UUIDv7's millisecond
// field must be the run's start_time (other id versions carry no time).
func openableByID(id string, start time.Time) bool {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 || start.IsZero() {
		return true
	}
	var ms int64
	for _, b := range u[:6] {
		ms = ms<<8 | int64(b)
	}
	return ms == start.UnixMilli()
}
