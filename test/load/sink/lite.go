// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/gzip"
)

type liteRun struct {
	trace, parent uuid.UUID
	hasParent     bool
	posts         uint16
	patches       uint16
	at            int64
}

// runMain is the part of a run's main part the lite checks read.
type runMain struct {
	ID          string `json:"id"`
	TraceID     string `json:"trace_id"`
	ParentRunID string `json:"parent_run_id"`
	DottedOrder string `json:"dotted_order"`
	Name        string `json:"name"`
	RunType     string `json:"run_type"`
}

type litePost struct {
	id, trace, parent uuid.UUID
	hasParent         bool
	// What the store held for id before this request claimed it, to put back when the request
	// is refused.
	prev    liteRun
	existed bool
	dup     bool
}

// liteScratch is one request's buffers, kept for the next: the exporter's requests are a few
// hundred kB and a thousand runs or more, and growing their buffers afresh each time cost
// about a tenth of the sink's CPU.
type liteScratch struct {
	raw, body []byte
	posts     []litePost
	patches   []uuid.UUID
	probes    [][8]byte // otlp mode
}

var liteScratchPool = sync.Pool{New: func() any { return new(liteScratch) }}

// gzipReaders are gzip readers kept between requests (the pass-through's otlp_http exporter
// sends gzip): each holds a 32 kB window and its decoding tables.
var gzipReaders sync.Pool

func (s *server) lite(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/info" || r.URL.Path == "/api/v1/info":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"version":"0.10.0-lt-sink","batch_ingest_config":{"use_multipart_endpoint":true,`+
			`"scale_up_qsize_trigger":1000,"scale_up_nthreads_limit":16,"scale_down_nempty_trigger":4,"size_limit":100,`+
			`"size_limit_bytes":20971520},"instance_flags":{"zstd_compression_enabled":true,"gzip_body_enabled":false}}`)
		return
	case r.Method == http.MethodPost && (r.URL.Path == "/runs/query" || r.URL.Path == "/api/v1/runs/query"):
		s.query(w, r)
		return
	case r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/runs/multipart"):
		s.answer(w, http.StatusNotFound, "Not Found")
		return
	}
	if s.apiKey != "" && r.Header.Get("X-Api-Key") != s.apiKey {
		s.answer(w, http.StatusUnauthorized, "Invalid token")
		return
	}
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	if s.stormAnswer(w) {
		return
	}
	sc := liteScratchPool.Get().(*liteScratch)
	defer liteScratchPool.Put(sc)
	raw, body, err := s.liteBody(r, sc)
	if err != nil {
		s.answer(w, http.StatusBadRequest, "Bad request: "+err.Error())
		return
	}
	if len(body) > 21<<20 {
		s.answer(w, http.StatusRequestEntityTooLarge, "Payload Too Large")
		return
	}
	boundary, ok := multipartBoundary(r.Header.Get("Content-Type"))
	if !ok {
		s.answer(w, http.StatusBadRequest, "Bad request: not multipart/form-data with a boundary")
		return
	}
	if err := sc.parts(body, boundary); err != nil {
		s.answer(w, http.StatusBadRequest, "Bad request: "+err.Error())
		return
	}
	posts := sc.posts
	now := time.Now().UnixNano()
	s.mu.Lock()
	s.requests++
	s.bodyRaw += int64(len(body))
	s.bodyZ += int64(len(raw))
	if r.Header.Get("Content-Encoding") == "zstd" {
		s.encZstd++
	}
	// A second post of a run (stored, or twice in this request) rejects the whole request:
	// each post claims its run in one lookup, and a refused request puts back what it claimed.
	dups := 0
	for i := range posts {
		p := &posts[i]
		rs, existed := s.runs[p.id]
		p.prev, p.existed = rs, existed
		if p.dup = rs.posts > 0; p.dup {
			dups++
			continue
		}
		rs.trace, rs.parent, rs.hasParent = p.trace, p.parent, p.hasParent
		rs.posts++
		rs.at = now
		s.runs[p.id] = rs
	}
	if dups > 0 {
		for i := len(posts) - 1; i >= 0; i-- {
			switch p := &posts[i]; {
			case p.dup:
			case p.existed:
				s.runs[p.id] = p.prev
			default:
				delete(s.runs, p.id)
			}
		}
		s.conflict += int64(dups)
		s.mu.Unlock()
		s.answer(w, http.StatusConflict, "Conflict: payload already received")
		return
	}
	s.posted += len(posts)
	for _, id := range sc.patches {
		rs := s.runs[id]
		rs.patches++
		s.runs[id] = rs
		s.patches++
	}
	s.mu.Unlock()
	s.answer(w, http.StatusAccepted, "accepted")
}

// liteBody reads the body into sc's buffers and undoes its Content-Encoding, as decode does.
func (s *server) liteBody(r *http.Request, sc *liteScratch) (raw, body []byte, err error) {
	buf := bytes.NewBuffer(sc.raw[:0])
	if n := r.ContentLength; n > 0 && n <= 64<<20 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(r.Body, 64<<20))
	raw = buf.Bytes()
	sc.raw = raw
	if err != nil {
		return nil, nil, err
	}
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		return raw, raw, nil
	case "zstd":
		body, err = s.zdec.DecodeAll(raw, sc.body[:0])
		if body != nil {
			sc.body = body
		}
		return raw, body, err
	case "gzip":
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		if zr == nil {
			zr = new(gzip.Reader)
		}
		defer gzipReaders.Put(zr)
		if err := zr.Reset(bytes.NewReader(raw)); err != nil {
			return raw, nil, err
		}
		out := bytes.NewBuffer(sc.body[:0])
		_, err = out.ReadFrom(zr)
		body = out.Bytes()
		sc.body = body
		return raw, body, err
	default:
		return raw, nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
}

// parts fills sc.posts and sc.patches from the body's parts: through scanLite when the body is
// as the exporter writes it and would be taken whole, otherwise through walkParts, readMain and
// checkPost, whose error is the answer.
func (sc *liteScratch) parts(body []byte, boundary string) error {
	var ok bool
	if sc.posts, sc.patches, ok = scanLite(body, boundary, sc.posts[:0], sc.patches[:0]); ok {
		return nil
	}
	sc.posts, sc.patches = sc.posts[:0], sc.patches[:0]
	return walkParts(body, boundary, func(name string, data []byte, isMain bool) error {
		if len(data) < 2 || data[0] != '{' && data[0] != '[' && data[0] != '"' {
			return fmt.Errorf("part %s is not JSON", name)
		}
		if !isMain {
			return nil
		}
		kind, idStr, _ := strings.Cut(name, ".")
		id, err := uuid.Parse(idStr)
		if err != nil {
			return fmt.Errorf("part %s: invalid run id", name)
		}
		if kind == "patch" {
			sc.patches = append(sc.patches, id)
			return nil
		}
		if kind != "post" {
			return nil // feedback, attachments: not produced by the exporter
		}
		m, err := readMain(data)
		if err != nil {
			return fmt.Errorf("part %s: %w", name, err)
		}
		p, err := checkPost(id, &m)
		if err != nil {
			return fmt.Errorf("run %s: %w", id, err)
		}
		sc.posts = append(sc.posts, p)
		return nil
	})
}

// readMain reads the identity fields of a run's main part. The exporter writes them as plain
// top-level strings (translator/langsmith runjson.go: id, trace_id, parent_run_id, dotted_order
// first; payloads are parts of their own), so finding the keys is enough and keeps the sink
// cheap; the strict mode decodes everything.
func readMain(data []byte) (runMain, error) {
	var m runMain
	if data[0] != '{' || data[len(data)-1] != '}' {
		return m, errors.New("main part is not a JSON object")
	}
	m.ID = jsonStr(data, `"id":"`)
	m.TraceID = jsonStr(data, `"trace_id":"`)
	m.ParentRunID = jsonStr(data, `"parent_run_id":"`)
	m.DottedOrder = jsonStr(data, `"dotted_order":"`)
	m.Name = jsonStr(data, `"name":"`)
	m.RunType = jsonStr(data, `"run_type":"`)
	return m, nil
}

// jsonStr returns the string value after key (which ends in the opening quote), up to the next
// quote; "" when key is absent.
func jsonStr(data []byte, key string) string {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return ""
	}
	v := data[i+len(key):]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return ""
	}
	return string(v[:j])
}

// checkPost applies the identity rules LangSmith enforces on a multipart post.
func checkPost(id uuid.UUID, m *runMain) (litePost, error) {
	p := litePost{id: id}
	if m.ID != id.String() {
		return p, fmt.Errorf("id %q differs from the part name", m.ID)
	}
	if m.Name == "" || m.RunType == "" {
		return p, errors.New("name and run_type are required")
	}
	var err error
	if p.trace, err = uuid.Parse(m.TraceID); err != nil {
		return p, fmt.Errorf("invalid trace_id %q", m.TraceID)
	}
	segs := strings.Split(m.DottedOrder, ".")
	for _, seg := range segs {
		if len(seg) != 22+36 || seg[21] != 'Z' {
			return p, fmt.Errorf("invalid dotted_order segment %q", seg)
		}
	}
	if !strings.HasSuffix(segs[len(segs)-1], id.String()) || !strings.HasSuffix(segs[0], p.trace.String()) {
		return p, fmt.Errorf("dotted_order %q does not run from the trace to the run", m.DottedOrder)
	}
	for i := 1; i < len(segs); i++ {
		if segs[i][:22] < segs[i-1][:22] {
			return p, fmt.Errorf("dotted_order %q: a segment is earlier than its parent", m.DottedOrder)
		}
	}
	if m.ParentRunID == "" {
		if len(segs) != 1 || id != p.trace {
			return p, errors.New("a root must have one dotted_order segment and trace_id == id")
		}
		return p, nil
	}
	if p.parent, err = uuid.Parse(m.ParentRunID); err != nil {
		return p, fmt.Errorf("invalid parent_run_id %q", m.ParentRunID)
	}
	p.hasParent = true
	if len(segs) < 2 || !strings.HasSuffix(segs[len(segs)-2], p.parent.String()) {
		return p, fmt.Errorf("dotted_order %q does not end in the parent %s", m.DottedOrder, p.parent)
	}
	return p, nil
}

func multipartBoundary(contentType string) (string, bool) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return "", false
	}
	return params["boundary"], true
}

// walkParts calls fn for each part of a multipart/form-data body with its form name, its data,
// and whether it is a run's main part (post.<id>, patch.<id>) rather than a payload part
// (post.<id>.inputs …). Every part must have Content-Type and a length equal to its size, as a
// Content-Length header or the Content-Type's length parameter (the JS SDK's form), as LangSmith
// requires.
func walkParts(body []byte, boundary string, fn func(name string, data []byte, isMain bool) error) error {
	delim := []byte("--" + boundary)
	i := bytes.Index(body, delim)
	if i < 0 {
		return errors.New("no multipart delimiter")
	}
	rest := body[i+len(delim):]
	sep := []byte("\r\n--" + boundary)
	for {
		if bytes.HasPrefix(rest, []byte("--")) {
			return nil // closing delimiter
		}
		if !bytes.HasPrefix(rest, []byte("\r\n")) {
			return errors.New("malformed multipart delimiter line")
		}
		rest = rest[2:]
		h := bytes.Index(rest, []byte("\r\n\r\n"))
		if h < 0 {
			return errors.New("multipart part without header end")
		}
		header := rest[:h]
		rest = rest[h+4:]
		end := bytes.Index(rest, sep)
		if end < 0 {
			return errors.New("multipart part without closing delimiter")
		}
		data := rest[:end]
		rest = rest[end+len(sep):]
		name, clen, ctype := partHeader(header)
		if name == "" || !ctype {
			return fmt.Errorf("part %q lacks a form name or Content-Type", name)
		}
		if clen != len(data) {
			return fmt.Errorf("part %s: Content-Length %d, body %d bytes", name, clen, len(data))
		}
		if err := fn(name, data, strings.Count(name, ".") == 1); err != nil {
			return err
		}
	}
}

func partHeader(h []byte) (name string, clen int, ctype bool) {
	clen = -1
	paramLen := -1
	for len(h) > 0 {
		line := h
		if i := bytes.Index(h, []byte("\r\n")); i >= 0 {
			line, h = h[:i], h[i+2:]
		} else {
			h = nil
		}
		c := bytes.IndexByte(line, ':')
		if c < 0 {
			continue
		}
		k, v := line[:c], bytes.TrimSpace(line[c+1:])
		switch {
		case bytes.EqualFold(k, []byte("Content-Disposition")):
			if i := bytes.Index(v, []byte(`name="`)); i >= 0 {
				n := v[i+6:]
				if j := bytes.IndexByte(n, '"'); j >= 0 {
					name = string(n[:j])
				}
			}
		case bytes.EqualFold(k, []byte("Content-Length")):
			clen = atoi(v)
		case bytes.EqualFold(k, []byte("Content-Type")):
			ctype = len(v) > 0
			if i := bytes.Index(v, []byte("; length=")); i >= 0 {
				paramLen = atoi(v[i+len("; length="):])
			}
		}
	}
	if clen < 0 { // a Content-Length header wins over the parameter, as in the emulator
		clen = paramLen
	}
	return name, clen, ctype
}

func atoi(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
