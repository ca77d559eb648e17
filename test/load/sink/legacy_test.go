// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

// The lite handler as it was before its fast path (lite.go, litescan.go), kept to hold the
// new one to the same answers and the same store: TestLiteMatchesLegacy, FuzzLiteMatchesLegacy.

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// legacyPost posts body (identity encoding, key k) to the legacy handler.
func legacyPost(s *server, body []byte) liteAnswer {
	req := httptest.NewRequest(http.MethodPost, "/runs/multipart", bytes.NewReader(body))
	req.Header.Set("Content-Type", langsmith.MultipartContentType(testBoundary))
	req.Header.Set("X-Api-Key", "k")
	w := httptest.NewRecorder()
	s.legacyLite(w, req)
	return liteAnswer{w.Code, w.Body.String()}
}

func (s *server) legacyLite(w http.ResponseWriter, r *http.Request) {
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
	raw, body, err := s.decode(r)
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
	var posts []litePost
	var patchIDs []uuid.UUID
	err = walkParts(body, boundary, func(name string, data []byte, isMain bool) error {
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
			patchIDs = append(patchIDs, id)
			return nil
		}
		if kind != "post" {
			return nil // feedback, attachments: not produced by the exporter
		}
		m, err := legacyReadMain(data)
		if err != nil {
			return fmt.Errorf("part %s: %w", name, err)
		}
		p, err := legacyCheckPost(id, &m)
		if err != nil {
			return fmt.Errorf("run %s: %w", id, err)
		}
		posts = append(posts, p)
		return nil
	})
	if err != nil {
		s.answer(w, http.StatusBadRequest, "Bad request: "+err.Error())
		return
	}
	now := time.Now().UnixNano()
	s.mu.Lock()
	s.requests++
	s.bodyRaw += int64(len(body))
	s.bodyZ += int64(len(raw))
	if r.Header.Get("Content-Encoding") == "zstd" {
		s.encZstd++
	}
	// A second post of a run (stored, or twice in this request) rejects the whole request.
	seen := make(map[uuid.UUID]bool, len(posts))
	dups := 0
	for _, p := range posts {
		if rs := s.runs[p.id]; rs.posts > 0 || seen[p.id] {
			dups++
		}
		seen[p.id] = true
	}
	if dups > 0 {
		s.conflict += int64(dups)
		s.mu.Unlock()
		s.answer(w, http.StatusConflict, "Conflict: payload already received")
		return
	}
	for _, p := range posts {
		rs := s.runs[p.id]
		rs.trace, rs.parent, rs.hasParent = p.trace, p.parent, p.hasParent
		rs.posts++
		rs.at = now
		s.runs[p.id] = rs
		s.posted++
	}
	for _, id := range patchIDs {
		rs := s.runs[id]
		rs.patches++
		s.runs[id] = rs
		s.patches++
	}
	s.mu.Unlock()
	s.answer(w, http.StatusAccepted, "accepted")
}

// readMain reads the identity fields of a run's main part. The exporter writes them as plain
// top-level strings (translator/langsmith runjson.go: id, trace_id, parent_run_id, dotted_order
// first; payloads are parts of their own), so finding the keys is enough and keeps the sink
// cheap; the strict mode decodes everything.
func legacyReadMain(data []byte) (runMain, error) {
	var m runMain
	if data[0] != '{' || data[len(data)-1] != '}' {
		return m, errors.New("main part is not a JSON object")
	}
	m.ID = legacyJSONStr(data, `"id":"`)
	m.TraceID = legacyJSONStr(data, `"trace_id":"`)
	m.ParentRunID = legacyJSONStr(data, `"parent_run_id":"`)
	m.DottedOrder = legacyJSONStr(data, `"dotted_order":"`)
	m.Name = legacyJSONStr(data, `"name":"`)
	m.RunType = legacyJSONStr(data, `"run_type":"`)
	return m, nil
}

// jsonStr returns the string value after key (which ends in the opening quote), up to the next
// quote; "" when key is absent.
func legacyJSONStr(data []byte, key string) string {
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
func legacyCheckPost(id uuid.UUID, m *runMain) (litePost, error) {
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

// decode is how the sink read bodies before liteBody (the legacy handler's).
func (s *server) decode(r *http.Request) (raw, body []byte, err error) {
	raw, err = io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		return raw, raw, nil
	case "zstd":
		body, err = s.zdec.DecodeAll(raw, nil)
		return raw, body, err
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return raw, nil, err
		}
		body, err = io.ReadAll(zr)
		return raw, body, err
	default:
		return raw, nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
}
