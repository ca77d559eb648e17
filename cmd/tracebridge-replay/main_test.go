// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", nil, "Usage:"},
		{"bad shift", []string{"--shift", "soon", "x.json"}, "--shift"},
		{"both shifts", []string{"--shift", "1h", "--shift-to-now", "x.json"}, "exclude each other"},
		{"direct without key", []string{"--direct", "x.json"}, "API key"},
		{"bad format", []string{"--format", "xml", "x.json"}, "unknown format"},
		{"generate without out", []string{"--generate", "3"}, "--out"},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LANGSMITH_API_KEY", "")
			code, _, stderr := runCmd(t, "", tt.args...)
			assert.Equal(t, exitCommand, code)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestGenerateThenReplayDirectFromStdin(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "traces.ndjson")
	code, out, _ := runCmd(t, "", "--generate", "5", "--seed", "3", "--out", file)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "Wrote 5 traces")
	data, err := os.ReadFile(file)
	require.NoError(t, err)

	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = map[string]string{"k": ""}
	emu := smithemu.New(cfg)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	t.Setenv("LANGSMITH_API_KEY", "k")
	t.Setenv("LANGSMITH_ENDPOINT", srv.URL)
	report := filepath.Join(dir, "report.json")
	code, out, stderr := runCmd(t, string(data), "--direct", "--project", "cli",
		"--progress", "plain", "--report", report, "--failed", filepath.Join(dir, "failed.ndjson"), "-")
	require.Equal(t, exitOK, code, "stderr: %s\nstdout: %s", stderr, out)
	assert.Contains(t, stderr, "Loaded ")
	assert.Contains(t, stderr, "stdin")
	assert.Contains(t, stderr, "Shifting timestamps by: ")
	assert.Contains(t, stderr, "Uploaded 5/5 traces")
	assert.Contains(t, out, "Done!")
	assert.FileExists(t, report)
	assert.Len(t, emu.Trees("cli"), 5)
}

func TestReplayExitsOneWhenSomethingFailed(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.ndjson")
	require.NoError(t, os.WriteFile(file, []byte("{not json\n"), 0o600))
	srv := httptest.NewServer(smithemu.New(smithemu.DefaultConfig()))
	defer srv.Close()
	failed := filepath.Join(dir, "failed.ndjson")
	code, out, _ := runCmd(t, "", "--direct", "--api-key", "k", "--endpoint", srv.URL, "--progress", "none", "--failed", failed, file)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "1 corrupt line")
	b, err := os.ReadFile(failed)
	require.NoError(t, err)
	assert.Equal(t, "{not json\n", string(b))
}
