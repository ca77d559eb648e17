package smithemu

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// capturedRequest is one request recorded from the official langsmith JS SDK
// 0.10.5 (a capture of its wire traffic to a local recorder).
type capturedRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func loadCapture(t *testing.T, file string) ([]capturedRequest, time.Time) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + file)
	require.NoError(t, err)
	var reqs []capturedRequest
	require.NoError(t, json.Unmarshal(raw, &reqs))
	m := regexp.MustCompile(`start_time\\?":\\?"([^"\\]+)`).FindSubmatch(raw)
	require.NotNil(t, m, "no start_time in capture")
	start, err := time.Parse(time.RFC3339Nano, string(m[1]))
	require.NoError(t, err)
	return reqs, start
}

// replay sends the captured requests with their own headers (minus the
// hop-by-hop ones) and returns the statuses.
func replay(t *testing.T, url string, reqs []capturedRequest) []int {
	t.Helper()
	var statuses []int
	for _, c := range reqs {
		h := map[string]string{}
		for k, v := range c.Headers {
			switch k {
			case "host", "connection", "transfer-encoding", "content-length":
				continue
			}
			h[k] = v
		}
		var body []byte
		if c.Method != http.MethodGet {
			body = []byte(c.Body)
		}
		r := send(t, c.Method, url+c.URL, body, h)
		statuses = append(statuses, r.status)
	}
	return statuses
}

func TestReplayJSCapture(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, s *Server)
	}{{
		// Root, child and grandchild created and ended before the flush: the
		// SDK merges each patch into its post.
		file: "js-0.10.5-merged-posts.json",
		check: func(t *testing.T, s *Server) {
			roots := s.Trace("proj", "01a20db4-2e1d-7000-8000-0116ec54ec26")
			require.Len(t, roots, 1)
			root := roots[0]
			assert.Equal(t, "agent", root.Run.Name)
			assert.Equal(t, "chain", root.Run.RunType)
			assert.Equal(t, "success", root.Run.Status)
			assert.Equal(t, map[string]any{"question": "hi"}, root.Run.Inputs)
			assert.Equal(t, map[string]any{"answer": "hello"}, root.Run.Outputs)
			assert.Equal(t, []string{"t1"}, root.Run.Tags)
			assert.Equal(t, time.Date(2026, 11, 24, 13, 17, 21, 821001000, time.UTC), root.Run.StartTime)
			assert.Equal(t, time.UnixMilli(1795526241869).UTC(), root.Run.EndTime)
			require.Len(t, root.Children, 1)
			llm := root.Children[0]
			assert.Equal(t, "llm-call", llm.Run.Name)
			assert.Equal(t, "llm", llm.Run.RunType)
			require.Len(t, llm.Children, 1)
			assert.Equal(t, "tool", llm.Children[0].Run.Name)
			assert.Equal(t, map[string]any{"result": float64(2)}, llm.Children[0].Run.Outputs)
			assert.Equal(t, "u1", llm.Children[0].Run.Extra["metadata"].(map[string]any)["user"])
		},
	}, {
		// Creates flushed first, ends sent later as patch parts; the tool
		// run ends with an error.
		file: "js-0.10.5-post-then-patch.json",
		check: func(t *testing.T, s *Server) {
			runs := s.Runs("proj")
			require.Len(t, runs, 3)
			for _, r := range runs {
				assert.Equal(t, 1, r.Posts, r.Name)
				assert.Equal(t, 1, r.Patches, r.Name)
			}
			roots := s.Trace("", runs[0].TraceID)
			require.Len(t, roots, 1)
			assert.Equal(t, "agent", roots[0].Run.Name)
			assert.Equal(t, map[string]any{"answer": "2"}, roots[0].Run.Outputs)
			tool := roots[0].Children[0].Children[0]
			assert.Equal(t, "calculator", tool.Run.Name)
			assert.Equal(t, "error", tool.Run.Status)
			assert.Equal(t, "calculator exploded", tool.Run.Error)
			assert.Equal(t, "success", roots[0].Children[0].Run.Status)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			reqs, start := loadCapture(t, tt.file)
			s, srv, clock := startEmu(t, nil)
			clock.Advance(start.Add(time.Second).Sub(clock.Now()))
			for i, st := range replay(t, srv.URL, reqs) {
				if reqs[i].URL == "/info" {
					assert.Equal(t, http.StatusOK, st)
				} else {
					assert.Equal(t, http.StatusAccepted, st, "request %d %s", i, reqs[i].URL)
				}
			}
			tt.check(t, s)

			// The same bytes again are duplicates of every run.
			again := replay(t, srv.URL, reqs[1:2])
			assert.Equal(t, []int{http.StatusConflict}, again)

			// And the 24h window is enforced on them when the clock is a
			// day and more away.
			s.Reset()
			clock.Advance(25 * time.Hour)
			assert.Equal(t, http.StatusBadRequest, replay(t, srv.URL, reqs[1:2])[0])
		})
	}
}
