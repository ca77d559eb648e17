package smithemu

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentEncodings(t *testing.T) {
	reqs, start := loadCapture(t, "js-0.10.5-merged-posts.json")
	capture := reqs[1]
	plain := []byte(capture.Body)

	zstdOneShot := func(t *testing.T) []byte {
		enc, err := zstd.NewWriter(nil)
		require.NoError(t, err)
		return enc.EncodeAll(plain, nil)
	}
	// A stream encoder writes frames without a content size, as the Python
	// and Go SDKs do; it also splits the input over two frames here.
	zstdStream := func(t *testing.T) []byte {
		var b bytes.Buffer
		for _, half := range [][]byte{plain[:len(plain)/2], plain[len(plain)/2:]} {
			enc, err := zstd.NewWriter(&b)
			require.NoError(t, err)
			_, err = enc.Write(half)
			require.NoError(t, err)
			require.NoError(t, enc.Close())
		}
		return b.Bytes()
	}
	gz := func(t *testing.T) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, err := w.Write(plain)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		return b.Bytes()
	}

	tests := []struct {
		name     string
		encoding string
		body     func(*testing.T) []byte
		chunked  bool
		status   int
	}{
		{"identity", "", func(*testing.T) []byte { return plain }, false, http.StatusAccepted},
		{"identity explicit, chunked", "identity", func(*testing.T) []byte { return plain }, true, http.StatusAccepted},
		{"zstd", "zstd", zstdOneShot, false, http.StatusAccepted},
		{"zstd stream frames without content size, chunked", "zstd", zstdStream, true, http.StatusAccepted},
		{"gzip", "gzip", gz, false, http.StatusAccepted},
		{"gzip chunked", "gzip", gz, true, http.StatusAccepted},
		{"zstd header on plain body", "zstd", func(*testing.T) []byte { return plain }, false, http.StatusBadRequest},
		{"gzip header on zstd body", "gzip", zstdOneShot, false, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, clock := startEmu(t, nil)
			clock.Advance(start.Sub(clock.Now()))
			body := tt.body(t)
			var r io.Reader = bytes.NewReader(body)
			if tt.chunked {
				r = io.MultiReader(r) // unknown length: the client sends it chunked
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/runs/multipart", r)
			require.NoError(t, err)
			req.Header.Set("Content-Type", capture.Headers["content-type"])
			req.Header.Set("X-Api-Key", "emu-test-default-key")
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)

			log := s.Requests()
			require.Len(t, log, 1)
			if tt.chunked {
				assert.Equal(t, "chunked", log[0].Headers["transfer-encoding"])
			}
			if tt.status == http.StatusAccepted {
				assert.Len(t, s.Runs("proj"), 3)
				assert.Equal(t, len(plain), log[0].BodyBytes)
				assert.Equal(t, 3, log[0].Posts)
			} else {
				assert.Empty(t, s.Runs(""))
			}
		})
	}
}

func TestSizeLimitBoundary(t *testing.T) {
	body := multipartBody(runParts(t, "post", rootRun())...)
	tests := []struct {
		name   string
		limit  int64
		slack  int64
		status int
	}{
		{"exactly at limit", int64(len(body)), 0, http.StatusAccepted},
		{"one byte over limit", int64(len(body)) - 1, 0, http.StatusRequestEntityTooLarge},
		{"over limit but within slack", int64(len(body)) - 10, 10, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv, _ := startEmu(t, func(c *Config) { c.SizeLimitBytes, c.SizeSlackBytes = tt.limit, tt.slack })
			r := send(t, http.MethodPost, srv.URL+"/runs/multipart", body, map[string]string{"Content-Type": "multipart/form-data; boundary=" + testBoundary})
			assert.Equal(t, tt.status, r.status, r.raw)
		})
	}
}
