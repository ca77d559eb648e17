// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	led := newLedger(nil, newFailedFile(t.TempDir()+"/f.ndjson"))
	t0 := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	p := newProgress(&out, ProgressAuto, 5*time.Second, led, 100, 0, t0)
	require.NotNil(t, p)
	assert.False(t, p.bar, "a buffer is not a terminal: plain lines")

	p.tick(t0.Add(time.Second))
	assert.Empty(t, out.String(), "nothing before the interval")

	led.tracesDone.Add(40)
	p.tick(t0.Add(5 * time.Second))
	p.tick(t0.Add(6 * time.Second))
	led.tracesDone.Add(50)
	led.tracesFailed.Add(2)
	p.tick(t0.Add(10 * time.Second))
	p.logf("Flushing…")
	led.tracesDone.Add(8)
	p.finish(t0.Add(12 * time.Second))

	assert.Equal(t, strings.Join([]string{
		"Uploaded 40/100 traces (40.0%), 8.0 traces/s, ETA 0:00:08",
		"Uploaded 90/100 traces (92.0%), 2 failed, 9.0 traces/s, ETA 0:00:01",
		"Flushing…",
		"Uploaded 98/100 traces (100.0%), 2 failed, 8.2 traces/s",
		"",
	}, "\n"), out.String())
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	led := newLedger(nil, newFailedFile(t.TempDir()+"/f.ndjson"))
	t0 := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	p := newProgress(&out, ProgressBar, time.Hour, led, 10, 4, t0)
	led.tracesDone.Add(5)
	led.recordsDone.Add(2)
	p.tick(t0.Add(time.Second))
	p.logf("a log line")
	p.finish(t0.Add(2 * time.Second))
	s := out.String()
	assert.Contains(t, s, "\r\033[K[===============>              ] 5/10 traces  50%  5.0 traces/s  2/4 records  ETA 0:00:01")
	assert.Contains(t, s, "\r\033[Ka log line\n", "a log line clears the bar first")
	assert.True(t, strings.HasSuffix(s, "\n"), "the last bar ends its line")
}

func TestProgressNone(t *testing.T) {
	p := newProgress(&bytes.Buffer{}, ProgressNone, time.Second, nil, 1, 0, time.Now())
	assert.Nil(t, p)
	p.tick(time.Now()) // a nil progress is a no-op
	p.logf("x")
	p.finish(time.Now())
}
