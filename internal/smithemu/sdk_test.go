package smithemu

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOfficialJSSDK runs the langsmith npm package (pinned in test/sdk)
// against the emulator and reads the trace back. `npm ci` in test/sdk
// installs it; without node or node_modules the test is skipped.
func TestOfficialJSSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	sdkDir, err := filepath.Abs(filepath.Join("..", "..", "test", "sdk"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(sdkDir, "node_modules", "langsmith")); err != nil {
		t.Skip("test/sdk/node_modules is missing; run npm ci in test/sdk")
	}

	const apiKey, project = "lsv2_sdk_test", "sdk-test"
	tests := []struct {
		name      string
		cfg       func(*Config)
		wantPaths []string // ingest requests, in order
		encoding  string
	}{
		{"multipart", nil, []string{"/runs/multipart", "/runs/multipart"}, ""},
		{"multipart gzip", func(c *Config) { c.GzipBodyEnabled = true }, []string{"/runs/multipart", "/runs/multipart"}, "gzip"},
		{"batch when multipart is not advertised", func(c *Config) { c.AdvertiseNoMultipart = true }, []string{"/runs/batch", "/runs/batch"}, ""},
		{"batch fallback after 404", func(c *Config) { c.DisableMultipart = true }, []string{"/runs/multipart", "/runs/batch", "/runs/batch"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.APIKeys = map[string]string{apiKey: project}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			s := New(cfg)
			srv := httptest.NewServer(s)
			defer srv.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join(sdkDir, "trace.mjs"))
			cmd.Dir = sdkDir
			cmd.Env = append(cleanEnv(), "LANGSMITH_ENDPOINT="+srv.URL, "LANGSMITH_API_KEY="+apiKey, "LANGSMITH_PROJECT="+project)
			out, err := cmd.Output()
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				t.Logf("stderr: %s", ee.Stderr)
			}
			require.NoError(t, err, "node trace.mjs")
			// trace.mjs prints the ids it used as its last line.
			var ids struct {
				TraceID string `json:"trace_id"`
				Root    string `json:"root"`
				LLM     string `json:"llm"`
				Tool    string `json:"tool"`
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &ids), "trace.mjs output: %s", out)

			var paths []string
			for _, r := range s.Requests() {
				if r.Path == "/info" {
					continue
				}
				paths = append(paths, r.Path)
				if r.Status == 202 {
					assert.Equal(t, tt.encoding, r.Headers["content-encoding"], r.Path)
				}
			}
			assert.Equal(t, tt.wantPaths, paths)

			roots := s.Trace(project, ids.TraceID)
			require.Len(t, roots, 1, "one tree")
			root := roots[0]
			assert.Equal(t, ids.Root, root.Run.ID)
			assert.Equal(t, "agent", root.Run.Name)
			assert.Equal(t, "chain", root.Run.RunType)
			assert.Equal(t, "success", root.Run.Status)
			assert.Equal(t, map[string]any{"question": "what is 1+1? (café ☕)"}, root.Run.Inputs)
			assert.Equal(t, map[string]any{"answer": "2"}, root.Run.Outputs)
			assert.Equal(t, []string{"sdk-test"}, root.Run.Tags)
			assert.Equal(t, "u1", root.Run.Extra["metadata"].(map[string]any)["user"])
			assert.Equal(t, 1, root.Run.Posts)
			assert.Equal(t, 1, root.Run.Patches)

			require.Len(t, root.Children, 1)
			llm := root.Children[0]
			assert.Equal(t, ids.LLM, llm.Run.ID)
			assert.Equal(t, "llm-call", llm.Run.Name)
			assert.Equal(t, "llm", llm.Run.RunType)
			assert.Equal(t, "success", llm.Run.Status)
			assert.Equal(t, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "what is 1+1?"}}}, llm.Run.Inputs)
			assert.Equal(t, map[string]any{"output": "2"}, llm.Run.Outputs)

			require.Len(t, llm.Children, 1)
			tool := llm.Children[0]
			assert.Equal(t, ids.Tool, tool.Run.ID)
			assert.Equal(t, "calculator", tool.Run.Name)
			assert.Equal(t, "tool", tool.Run.RunType)
			assert.Equal(t, "error", tool.Run.Status)
			assert.Equal(t, "calculator exploded", tool.Run.Error)
			assert.Equal(t, map[string]any{"expression": "1+1"}, tool.Run.Inputs)
			assert.Empty(t, tool.Run.Outputs)
			assert.Empty(t, tool.Children)
			assert.False(t, tool.Run.EndTime.IsZero())
		})
	}
}

// cleanEnv drops LANGSMITH_*/LANGCHAIN_* settings of the machine so they
// cannot redirect or reshape the SDK's traffic.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LANGSMITH_") || strings.HasPrefix(kv, "LANGCHAIN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
