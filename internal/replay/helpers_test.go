// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu"
	"github.com/tracebridge/tracebridge/internal/synthetic"
)

const emuKey = "replay-key"

// startEmulator serves the strict LangSmith emulator, time window on.
func startEmulator(t *testing.T) (*smithemu.Server, string) {
	t.Helper()
	cfg := smithemu.DefaultConfig()
	cfg.APIKeys = map[string]string{emuKey: ""}
	emu := smithemu.New(cfg)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv.URL
}

// writeGenerated writes a generated run file and returns its path.
func writeGenerated(t *testing.T, traces int, seed uint64, ndjson bool) string {
	t.Helper()
	name := "traces.json"
	if ndjson {
		name = "traces.ndjson"
	}
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = synthetic.Generate(f, synthetic.Options{Traces: traces, Seed: seed, NDJSON: ndjson})
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return path
}

// readLines reads an NDJSON file's lines.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}

// readRuns reads a run file (array or NDJSON) into generic runs keyed by id.
func readRuns(t *testing.T, path string) map[string]*origRun {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	runs := map[string]*origRun{}
	require.NoError(t, scanInput(f, 0, func(it scanItem) error {
		require.NoError(t, it.err)
		var r origRun
		require.NoError(t, json.Unmarshal(it.raw, &r))
		runs[r.ID] = &r
		return nil
	}))
	return runs
}

// baseConfig is a replay of inputs that prints nothing and fails into the test's directory.
func baseConfig(t *testing.T, inputs ...string) Config {
	return Config{
		Inputs:               inputs,
		IDSeed:               "test-seed",
		NewIDs:               true,
		ShiftToNow:           true,
		FailedPath:           filepath.Join(t.TempDir(), "failed.ndjson"),
		TempDir:              t.TempDir(),
		Progress:             ProgressNone,
		RetryInitialInterval: 5 * time.Millisecond,
		Sleep:                func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
}

// byTail indexes runs by the id tail the mapper gives their old id, which finds a replayed run
// whatever the shift was.
func byTail(m *IDMapper, runs map[string]*origRun) map[[8]byte]*origRun {
	out := make(map[[8]byte]*origRun, len(runs))
	for id, r := range runs {
		out[m.tail(id)] = r
	}
	return out
}

func tailOf(id string) [8]byte {
	u := uuid.MustParse(id)
	var t [8]byte
	copy(t[:], u[8:])
	return t
}
