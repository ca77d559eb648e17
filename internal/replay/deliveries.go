// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
)

// deliveryWatch learns which runs LangSmith confirmed when the exporter runs in-process. The
// exporter's queue acknowledges a span when it is queued, not when it lands, and its retries
// and dead letters are internal; the replay still has to say which traces landed. So the watch
// wraps the exporter's HTTP transport through the collector's own hook for that, a client
// middleware extension, and reads each upload's run IDs and the answer: 2xx confirms every run
// of the request, and a 409 for a single run confirms it too (the exporter splits a 409 until
// each duplicate stands alone). Runs LangSmith refused for good are read back from the
// exporter's dead-letter directory, the exporter's own record of them.
type deliveryWatch struct {
	deadLetters string
	dec         *zstd.Decoder

	mu      sync.Mutex
	runs    map[uuid.UUID]*watched
	open    int           // groups not settled
	idle    chan struct{} // receives when open drops to zero
	seen    map[string]bool
	settled []*watched // settled under the lock; their callbacks run after it

	// reached is set by LangSmith's first answer; until then transport errors may mean a wrong
	// address, and firstErr/lastErr say since when.
	reached  atomic.Bool
	errMu    sync.Mutex
	firstErr time.Time
	lastErr  error
	now      func() time.Time
	// fatal receives an answer that refuses the whole replay (a wrong key).
	fatal func(error)
}

// watched is a group of runs (a trace, or the runs of a batch of records) that settles as one.
type watched struct {
	left   int
	reason string              // the first refusal; "" while every run landed
	done   func(reason string) // called once, with "" when the whole group landed
}

var (
	_ component.Component            = (*deliveryWatch)(nil)
	_ extensionmiddleware.HTTPClient = (*deliveryWatch)(nil)
)

func newDeliveryWatch(deadLetters string, now func() time.Time, fatal func(error)) *deliveryWatch {
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	return &deliveryWatch{
		now:         now,
		fatal:       fatal,
		deadLetters: deadLetters,
		dec:         dec,
		runs:        make(map[uuid.UUID]*watched),
		idle:        make(chan struct{}, 1),
		seen:        make(map[string]bool),
	}
}

func (*deliveryWatch) Start(context.Context, component.Host) error { return nil }

func (w *deliveryWatch) Shutdown(context.Context) error {
	w.dec.Close()
	return nil
}

// GetHTTPRoundTripper wraps the exporter's transport.
func (w *deliveryWatch) GetHTTPRoundTripper(context.Context) (extensionmiddleware.WrapHTTPRoundTripperFunc, error) {
	return func(_ context.Context, next http.RoundTripper) (http.RoundTripper, error) {
		return &watchTransport{w: w, next: next}, nil
	}, nil
}

// expect registers a group before its spans are handed to the exporter, so no answer can
// arrive for a run the watch does not know yet. A run already watched is not counted twice.
func (w *deliveryWatch) expect(ids []uuid.UUID, done func(reason string)) {
	g := &watched{done: done}
	w.mu.Lock()
	for _, id := range ids {
		if _, dup := w.runs[id]; dup {
			continue
		}
		w.runs[id] = g
		g.left++
	}
	if g.left > 0 {
		w.open++
	}
	w.mu.Unlock()
	if g.left == 0 {
		done("")
	}
}

// confirm settles runs that landed; refuse, runs LangSmith will never take.
func (w *deliveryWatch) confirm(ids []uuid.UUID) { w.settle(ids, "") }

func (w *deliveryWatch) refuse(ids []uuid.UUID, reason string) { w.settle(ids, reason) }

func (w *deliveryWatch) settle(ids []uuid.UUID, reason string) {
	w.mu.Lock()
	for _, id := range ids {
		g := w.runs[id]
		if g == nil {
			continue // a repeat, or a synthesized run the replay does not track
		}
		delete(w.runs, id)
		if reason != "" && g.reason == "" {
			g.reason = reason
		}
		g.left--
		if g.left == 0 {
			w.open--
			w.settled = append(w.settled, g)
		}
	}
	w.flushLocked()
}

// flushLocked runs the callbacks of settled groups outside the lock.
func (w *deliveryWatch) flushLocked() {
	done := w.settled
	w.settled = nil
	idle := w.open == 0
	w.mu.Unlock()
	for _, g := range done {
		g.done(g.reason)
	}
	if idle && len(done) > 0 {
		select {
		case w.idle <- struct{}{}:
		default:
		}
	}
}

// pending is the number of groups not settled.
func (w *deliveryWatch) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open
}

// abandon settles every open group with reason: they were not confirmed in time.
func (w *deliveryWatch) abandon(reason string) {
	w.mu.Lock()
	for id, g := range w.runs {
		delete(w.runs, id)
		if g.reason == "" {
			g.reason = reason
		}
		g.left--
		if g.left == 0 {
			w.open--
			w.settled = append(w.settled, g)
		}
	}
	w.flushLocked()
}

// scanDeadLetters reads dead-letter files not seen yet and refuses their runs with the reason
// the exporter wrote.
func (w *deliveryWatch) scanDeadLetters() {
	entries, err := os.ReadDir(w.deadLetters)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "runs-") || !strings.HasSuffix(name, ".jsonl") {
			continue // .partial-* files are still being written
		}
		w.mu.Lock()
		seen := w.seen[name]
		w.seen[name] = true
		w.mu.Unlock()
		if seen {
			continue
		}
		reason, ids := readDeadLetter(filepath.Join(w.deadLetters, name))
		w.refuse(ids, reason)
	}
}

// readDeadLetter reads the exporter's dead-letter file: a header with the reason, then one
// /runs/batch body per run.
func readDeadLetter(path string) (string, []uuid.UUID) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	reason := "LangSmith refused the run"
	var ids []uuid.UUID
	for first := true; sc.Scan(); first = false {
		if first {
			var h struct {
				Reason string `json:"reason"`
			}
			if json.Unmarshal(sc.Bytes(), &h) == nil && h.Reason != "" {
				reason = h.Reason
			}
			continue
		}
		ids = append(ids, batchRunIDs(sc.Bytes())...)
	}
	return reason, ids
}

// batchRunIDs reads the run IDs of a /runs/batch body.
func batchRunIDs(body []byte) []uuid.UUID {
	var b struct {
		Post  []struct{ ID string } `json:"post"`
		Patch []struct{ ID string } `json:"patch"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(b.Post)+len(b.Patch))
	for _, r := range append(b.Post, b.Patch...) {
		if id, err := uuid.Parse(r.ID); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// watchTransport is the wrapped transport.
type watchTransport struct {
	w    *deliveryWatch
	next http.RoundTripper
}

func (t *watchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ids := t.w.requestRuns(req)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.w.transportError(err)
		return resp, err
	}
	t.w.reached.Store(true)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		t.w.fatal(fmt.Errorf("LangSmith answered %d %s: check the API key and workspace", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if len(ids) == 0 {
		return resp, nil
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 || resp.StatusCode == http.StatusConflict && len(ids) == 1 {
		t.w.confirm(ids)
	}
	return resp, nil
}

func (w *deliveryWatch) transportError(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.firstErr.IsZero() {
		w.firstErr = w.now()
	}
	w.lastErr = err
}

// unreachable returns the last transport error when LangSmith has never answered and has
// failed to for longer than grace.
func (w *deliveryWatch) unreachable(grace time.Duration) error {
	if w.reached.Load() {
		return nil
	}
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.lastErr == nil || w.now().Sub(w.firstErr) < grace {
		return nil
	}
	return fmt.Errorf("%w: %w", errUnreachable, w.lastErr)
}

// requestRuns reads the run IDs of an upload request without consuming its body.
func (w *deliveryWatch) requestRuns(req *http.Request) []uuid.UUID {
	if req.Method != http.MethodPost || req.GetBody == nil {
		return nil
	}
	multi := strings.HasSuffix(req.URL.Path, "/runs/multipart")
	if !multi && !strings.HasSuffix(req.URL.Path, "/runs/batch") {
		return nil
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil
	}
	body, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		return nil
	}
	if strings.EqualFold(req.Header.Get("Content-Encoding"), "zstd") {
		if body, err = w.dec.DecodeAll(body, nil); err != nil {
			return nil
		}
	}
	if !multi {
		return batchRunIDs(body)
	}
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var ids []uuid.UUID
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		// post.<id> and patch.<id> carry a run; post.<id>.inputs and the like its fields.
		name := part.FormName()
		op, rest, ok := strings.Cut(name, ".")
		if ok && (op == "post" || op == "patch") && !strings.Contains(rest, ".") {
			if id, err := uuid.Parse(rest); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
