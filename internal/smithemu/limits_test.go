package smithemu

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPublishedLimits checks each of LangSmith Cloud's published ingest limits: on by default
// with the service's status and wording, and accepted once switched off.
func TestPublishedLimits(t *testing.T) {
	staleStart := testNow.Add(-30 * time.Hour)
	stale := with(rootRun(), "start_time", staleStart.Format(time.RFC3339Nano), "dotted_order", dottedSegment(staleStart, rootID))
	futureStart := testNow.Add(25 * time.Hour)
	future := with(rootRun(), "start_time", futureStart.Format(time.RFC3339Nano), "dotted_order", dottedSegment(futureStart, rootID))
	longName := strings.Repeat("n", 129)
	// 128 characters of 3 bytes each: the limit counts characters, not bytes.
	wideName := strings.Repeat("語", 128)
	zstdBody := func(t *testing.T, srv *httptest.Server) response {
		enc, err := zstd.NewWriter(nil)
		require.NoError(t, err)
		body := enc.EncodeAll(multipartBody(runParts(t, "post", rootRun())...), nil)
		return send(t, http.MethodPost, srv.URL+"/runs/multipart", body, map[string]string{
			"Content-Type": "multipart/form-data; boundary=" + testBoundary, "Content-Encoding": "zstd"})
	}
	mp := func(runs ...map[string]any) func(*testing.T, *httptest.Server) response {
		return func(t *testing.T, srv *httptest.Server) response {
			var parts []mpPart
			for _, r := range runs {
				parts = append(parts, runParts(t, "post", r)...)
			}
			return postMultipart(t, srv, nil, parts...)
		}
	}
	patch := func(run map[string]any) func(*testing.T, *httptest.Server) response {
		return func(t *testing.T, srv *httptest.Server) response {
			return postMultipart(t, srv, nil, runParts(t, "patch", run)...)
		}
	}
	big := with(rootRun(), "inputs", map[string]any{"blob": string(bytes.Repeat([]byte("a"), 4096))})
	small := func(c *Config) { c.SizeLimitBytes, c.SizeSlackBytes = 2048, 0 }

	tests := []struct {
		name   string
		cfg    func(*Config) // extra settings for both sides
		off    func(*Config) // switches the limit off
		setup  func(*testing.T, *httptest.Server) response
		send   func(*testing.T, *httptest.Server) response
		status int
		msg    string
	}{
		{
			name: "start_time 30 h ago", send: mp(stale), off: func(c *Config) { c.CheckTimeWindow = false },
			status: 400, msg: "Bad request: invalid 'start_time': start_time " + staleStart.Format(time.RFC3339Nano) + " is outside the accepted window of 24h0m0s",
		},
		{
			name: "start_time 25 h ahead", send: mp(future), off: func(c *Config) { c.CheckTimeWindow = false },
			status: 400, msg: "is outside the accepted window of 24h0m0s",
		},
		{
			name: "stale run fails the whole request", send: mp(childRun(), stale), off: func(c *Config) { c.CheckTimeWindow = false },
			status: 400, msg: "invalid 'start_time'",
		},
		{
			name: "patch with a stale start_time", off: func(c *Config) { c.CheckTimeWindow = false },
			send:   patch(with(stale, "end_time", testNow.Format(time.RFC3339Nano))),
			status: 400, msg: "invalid 'start_time'",
		},
		{
			name: "name of 129 characters", send: mp(with(rootRun(), "name", longName)), off: func(c *Config) { c.MaxNameLength = -1 },
			status: 422, msg: `['post', 'items', 'properties', 'name', 'maxLength']: "` + longName + `" is longer than 128 characters`,
		},
		{
			name: "name of 129 characters in a patch", off: func(c *Config) { c.MaxNameLength = -1 },
			setup: mp(rootRun()), send: patch(with(rootRun(), "name", longName, "end_time", iso(time.Second))),
			status: 422, msg: `['patch', 'items', 'properties', 'name', 'maxLength']`,
		},
		{
			name: "long name in batch fails the whole request", off: func(c *Config) { c.MaxNameLength = -1 },
			send: func(t *testing.T, srv *httptest.Server) response {
				return postBatch(t, srv, nil, []map[string]any{childRun(), with(rootRun(), "name", longName)}, nil)
			},
			status: 422, msg: "is longer than 128 characters",
		},
		{
			name: "run past the per-trace cap", cfg: func(c *Config) { c.MaxRunsPerTrace = 2 }, off: func(c *Config) { c.MaxRunsPerTrace = -1 },
			setup: mp(rootRun(), childRun()), send: mp(grandRun()),
			status: 400, msg: "trace " + rootID + " has reached the limit of 2 runs",
		},
		{
			name: "body over size_limit_bytes", cfg: small, off: func(c *Config) { c.NoSizeLimit = true },
			send: mp(big), status: 413, msg: "Request Entity Too Large: body exceeds 2048 bytes",
		},
		{
			name: "zstd body on an uncompressed-only instance", cfg: func(c *Config) { c.UncompressedOnly = true },
			off: func(c *Config) { c.UncompressedOnly = false }, send: zstdBody,
			status: 400, msg: `Bad request: unsupported Content-Encoding "zstd"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, on := range []bool{true, false} {
				s, srv, _ := startEmu(t, func(c *Config) {
					if tt.cfg != nil {
						tt.cfg(c)
					}
					if !on {
						tt.off(c)
					}
				})
				if tt.setup != nil {
					require.Equal(t, http.StatusAccepted, tt.setup(t, srv).status)
				}
				before := s.Runs("")
				r := tt.send(t, srv)
				if !on {
					assert.Equal(t, http.StatusAccepted, r.status, "switched off: %s", r.raw)
					continue
				}
				assert.Equal(t, tt.status, r.status, r.raw)
				assert.Contains(t, errMsg(r), tt.msg)
				assert.Equal(t, before, s.Runs(""), "a rejected request must store nothing")
			}
		})
	}

	t.Run("128 characters pass", func(t *testing.T) {
		_, srv, _ := startEmu(t, nil)
		r := mp(with(rootRun(), "name", wideName))(t, srv)
		assert.Equal(t, http.StatusAccepted, r.status, r.raw)
	})
	t.Run("a UUIDv7 whose millisecond field is not start_time is stored but unopenable", func(t *testing.T) {
		s, srv, _ := startEmu(t, nil)
		start := testNow.Add(-time.Hour)
		v7 := func(at time.Time, last byte) string {
			var u uuid.UUID
			ms := uint64(at.UnixMilli()) //nolint:gosec // a 2026 date
			for i := range 6 {
				u[i] = byte(ms >> (8 * (5 - i)))
			}
			u[6], u[8], u[15] = 0x70, 0x80, last
			return u.String()
		}
		good, skewed := v7(start, 1), v7(start.Add(-5*time.Millisecond), 2)
		for _, id := range []string{good, skewed} {
			run := with(rootRun(), "id", id, "trace_id", id, "start_time", start.Format(time.RFC3339Nano), "dotted_order", dottedSegment(start, id))
			require.Equal(t, http.StatusAccepted, mp(run)(t, srv).status)
		}
		open := map[string]bool{}
		for _, r := range s.Runs("") {
			open[r.ID] = !r.Unopenable
		}
		assert.Equal(t, map[string]bool{good: true, skewed: false}, open)
	})
	t.Run("uncompressed-only takes plain bodies and says so on /info", func(t *testing.T) {
		_, srv, _ := startEmu(t, func(c *Config) { c.UncompressedOnly, c.GzipBodyEnabled = true, true })
		assert.Equal(t, http.StatusAccepted, mp(rootRun())(t, srv).status)
		r := send(t, http.MethodGet, srv.URL+"/info", nil, nil)
		flags := r.body["instance_flags"].(map[string]any)
		assert.Equal(t, false, flags["zstd_compression_enabled"])
		assert.Equal(t, false, flags["gzip_body_enabled"])
	})
}
