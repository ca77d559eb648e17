package emuoracle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Route names a fault can target.
const (
	RouteAny       = "any"       // every non-control route, /info included
	RouteIngest    = "ingest"    // multipart, batch and runs
	RouteMultipart = "multipart" // POST /runs/multipart
	RouteBatch     = "batch"     // POST /runs/batch
	RouteRuns      = "runs"      // POST /runs and PATCH /runs/{id}
	RouteInfo      = "info"      // GET /info
	RouteQuery     = "query"     // POST /runs/query
)

// Fault is one scripted misbehavior. Faults wait in a FIFO queue; a request
// takes the first fault whose Route matches it, and the fault leaves the
// queue after firing Count times.
type Fault struct {
	// Route is one of the Route* constants ("" = RouteAny).
	Route string `json:"route"`
	// APIKey limits the fault to requests sent with this x-api-key ("" = any key), so one
	// workspace can be down or throttled while another is not.
	APIKey string `json:"api_key,omitempty"`
	// Count is how many matching requests the fault hits (0 = 1).
	Count int `json:"count"`
	// Status is the status answered instead of processing the request
	// (0 = process normally after Latency).
	Status int `json:"status"`
	// RetryAfter, in seconds, sets a Retry-After header (0 = none).
	RetryAfter int `json:"retry_after"`
	// Latency delays the answer (or the normal processing).
	Latency time.Duration `json:"-"`
	// Reset reads part of the body, then drops the connection with a TCP
	// reset and no response.
	Reset bool `json:"reset"`
	// Body replaces the default JSON error body.
	Body string `json:"body,omitempty"`
}

// UnmarshalJSON accepts latency as "250ms" or 250 (milliseconds).
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var w struct {
		plain
		Latency json.RawMessage `json:"latency,omitempty"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Fault(w.plain)
	if len(w.Latency) == 0 || string(w.Latency) == "null" {
		return nil
	}
	var ms float64
	if err := json.Unmarshal(w.Latency, &ms); err == nil {
		f.Latency = time.Duration(ms * float64(time.Millisecond))
		return nil
	}
	var s string
	if err := json.Unmarshal(w.Latency, &s); err != nil {
		return fmt.Errorf("latency must be a duration string or milliseconds: %w", err)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid latency: %w", err)
	}
	f.Latency = d
	return nil
}

// MarshalJSON writes latency as a duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	return json.Marshal(struct {
		plain
		Latency string `json:"latency,omitempty"`
	}{plain(f), durationString(f.Latency)})
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func (f *Fault) validate() error {
	switch f.Route {
	case "", RouteAny, RouteIngest, RouteMultipart, RouteBatch, RouteRuns, RouteInfo, RouteQuery:
	default:
		return fmt.Errorf("unknown fault route %q", f.Route)
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return fmt.Errorf("invalid fault status %d", f.Status)
	}
	if f.Count < 0 || f.RetryAfter < 0 || f.Latency < 0 {
		return fmt.Errorf("fault count, retry_after and latency must not be negative")
	}
	return nil
}

func (f *Fault) matches(route, apiKey string) bool {
	if f.APIKey != "" && f.APIKey != apiKey {
		return false
	}
	switch f.Route {
	case "", RouteAny:
		return true
	case RouteIngest:
		return route == RouteMultipart || route == RouteBatch || route == RouteRuns
	}
	return f.Route == route
}

func (f *Fault) label() string {
	switch {
	case f.Reset:
		return "reset"
	case f.Status != 0:
		return "status " + strconv.Itoa(f.Status)
	default:
		return "latency " + f.Latency.String()
	}
}

// InjectFaults appends faults to the queue.
func (s *Server) InjectFaults(faults ...Fault) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	for _, f := range faults {
		if f.Count <= 0 {
			f.Count = 1
		}
		s.faults = append(s.faults, f)
	}
}

// PendingFaults returns the faults still queued, with their remaining counts.
func (s *Server) PendingFaults() []Fault {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	return append([]Fault(nil), s.faults...)
}

// takeFault pops one firing of the first fault matching route and apiKey.
func (s *Server) takeFault(route, apiKey string) *Fault {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	for i := range s.faults {
		if !s.faults[i].matches(route, apiKey) {
			continue
		}
		f := s.faults[i]
		s.faults[i].Count--
		if s.faults[i].Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &f
	}
	return nil
}

// applyFault acts out a fault; it reports whether the request was answered
// (or dropped) and must not be processed further.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, rec *RequestRecord) bool {
	rec.Fault = f.label()
	if f.Latency > 0 && !f.Reset {
		// Take the body in first: net/http only notices a client hanging
		// up once the body has been read, and a slow server reads before
		// it thinks.
		buffered, _ := io.ReadAll(io.LimitReader(r.Body, drainLimit))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(buffered), r.Body))
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			rec.Error = "client gave up during injected latency"
			return true
		}
	}
	if f.Reset {
		s.resetConnection(w, r)
		return true
	}
	if f.Status == 0 {
		return false
	}
	drain(r.Body)
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	if f.Body != "" {
		rec.Status = f.Status
		rec.Error = f.Body
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return true
	}
	s.writeError(w, rec, statusError(f.Status))
	return true
}

// resetConnection drops the connection part-way through the request body
// without answering, the way a crashing proxy does.
func (s *Server) resetConnection(w http.ResponseWriter, r *http.Request) {
	// Consume a little of the body so the client is mid-upload when the
	// connection goes.
	_, _ = io.CopyN(io.Discard, r.Body, 1)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // RST instead of FIN
	}
	_ = conn.Close()
}

// rateLimiter is a token bucket per API key.
type rateLimiter struct {
	perMinute  int
	burst      int
	retryAfter time.Duration
	buckets    map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// SetRateLimit limits ingest requests (/runs*) per API key to perMinute with
// the given burst, answering 429 with Retry-After set to retryAfter (rounded
// up to whole seconds; 0 = no header, as the hosted service's load balancer
// does). perMinute <= 0 removes the limit.
func (s *Server) SetRateLimit(perMinute int, burst int, retryAfter time.Duration) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if perMinute <= 0 {
		s.limiter = nil
		return
	}
	if burst <= 0 {
		burst = 1
	}
	s.limiter = &rateLimiter{perMinute: perMinute, burst: burst, retryAfter: retryAfter, buckets: map[string]*bucket{}}
}

// allowRate takes a token for key; ok is false when the bucket is empty.
func (s *Server) allowRate(key string) (ok bool, retryAfter time.Duration) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	l := s.limiter
	if l == nil {
		return true, 0
	}
	now := s.cfg.Now()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.burst), last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(float64(l.burst), b.tokens+elapsed.Minutes()*float64(l.perMinute))
	}
	b.last = now
	if b.tokens < 1 {
		return false, l.retryAfter
	}
	b.tokens--
	return true, 0
}
