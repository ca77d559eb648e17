package emuoracle

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// drainLimit bounds how much of an oversized body is read and discarded so
// the client gets to read the 413 instead of a broken pipe.
const drainLimit = 64 << 20

// readBody reads the request body (chunked or not), enforces the size cap on
// both the wire bytes and the decompressed bytes, and undoes the request's
// Content-Encoding.
func (s *Server) readBody(r *http.Request) ([]byte, *apiError) {
	limit := s.cfg.SizeLimitBytes + s.cfg.SizeSlackBytes
	if s.cfg.NoSizeLimit {
		limit = math.MaxInt64 - 1
	}
	if r.ContentLength > limit {
		drain(r.Body)
		return nil, errTooLarge(limit)
	}
	raw, err := readAllSized(io.LimitReader(r.Body, limit+1), r.ContentLength)
	if err != nil {
		return nil, badRequestf("could not read body: %v", err)
	}
	if int64(len(raw)) > limit {
		drain(r.Body)
		return nil, errTooLarge(limit)
	}

	var dec io.Reader
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if s.cfg.UncompressedOnly && enc != "" && enc != "identity" {
		// An older self-hosted instance knows no compressed bodies; /info told the client so.
		return nil, badRequestf("unsupported Content-Encoding %q", enc)
	}
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, badRequestf("could not decode gzip body: %v", err)
		}
		defer zr.Close()
		dec = zr
	case "zstd":
		// A streaming decoder: frames written by stream encoders carry no
		// content size, which the one-shot DecodeAll path handles less well.
		zr, err := zstd.NewReader(bytes.NewReader(raw), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, badRequestf("could not decode zstd body: %v", err)
		}
		defer zr.Close()
		dec = zr
	default:
		return nil, badRequestf("unsupported Content-Encoding %q", enc)
	}
	body, err := io.ReadAll(io.LimitReader(dec, limit+1))
	if err != nil {
		return nil, badRequestf("could not decode %s body: %v", r.Header.Get("Content-Encoding"), err)
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge(limit)
	}
	return body, nil
}

func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, drainLimit))
}

// readAllSized is io.ReadAll into a buffer sized from the declared length
// (when there is one) rather than grown from 512 bytes by doubling, which
// copied a large body several times over.
func readAllSized(r io.Reader, declared int64) ([]byte, error) {
	if declared <= 0 || declared > drainLimit {
		return io.ReadAll(r)
	}
	// One byte of room beyond the declared length, so reaching EOF takes no
	// further growth.
	b := make([]byte, 0, declared+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF { //nolint:errorlint // io.ReadAll's own test, so errors stay as they were
				return b, nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
