package smithemu

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mimeParts reads body with mime/multipart the way the emulator did before
// splitMultipart: the oracle for it.
func mimeParts(body []byte, boundary string) ([]wirePart, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []wirePart
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return parts, nil
		}
		if err != nil {
			return nil, err
		}
		wp := wirePart{
			name:            p.FormName(),
			contentType:     p.Header.Get("Content-Type"),
			contentLength:   p.Header.Get("Content-Length"),
			contentEncoding: p.Header.Get("Content-Encoding"),
		}
		if wp.data, err = io.ReadAll(p); err != nil {
			return nil, err
		}
		parts = append(parts, wp)
	}
}

// checkSplitAgrees fails when splitMultipart accepts a body that
// mime/multipart reads differently or not at all.
func checkSplitAgrees(t *testing.T, body []byte, boundary string) {
	t.Helper()
	got, ok := splitMultipart(body, boundary)
	if !ok || boundary == "" {
		return
	}
	want, err := mimeParts(body, boundary)
	require.NoError(t, err, "split accepted %q", body)
	for i := range want {
		if len(want[i].data) == 0 {
			want[i].data = nil
		}
	}
	for i := range got {
		if len(got[i].data) == 0 {
			got[i].data = nil
		}
	}
	assert.Equal(t, want, got, "%q", body)
}

const splitBoundary = "b0undary"

var splitSeeds = []string{
	"--b0undary\r\nContent-Disposition: form-data; name=\"post.x\"\r\nContent-Type: application/json; length=2\r\n\r\n{}\r\n--b0undary--\r\n",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxy\r\n--b0undary\r\nContent-Disposition: form-data; name=\"b\"\r\nContent-Length: 1\r\nContent-Encoding: gzip\r\n\r\nz\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n\r\n--b0undary\r\n\r\n--b0undary--",
	"preamble\r\n--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary--",
	"--b0undary\nContent-Disposition: form-data; name=\"a\"\n\nx\n--b0undary--",
	"--b0undary \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undaryx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--b0undary\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary--junk",
	"--b0undary\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\\\"b\"\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a b;c\"\r\nContent-Type:  text/plain\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n Content-Type: x\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: x\r\nContent-Type: y\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Type: x\r\n\r\nx\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary\t\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ny\r\n--b0undary--",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary",
	"--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx",
}

func TestSplitMultipartAgreesWithMime(t *testing.T) {
	ct, body := benchMultipartBody(t)
	_, boundary, _ := strings.Cut(ct, "boundary=")
	parts, ok := splitMultipart(body, boundary)
	require.True(t, ok, "the exporter's body takes the fast path")
	require.NotEmpty(t, parts)
	checkSplitAgrees(t, body, boundary)
	for _, s := range splitSeeds {
		checkSplitAgrees(t, []byte(s), splitBoundary)
	}
	_, ok = splitMultipart([]byte(splitSeeds[0]), splitBoundary)
	assert.True(t, ok)
}

func FuzzSplitMultipartAgreesWithMime(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s), splitBoundary)
	}
	f.Fuzz(func(t *testing.T, body []byte, boundary string) { checkSplitAgrees(t, body, boundary) })
}

// A boundary can hold a line break (RFC 2231's percent-encoded boundary*= decodes %0A to one), which
// mime/multipart's line reading splits: such a body must be read by mime/multipart, not split.
func TestSplitMultipartBoundaryWithLineBreak(t *testing.T) {
	for _, ct := range []string{
		"multipart/form-data; boundary*=utf-8''%0A",
		"multipart/form-data; boundary*=utf-8''x%0Ay",
		"multipart/form-data; boundary*=utf-8''x%0D",
		"multipart/form-data; boundary*=utf-8''%0D%0Ax",
	} {
		_, params, err := mime.ParseMediaType(ct)
		require.NoError(t, err)
		b := params["boundary"]
		require.True(t, strings.ContainsAny(b, "\r\n"), "%q", ct)
		for _, body := range []string{
			"--" + b + "\r\nContent-Disposition: form-data; name=\"post.x\"\r\nContent-Type: application/json; length=2\r\n\r\n{}\r\n--" + b + "--\r\n",
			"--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" + b + "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ny\r\n--" + b + "--",
		} {
			_, ok := splitMultipart([]byte(body), b)
			assert.False(t, ok, "boundary %q, body %q", b, body)
			checkSplitAgrees(t, []byte(body), b)
		}
	}
}
