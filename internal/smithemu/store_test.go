package smithemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPatchBeforePostMerges(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	patch := with(rootRun(), "name", nil, "run_type", nil, "start_time", nil,
		"outputs", map[string]any{"answer": 42}, "end_time", iso(time.Second),
		"extra", map[string]any{"metadata": map[string]any{"b": 2, "nested": map[string]any{"y": 2}}})
	r := postMultipart(t, srv, nil, runParts(t, "patch", patch)...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)

	runs := s.Runs("proj")
	require.Len(t, runs, 1)
	assert.Equal(t, 0, runs[0].Posts)
	assert.Equal(t, 1, runs[0].Patches)
	assert.Empty(t, s.Trees("proj")[0].Run.Name, "no post yet")

	post := with(rootRun(), "inputs", map[string]any{"q": "?"},
		"extra", map[string]any{"metadata": map[string]any{"a": 1, "nested": map[string]any{"x": 1}}, "runtime": map[string]any{"sdk": "go"}})
	r = postMultipart(t, srv, nil, runParts(t, "post", post)...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)

	run := s.Runs("proj")[0]
	assert.Equal(t, 1, run.Posts)
	assert.Equal(t, "root", run.Name)
	assert.Equal(t, "success", run.Status)
	assert.Equal(t, map[string]any{"q": "?"}, run.Inputs)
	assert.Equal(t, map[string]any{"answer": float64(42)}, run.Outputs)
	assert.Equal(t, map[string]any{
		"metadata": map[string]any{"a": float64(1), "b": float64(2), "nested": map[string]any{"x": float64(1), "y": float64(2)}},
		"runtime":  map[string]any{"sdk": "go"},
	}, run.Extra)
	assert.Equal(t, time.Second, run.Duration())
}

func TestMergeAndStatus(t *testing.T) {
	tests := []struct {
		name    string
		patches []map[string]any
		status  string
		check   func(*testing.T, Run)
	}{
		{"pending without end_time", nil, "pending", nil},
		{"success once ended", []map[string]any{{"end_time": iso(time.Second)}}, "success", nil},
		{"error wins over end_time", []map[string]any{{"end_time": iso(time.Second), "error": "boom"}}, "error", func(t *testing.T, r Run) {
			assert.Equal(t, "boom", r.Error)
		}},
		{"null fields do not erase", []map[string]any{{"inputs": nil, "tags": []any{"x"}}, {"name": "renamed"}}, "pending", func(t *testing.T, r Run) {
			assert.Equal(t, map[string]any{"q": float64(1)}, r.Inputs)
			assert.Equal(t, []string{"x"}, r.Tags)
			assert.Equal(t, "renamed", r.Name)
			assert.Equal(t, 2, r.Patches)
		}},
		{"extra keys overlay, metadata merges", []map[string]any{
			{"extra": map[string]any{"metadata": map[string]any{"b": 2}, "runtime": map[string]any{"v": 2}}},
			{"extra": map[string]any{"metadata": map[string]any{"a": 3}}},
		}, "pending", func(t *testing.T, r Run) {
			assert.Equal(t, map[string]any{"metadata": map[string]any{"a": float64(3), "b": float64(2)}, "runtime": map[string]any{"v": float64(2)}}, r.Extra)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, _ := startEmu(t, nil)
			post := with(rootRun(), "inputs", map[string]any{"q": 1}, "extra", map[string]any{"metadata": map[string]any{"a": 1}, "runtime": map[string]any{"v": 1}})
			var patches []map[string]any
			for _, p := range tt.patches {
				patches = append(patches, with(p, "id", rootID, "trace_id", rootID, "dotted_order", seg(0, rootID)))
			}
			r := postBatch(t, srv, nil, []map[string]any{post}, nil)
			require.Equal(t, http.StatusAccepted, r.status, r.raw)
			for _, p := range patches {
				r := postBatch(t, srv, nil, nil, []map[string]any{p})
				require.Equal(t, http.StatusAccepted, r.status, r.raw)
			}
			run := s.Runs("")[0]
			assert.Equal(t, tt.status, run.Status)
			if tt.check != nil {
				tt.check(t, run)
			}
		})
	}
}

func TestPostAndPatchInOneRequest(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	parts := append(runParts(t, "patch", with(rootRun(), "outputs", map[string]any{"a": 1}, "end_time", iso(time.Second))),
		runParts(t, "post", with(rootRun(), "outputs", map[string]any{"a": 0}, "end_time", iso(time.Millisecond)))...)
	r := postMultipart(t, srv, nil, parts...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	run := s.Runs("")[0]
	assert.Equal(t, map[string]any{"a": float64(1)}, run.Outputs, "the patch overlays the post")
	assert.Equal(t, 1, run.Posts)
	assert.Equal(t, 1, run.Patches)

	// Setting outputs again is now a conflict.
	r = postMultipart(t, srv, nil, runParts(t, "patch", with(rootRun(), "outputs", map[string]any{"a": 2}))...)
	assert.Equal(t, http.StatusConflict, r.status)
	// So is any other update of a run an earlier request finished: LangSmith treats it as
	// immutable (langsmith-sdk#2111).
	r = postMultipart(t, srv, nil, runParts(t, "patch", with(rootRun(), "tags", []any{"late"}))...)
	assert.Equal(t, http.StatusConflict, r.status, r.raw)
	assert.Empty(t, s.Runs("")[0].Tags, "a refused patch changes nothing")
}

func TestRESTRoutes(t *testing.T) {
	s, srv, clock := startEmu(t, nil)
	// POST /runs without trace_id/dotted_order: the service derives them.
	root := map[string]any{"id": rootID, "name": "root", "run_type": "chain", "start_time": iso(0), "inputs": map[string]any{"q": 1}}
	r := send(t, http.MethodPost, srv.URL+"/runs", mustJSON(t, root), nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	child := map[string]any{"id": childID, "name": "child", "run_type": "tool", "parent_run_id": rootID}
	clock.Advance(-30 * time.Minute) // child without start_time starts "now", after the root
	r = send(t, http.MethodPost, srv.URL+"/api/v1/runs", mustJSON(t, child), nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	r = send(t, http.MethodPatch, srv.URL+"/runs/"+childID, mustJSON(t, map[string]any{"outputs": map[string]any{"r": 2}, "end_time": clock.Now().Add(time.Second).UnixMilli()}), nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	r = send(t, http.MethodPatch, srv.URL+"/api/v1/runs/"+rootID, mustJSON(t, map[string]any{"end_time": iso(time.Hour)}), nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)

	roots := s.Trace("default", rootID)
	require.Len(t, roots, 1)
	assert.Equal(t, seg(0, rootID), roots[0].Run.DottedOrder)
	require.Len(t, roots[0].Children, 1)
	c := roots[0].Children[0].Run
	assert.Equal(t, seg(0, rootID)+"."+dottedSegment(testNow.Add(-30*time.Minute), childID), c.DottedOrder)
	assert.Equal(t, rootID, c.TraceID)
	assert.Equal(t, "success", c.Status)
	assert.Equal(t, map[string]any{"r": float64(2)}, c.Outputs)

	// A POST /runs child whose parent is unknown cannot be placed.
	r = send(t, http.MethodPost, srv.URL+"/runs", mustJSON(t, map[string]any{"id": grandID, "name": "g", "run_type": "tool", "parent_run_id": otherID}), nil)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, errMsg(r), "parent run "+otherID+" not found")
	// Path and body ids must agree.
	r = send(t, http.MethodPatch, srv.URL+"/runs/"+rootID, mustJSON(t, map[string]any{"id": childID}), nil)
	assert.Equal(t, http.StatusBadRequest, r.status)
	// Unknown routes and methods.
	assert.Equal(t, http.StatusNotFound, send(t, http.MethodPost, srv.URL+"/nope", nil, nil).status)
	assert.Equal(t, http.StatusMethodNotAllowed, send(t, http.MethodGet, srv.URL+"/runs/batch", nil, nil).status)
}

func TestProjectsAndTenancy(t *testing.T) {
	s, srv, _ := startEmu(t, func(c *Config) {
		c.APIKeys = map[string]string{"k-any": "", "k-bound": "tenant-a"}
	})
	h := func(key string) map[string]string { return map[string]string{"x-api-key": key} }

	// Bound key without a session writes into its project.
	r := postMultipart(t, srv, h("k-bound"), runParts(t, "post", with(rootRun(), "session_name", nil))...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	assert.Equal(t, "tenant-a", s.Runs("")[0].Project)
	// Bound key naming its own project is fine, naming another is not.
	r = postMultipart(t, srv, h("k-bound"), runParts(t, "post", with(childRun(), "session_name", "tenant-a"))...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	r = postMultipart(t, srv, h("k-bound"), runParts(t, "post", with(grandRun(), "session_name", "tenant-b"))...)
	assert.Equal(t, http.StatusForbidden, r.status)

	// Unbound key without a session: "default"; with session_id of an
	// existing project: that project.
	s.Reset()
	r = postMultipart(t, srv, h("k-any"), runParts(t, "post", with(rootRun(), "session_name", nil))...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	assert.Equal(t, "default", s.Runs("")[0].Project)
	id := s.CreateProject("by-id")
	r = postMultipart(t, srv, h("k-any"), runParts(t, "post", with(childRun(), "session_name", nil, "session_id", id))...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	assert.Len(t, s.Runs("by-id"), 1)
	// A patch without a session stays in the run's project.
	r = postMultipart(t, srv, h("k-any"), runParts(t, "patch", with(childRun(), "session_name", nil, "end_time", iso(time.Second)))...)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	assert.Equal(t, 1, s.Runs("by-id")[0].Patches)
	assert.Equal(t, []Project{{ID: id, Name: "by-id"}, {ID: s.Projects()[1].ID, Name: "default"}}, s.Projects())

	// Auth is off when no keys are configured.
	_, open, _ := startEmu(t, nil)
	assert.Equal(t, http.StatusAccepted, postMultipart(t, open, nil, runParts(t, "post", rootRun())...).status)
}

func TestTraceTreeAndCompletion(t *testing.T) {
	var mu sync.Mutex
	var completed []string
	s, srv, _ := startEmu(t, func(c *Config) {
		c.OnTraceComplete = func(project string, root *TreeNode) {
			mu.Lock()
			defer mu.Unlock()
			n := 0
			root.Walk(func(*TreeNode, int) { n++ })
			completed = append(completed, fmt.Sprintf("%s/%s/%d", project, root.Run.Name, n))
		}
	})
	end := func(run map[string]any, d time.Duration) map[string]any { return with(run, "end_time", iso(d)) }
	seen := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), completed...) }

	// Child and grandchild first: orphans show up as roots until the root arrives.
	r := postBatch(t, srv, nil, []map[string]any{end(grandRun(), time.Second), childRun()}, nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	roots := s.Trace("proj", rootID)
	require.Len(t, roots, 1)
	assert.Equal(t, "child", roots[0].Run.Name)
	assert.Empty(t, seen())

	r = postBatch(t, srv, nil, []map[string]any{end(rootRun(), 3*time.Second)}, nil)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	assert.Empty(t, seen(), "child still pending")

	r = postBatch(t, srv, nil, nil, []map[string]any{end(childRun(), 2*time.Second)})
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	assert.Equal(t, []string{"proj/root/3"}, seen())

	// A finished run takes no more updates, and a rejected request reports nothing again.
	r = postBatch(t, srv, nil, nil, []map[string]any{with(rootRun(), "tags", []any{"x"})})
	require.Equal(t, http.StatusConflict, r.status, r.raw)
	r = postBatch(t, srv, nil, []map[string]any{rootRun()}, nil)
	require.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, []string{"proj/root/3"}, seen())

	roots = s.Trace("proj", rootID)
	require.Len(t, roots, 1)
	assert.Equal(t, "root", roots[0].Run.Name)
	require.Len(t, roots[0].Children, 1)
	assert.Equal(t, "grand", roots[0].Children[0].Children[0].Run.Name)
	assert.Empty(t, s.Trace("other", rootID))

	// The HTTP views agree with the Go API.
	var viaHTTP []*TreeNode
	resp, err := http.Get(srv.URL + "/_emu/trees?project=proj&trace_id=" + rootID)
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&viaHTTP))
	_ = resp.Body.Close()
	require.Len(t, viaHTTP, 1)
	assert.Equal(t, roots[0].Children[0].Children[0].Run.ID, viaHTTP[0].Children[0].Children[0].Run.ID)
	var runs []Run
	resp, err = http.Get(srv.URL + "/_emu/runs?trace_id=" + rootID)
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&runs))
	_ = resp.Body.Close()
	assert.Len(t, runs, 3)
	assert.Equal(t, s.Runs("")[0].StartTime, runs[0].StartTime)
	var log []RequestRecord
	resp, err = http.Get(srv.URL + "/_emu/requests")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&log))
	_ = resp.Body.Close()
	require.Len(t, log, 5)
	assert.Equal(t, 2, log[0].Posts)
	assert.Equal(t, http.StatusConflict, log[4].Status)

	resp, err = http.Post(srv.URL+"/_emu/reset", "application/json", nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Empty(t, s.Runs(""))
	assert.Empty(t, s.Requests())
}

// TestConcurrentIngest sends many traces at once; run with -race.
func TestConcurrentIngest(t *testing.T) {
	s, srv, _ := startEmu(t, nil)
	const traces = 20
	var wg sync.WaitGroup
	statuses := make([]int, traces)
	for i := range traces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("0194c1f2-0000-7000-8000-%012d", 1000+i)
			run := map[string]any{"id": id, "trace_id": id, "name": "r", "run_type": "chain", "start_time": iso(0),
				"dotted_order": seg(0, id), "session_name": "proj", "end_time": iso(time.Second)}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/runs/batch", jsonReader(run))
			req.Header.Set("X-Api-Key", "emu-test-default-key")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				statuses[i] = resp.StatusCode
				_ = resp.Body.Close()
			}
			_ = s.Runs("proj")
		}()
	}
	wg.Wait()
	for _, st := range statuses {
		assert.Equal(t, http.StatusAccepted, st)
	}
	assert.Len(t, s.Trees("proj"), traces)
	assert.Len(t, s.Requests(), traces)
}
