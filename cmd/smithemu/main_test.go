package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

func sampleTree() *smithemu.TreeNode {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := func(name, typ, status string, start, end time.Duration, errMsg string) smithemu.Run {
		return smithemu.Run{TraceID: "t1", Project: "proj", Name: name, RunType: typ, Status: status, Error: errMsg,
			StartTime: t0.Add(start), EndTime: t0.Add(end)}
	}
	return &smithemu.TreeNode{
		Run: run("agent", "chain", "success", 0, 1500*time.Millisecond, ""),
		Children: []*smithemu.TreeNode{{
			Run:      run("llm-call", "llm", "success", 10*time.Millisecond, 900*time.Millisecond, ""),
			Children: []*smithemu.TreeNode{{Run: run("calc", "tool", "error", 20*time.Millisecond, 20*time.Millisecond+300*time.Microsecond, "boom\nstack")}},
		}},
	}
}

func TestFormatTree(t *testing.T) {
	want := "trace t1  project=proj  runs=3\n" +
		"  agent [chain] 1.50s success\n" +
		"    llm-call [llm] 890ms success\n" +
		"      calc [tool] 300µs error: boom\n"
	assert.Equal(t, want, formatTree("proj", sampleTree()))
}

func TestWaterfall(t *testing.T) {
	pt := waterfall(sampleTree(), time.Now())
	require.Len(t, pt.Rows, 3)
	assert.InDelta(t, 0, pt.Rows[0].Left, 0.01)
	assert.InDelta(t, 100, pt.Rows[0].Width, 0.01)
	assert.InDelta(t, 100*10.0/1500, pt.Rows[1].Left, 0.01)
	assert.Equal(t, 32, pt.Rows[2].Indent)
	assert.InDelta(t, 0.4, pt.Rows[2].Width, 1e-9, "tiny runs stay visible")
}

func TestWaterfallRenderMarker(t *testing.T) {
	tree := sampleTree()
	tree.Run.RenderIssues = []string{"usage_metadata on a chain run: its tokens and cost are counted twice"}
	pt := waterfall(tree, time.Now())
	assert.Equal(t, tree.Run.RenderIssues[0], pt.Rows[0].Render)
	assert.Empty(t, pt.Rows[1].Render)
}

func TestPage(t *testing.T) {
	emu := smithemu.New(smithemu.Config{})
	rec := httptest.NewRecorder()
	pageHandler(emu, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `http-equiv="refresh" content="2"`)
	assert.Contains(t, body, "No traces yet")
	assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html"))
}

func TestAPIKeysFlag(t *testing.T) {
	k := apiKeys{}
	require.NoError(t, k.Set("a"))
	require.NoError(t, k.Set("b=proj"))
	assert.Equal(t, apiKeys{"a": "", "b": "proj"}, k)
	assert.Error(t, k.Set("=x"))
}
