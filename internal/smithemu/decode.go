package smithemu

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// drainLimit bounds how much of an oversized body is read and discarded so
// the client gets to read the 413 instead of a broken pipe.
const drainLimit = 64 << 20

// readBody reads the request body (chunked or not), enforces the size cap on
// both the wire bytes and the decompressed bytes, and undoes the request's
// Content-Encoding. The body is read into buf's buffers, which the caller hands
// back (putBodyBuffers) once the request is answered: nothing the ingest keeps
// refers to them (it copies what it stores).
func (s *Server) readBody(r *http.Request, buf *bodyBuffers) ([]byte, *apiError) {
	limit := s.cfg.SizeLimitBytes + s.cfg.SizeSlackBytes
	if s.cfg.NoSizeLimit {
		limit = math.MaxInt64 - 1
	}
	if r.ContentLength > limit {
		drain(r.Body)
		return nil, errTooLarge(limit)
	}
	raw, err := readAllInto(buf.raw[:0], io.LimitReader(r.Body, limit+1), r.ContentLength)
	buf.raw = raw
	if err != nil {
		return nil, badRequestf("could not read body: %v", err)
	}
	if int64(len(raw)) > limit {
		drain(r.Body)
		return nil, errTooLarge(limit)
	}

	var dec io.Reader
	var declared int64 // the decoded size the encoding states, if it does
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
		zr, err := getZstdDecoder(bytes.NewReader(raw))
		if err != nil {
			return nil, badRequestf("could not decode zstd body: %v", err)
		}
		defer putZstdDecoder(zr)
		dec = zr
		var h zstd.Header
		if h.Decode(raw) == nil && h.HasFCS && h.FrameContentSize <= uint64(limit) {
			declared = int64(h.FrameContentSize)
		}
	default:
		return nil, badRequestf("unsupported Content-Encoding %q", enc)
	}
	body, err := readAllInto(buf.decoded[:0], io.LimitReader(dec, limit+1), declared)
	buf.decoded = body
	if err != nil {
		return nil, badRequestf("could not decode %s body: %v", r.Header.Get("Content-Encoding"), err)
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge(limit)
	}
	return body, nil
}

// bodyBuffers are the buffers one request's body is read into: the bytes as
// they came and, for a compressed body, decoded. They are kept between
// requests (bodyBufferPool): a fresh buffer per request, grown from 512 bytes
// by doubling, was copied and cleared several times over for each body.
type bodyBuffers struct {
	raw, decoded []byte
}

var bodyBufferPool = sync.Pool{New: func() any { return new(bodyBuffers) }}

// maxPooledBody is the largest buffer kept for the next request; a larger one
// (a body near the 20 MiB cap) is left to the collector.
const maxPooledBody = 4 << 20

func getBodyBuffers() *bodyBuffers { return bodyBufferPool.Get().(*bodyBuffers) }

func putBodyBuffers(b *bodyBuffers) {
	if cap(b.raw) > maxPooledBody {
		b.raw = nil
	}
	if cap(b.decoded) > maxPooledBody {
		b.decoded = nil
	}
	bodyBufferPool.Put(b)
}

// zstdDecoders are streaming zstd decoders kept between requests: a new one
// allocates its block decoder and history buffers, and was most of what a
// small request cost to decode. Reset gives a kept one the state of a new one.
var zstdDecoders sync.Pool

func getZstdDecoder(r io.Reader) (*zstd.Decoder, error) {
	if d, ok := zstdDecoders.Get().(*zstd.Decoder); ok {
		if err := d.Reset(r); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	}
	return zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
}

func putZstdDecoder(d *zstd.Decoder) {
	if d.Reset(nil) != nil { // lets go of the body
		d.Close()
		return
	}
	zstdDecoders.Put(d)
}

func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, drainLimit))
}

// readAllInto is io.ReadAll appending to b, which it first grows to the
// declared length (when there is one) rather than from 512 bytes by doubling,
// which copied a large body several times over.
func readAllInto(b []byte, r io.Reader, declared int64) ([]byte, error) {
	if declared > 0 && declared <= drainLimit && int64(cap(b)) < declared+1 {
		// One byte of room beyond the declared length, so reaching EOF takes no
		// further growth.
		b = make([]byte, 0, declared+1)
	}
	if cap(b) == 0 {
		b = make([]byte, 0, 512)
	}
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
