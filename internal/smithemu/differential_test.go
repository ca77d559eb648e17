package smithemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/internal/smithemu/internal/emuoracle"
)

// The emulator before its runs were kept as raw JSON text and its ingest checked in one pass
// (emuoracle, frozen) is the oracle of the tests below: the same requests into both must get
// the same status, headers and body, and leave runs that every query renders alike (/_emu/runs,
// /_emu/trees, /_emu/requests, /_emu/projects, /runs/query with every column, the Go API's
// Runs, Trace, Trees and Feedback, and the trees OnTraceComplete reports).

// diffPair is the emulator and its oracle with the same configuration.
type diffPair struct {
	emu, oracle http.Handler
	newSrv      *Server
	oldSrv      *emuoracle.Server
	// completed collects each side's OnTraceComplete reports as JSON.
	newDone, oldDone []string
}

func newDiffPair(maxRuns, maxName int) *diffPair {
	p := &diffPair{}
	now := func() time.Time { return testNow }
	cfg := DefaultConfig()
	cfg.Now, cfg.MaxRunsPerTrace, cfg.MaxNameLength = now, maxRuns, maxName
	cfg.APIKeys = map[string]string{"k-any": "", "k-proj": "proj"}
	cfg.OnTraceComplete = func(project string, root *TreeNode) {
		b, _ := json.Marshal(root)
		p.newDone = append(p.newDone, project+" "+string(b))
	}
	old := emuoracle.DefaultConfig()
	old.Now, old.MaxRunsPerTrace, old.MaxNameLength = now, maxRuns, maxName
	old.APIKeys = map[string]string{"k-any": "", "k-proj": "proj"}
	old.OnTraceComplete = func(project string, root *emuoracle.TreeNode) {
		b, _ := json.Marshal(root)
		p.oldDone = append(p.oldDone, project+" "+string(b))
	}
	p.newSrv, p.oldSrv = New(cfg), emuoracle.New(old)
	p.emu, p.oracle = p.newSrv, p.oldSrv
	return p
}

// diffRequest is one request of a differential case.
type diffRequest struct {
	method, path string
	headers      map[string]string
	body         []byte
}

// do sends r to both sides and fails unless the answers are the same.
func (p *diffPair) do(t *testing.T, r diffRequest) (status int, body string) {
	t.Helper()
	answer := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(r.body))
		for k, v := range r.headers {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	got, want := answer(p.emu), answer(p.oracle)
	gotBody, wantBody := p.normalize(got.Body.String(), true), p.normalize(want.Body.String(), false)
	require.Equal(t, want.Code, got.Code, "status of %s %s: %.300s", r.method, r.path, gotBody)
	requireSameText(t, wantBody, gotBody, "body of "+r.method+" "+r.path)
	require.Equal(t, want.Header(), got.Header(), "headers of %s %s", r.method, r.path)
	return got.Code, gotBody
}

// normalize replaces the projects' ids, which each side draws at random, by their names.
func (p *diffPair) normalize(s string, isNew bool) string {
	var pairs []string
	if isNew {
		for _, pr := range p.newSrv.Projects() {
			pairs = append(pairs, pr.ID, "<project "+pr.Name+">")
		}
	} else {
		for _, pr := range p.oldSrv.Projects() {
			pairs = append(pairs, pr.ID, "<project "+pr.Name+">")
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// check compares everything a client or a test can read back from both sides.
func (p *diffPair) check(t *testing.T, traceIDs ...string) {
	t.Helper()
	get := func(path string) { p.do(t, diffRequest{method: http.MethodGet, path: path}) }
	for _, path := range []string{"/_emu/runs", "/_emu/runs?project=proj", "/_emu/trees", "/_emu/trees?project=default",
		"/_emu/requests", "/_emu/projects"} {
		get(path)
	}
	columns, _ := json.Marshal(querySelectable)
	for _, key := range []string{"k-any", "k-proj"} {
		for _, tid := range traceIDs {
			get("/_emu/runs?trace_id=" + tid)
			get("/_emu/trees?trace_id=" + tid)
			for _, order := range []string{"asc", "desc"} {
				p.do(t, diffRequest{method: http.MethodPost, path: "/runs/query",
					headers: map[string]string{"Content-Type": "application/json", "X-Api-Key": key},
					body:    fmt.Appendf(nil, `{"trace":%q,"select":%s,"order":%q}`, tid, columns, order)})
			}
		}
		for _, pr := range p.oldSrv.Projects() {
			newID := ""
			for _, np := range p.newSrv.Projects() {
				if np.Name == pr.Name {
					newID = np.ID
				}
			}
			body := func(id string) []byte {
				return fmt.Appendf(nil, `{"session":[%q],"select":%s,"limit":7}`, id, columns)
			}
			h := map[string]string{"Content-Type": "application/json", "X-Api-Key": key}
			reqNew := httptest.NewRequest(http.MethodPost, "/runs/query", bytes.NewReader(body(newID)))
			reqOld := httptest.NewRequest(http.MethodPost, "/runs/query", bytes.NewReader(body(pr.ID)))
			for k, v := range h {
				reqNew.Header.Set(k, v)
				reqOld.Header.Set(k, v)
			}
			wn, wo := httptest.NewRecorder(), httptest.NewRecorder()
			p.emu.ServeHTTP(wn, reqNew)
			p.oracle.ServeHTTP(wo, reqOld)
			require.Equal(t, wo.Code, wn.Code)
			requireSameText(t, p.normalize(wo.Body.String(), false), p.normalize(wn.Body.String(), true), "session query")
		}
	}
	requireSameShape(t, p.oldSrv.Runs(""), p.newSrv.Runs(""), "Runs")
	requireSameShape(t, p.oldSrv.Trees(""), p.newSrv.Trees(""), "Trees")
	for _, tid := range traceIDs {
		requireSameShape(t, p.oldSrv.Trace("", tid), p.newSrv.Trace("", tid), "Trace")
	}
	requireSameShape(t, p.oldSrv.Feedback(), p.newSrv.Feedback(), "Feedback")
	// commit reports the traces a request completed in map order: compare them as sets.
	slices.Sort(p.oldDone)
	slices.Sort(p.newDone)
	requireSameText(t, strings.Join(p.oldDone, "\n"), strings.Join(p.newDone, "\n"), "OnTraceComplete")
}

// requireSameText fails unless got is want, showing where they part rather than both.
func requireSameText(t *testing.T, want, got, what string) {
	t.Helper()
	if want == got {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-200)
	t.Fatalf("%s: differs at byte %d of %d/%d:\nwant …%.400s\ngot  …%.400s", what, i, len(want), len(got), want[from:], got[from:])
}

// requireSameShape fails unless want (of emuoracle's types) and got (of this package's) hold
// the same values field by field, nil and empty told apart: what the page and the tests read.
func requireSameShape(t *testing.T, want, got any, what string) {
	t.Helper()
	if err := sameShape(reflect.ValueOf(want), reflect.ValueOf(got), what); err != nil {
		t.Fatal(err)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func sameShape(a, b reflect.Value, path string) error {
	if a.IsValid() != b.IsValid() {
		return fmt.Errorf("%s: valid %v, got %v", path, a.IsValid(), b.IsValid())
	}
	if !a.IsValid() {
		return nil
	}
	if a.Kind() != b.Kind() {
		return fmt.Errorf("%s: kind %s, got %s", path, a.Kind(), b.Kind())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() != b.IsNil() {
			return fmt.Errorf("%s: nil %v, got %v", path, a.IsNil(), b.IsNil())
		}
		if a.IsNil() {
			return nil
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return fmt.Errorf("%s: type %s, got %s", path, a.Elem().Type(), b.Elem().Type())
		}
		return sameShape(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		if a.Type() == timeType {
			ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
			if !ta.Equal(tb) || ta.Location().String() != tb.Location().String() {
				return fmt.Errorf("%s: %v, got %v", path, ta, tb)
			}
			return nil
		}
		for i := range a.NumField() {
			name := a.Type().Field(i).Name
			if b.Type().Field(i).Name != name {
				return fmt.Errorf("%s: field %s, got %s", path, name, b.Type().Field(i).Name)
			}
			if err := sameShape(a.Field(i), b.Field(i), path+"."+name); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Errorf("%s: map nil %v len %d, got nil %v len %d", path, a.IsNil(), a.Len(), b.IsNil(), b.Len())
		}
		for _, k := range a.MapKeys() {
			if err := sameShape(a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", path, k)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return fmt.Errorf("%s: slice nil %v len %d, got nil %v len %d", path, a.IsNil(), a.Len(), b.IsNil(), b.Len())
		}
		for i := range a.Len() {
			if err := sameShape(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if a.String() != b.String() {
			return fmt.Errorf("%s: %q, got %q", path, a.String(), b.String())
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return fmt.Errorf("%s: %v, got %v", path, a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int64, reflect.Uint64:
		if !a.Equal(b) {
			return fmt.Errorf("%s: %v, got %v", path, a, b)
		}
	case reflect.Float64:
		if a.Float() != b.Float() {
			return fmt.Errorf("%s: %v, got %v", path, a.Float(), b.Float())
		}
	default:
		return fmt.Errorf("%s: kind %s not compared", path, a.Kind())
	}
	return nil
}

// Fixtures of the differential cases: a trace of a root, a child and a grandchild.

func diffMultipart(headers map[string]string, parts ...mpPart) diffRequest {
	h := map[string]string{"Content-Type": "multipart/form-data; boundary=" + testBoundary, "X-Api-Key": "k-any"}
	for k, v := range headers {
		h[k] = v
	}
	return diffRequest{method: http.MethodPost, path: "/runs/multipart", headers: h, body: multipartBody(parts...)}
}

func diffBatch(t *testing.T, posts, patches []map[string]any) diffRequest {
	return diffRequest{method: http.MethodPost, path: "/runs/batch", body: mustJSON(t, map[string]any{"post": posts, "patch": patches}),
		headers: map[string]string{"Content-Type": "application/json", "X-Api-Key": "k-any"}}
}

// rawPart is a JSON part with the given text, as the JS SDK frames it.
func rawPart(name, text string) mpPart {
	return mpPart{name: name, headers: []string{fmt.Sprintf("Content-Type: application/json; length=%d", len(text))}, body: []byte(text)}
}

func zstdRequest(t *testing.T, r diffRequest) diffRequest {
	enc, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	r.body = enc.EncodeAll(r.body, nil)
	r.headers["Content-Encoding"] = "zstd"
	return r
}

// diffCases are request sequences near every path of the ingest: the exporter's own bodies,
// field parts and inline fields, patches merging extra.metadata, nulls, wrong types, invalid
// JSON in and around the kept fields, conflicts, the limits, feedback and attachments.
func diffCases(t *testing.T) map[string][]diffRequest {
	ct, body := benchMultipartBody(t)
	exporter := diffRequest{method: http.MethodPost, path: "/runs/multipart", body: body,
		headers: map[string]string{"Content-Type": ct, "X-Api-Key": "k-any"}}
	rootMain := `{"id":"` + rootID + `","trace_id":"` + rootID + `","name":"root","run_type":"chain","start_time":"` + iso(0) +
		`","dotted_order":"` + seg(0, rootID) + `","session_name":"proj"`
	childMain := `{"id":"` + childID + `","trace_id":"` + rootID + `","parent_run_id":"` + rootID + `","name":"child","run_type":"llm","start_time":"` +
		iso(time.Millisecond) + `","dotted_order":"` + seg(0, rootID) + "." + seg(time.Millisecond, childID) + `","session_name":"proj"`
	post := func(main, extra string) mpPart { return rawPart("post."+rootID, main+extra+"}") }
	end := `,"end_time":"` + iso(time.Second) + `"`
	bad := map[string][]diffRequest{}
	for i, v := range []string{
		`{"messages":[{"role":"user","content":"hi \u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"}]}`, `[]`, `{}`, `[1,2,3]`, `null`, `"text"`, `12`,
		`true`, `{"a":1e400}`, `{"a":1e-400}`, `{"a":-0.0,"b":1.5E+3,"c":12345678901234567890}`, `{"a":"\x"}`, `{"a":"\u12g4"}`,
		"{\"a\":\"\x01\"}", "{\"a\":\"\xff\xfe\"}", `{"a":[1,]}`, `{"a":}`, `{"a" 1}`, `{"a":1}x`, `{"a":1`, ` {"a" : [ 1 , {} ] } `,
		`{"a":1,"a":{"b":null}}`, `{"messages":[{"role":"assistant","tool_calls":[]},{"content":"x"},3]}`,
		`{"usage_metadata":{"input_tokens":3}}`, strings.Repeat(`[`, 600) + strings.Repeat(`]`, 600),
		strings.Repeat(`{"a":`, 499) + `1` + strings.Repeat(`}`, 499), `{"\u0061":1,"b\"":2}`, "",
	} {
		for _, field := range []string{"inputs", "outputs", "extra", "events", "serialized", "error"} {
			name := fmt.Sprintf("value %d as %s", i, field)
			bad[name+" part"] = []diffRequest{diffMultipart(nil, post(rootMain, ""), rawPart("post."+rootID+"."+field, v))}
			if v != "" {
				bad[name+" inline"] = []diffRequest{diffMultipart(nil, post(rootMain, `,"`+field+`":`+v))}
				bad[name+" batch"] = []diffRequest{{method: http.MethodPost, path: "/runs/batch",
					headers: map[string]string{"Content-Type": "application/json", "X-Api-Key": "k-any"},
					body:    []byte(`{"post":[` + rootMain + `,"` + field + `":` + v + `}]}`)}}
			}
		}
	}
	cases := map[string][]diffRequest{
		"exporter body":             {exporter},
		"exporter body zstd":        {zstdRequest(t, exporter)},
		"exporter body twice (409)": {exporter, exporter},
		"post then patches merging extra": {
			diffMultipart(nil, post(rootMain, `,"extra":{"metadata":{"a":1,"n":{"x":1}},"invocation_params":{"m":"x"}},"inputs":{"q":"x"}`)),
			diffMultipart(nil, rawPart("patch."+rootID, `{"id":"`+rootID+`","trace_id":"`+rootID+`","dotted_order":"`+seg(0, rootID)+`","extra":{"metadata":{"b":2,"n":{"y":2}},"runtime":null}}`)),
			diffMultipart(nil, rawPart("patch."+rootID, `{"id":"`+rootID+`","trace_id":"`+rootID+`","dotted_order":"`+seg(0, rootID)+`"`+end+`,"outputs":{"a":[1,{"b":null}]}}`),
				rawPart("patch."+rootID+".extra", `{"metadata":{"c":3}}`)),
			diffMultipart(nil, rawPart("patch."+rootID, `{"id":"`+rootID+`","trace_id":"`+rootID+`","dotted_order":"`+seg(0, rootID)+`","outputs":{"again":1}}`)),
		},
		"patch before post": {
			diffMultipart(nil, rawPart("patch."+childID, `{"id":"`+childID+`","trace_id":"`+rootID+`","parent_run_id":"`+rootID+`","dotted_order":"`+seg(0, rootID)+"."+seg(time.Millisecond, childID)+`"`+end+`,"outputs":{"o":1},"extra":{"metadata":{"late":true}}}`)),
			diffMultipart(nil, post(rootMain, end), rawPart("post."+childID, childMain+`,"extra":{"metadata":{"early":true}},"inputs":{"messages":[{"role":"user"}]}}`)),
		},
		"post and patch in one request, field parts win": {
			diffMultipart(nil, rawPart("post."+rootID+".inputs", `{"from":"part"}`), post(rootMain, `,"inputs":{"from":"inline"},"extra":null,"events":[{"name":"e"}]`),
				rawPart("patch."+rootID, `{"id":"`+rootID+`","trace_id":"`+rootID+`","dotted_order":"`+seg(0, rootID)+`"`+end+`}`),
				rawPart("patch."+rootID+".outputs", `{"messages":[{"role":"assistant","content":"x"}],"usage_metadata":{"input_tokens":1}}`)),
		},
		"duplicate parts": {
			diffMultipart(nil, post(rootMain, ""), rawPart("post."+rootID+".inputs", `{}`), rawPart("post."+rootID+".inputs", `{}`)),
			diffMultipart(nil, post(rootMain, ""), post(rootMain, "")),
		},
		"feedback, attachments and a second post": {
			diffMultipart(nil, post(rootMain, ""), rawPart("feedback."+otherID, `{"trace_id":"`+rootID+`","key":"k","score":1}`),
				mpPart{name: "attachment." + rootID + ".img", headers: []string{"Content-Type: image/png", "Content-Length: 3"}, body: []byte("png")}),
			diffMultipart(nil, rawPart("attachment."+rootID+".x", "{}")),
			diffMultipart(nil, post(rootMain, "")),
		},
		"limits": {
			diffMultipart(nil, post(rootMain, `,"name":"`+strings.Repeat("n", 129)+`"`)),
			diffMultipart(nil, post(strings.Replace(rootMain, iso(0), testNow.Add(-30*time.Hour).Format(time.RFC3339Nano), 1), "")),
			diffMultipart(map[string]string{"X-Api-Key": "k-proj"}, post(rootMain, "")),
			diffMultipart(map[string]string{"X-Api-Key": "nope"}, post(rootMain, "")),
			diffMultipart(nil, post(rootMain, ""), rawPart("post."+childID, childMain+"}"), rawPart("post."+grandID,
				`{"id":"`+grandID+`","trace_id":"`+rootID+`","parent_run_id":"`+childID+`","name":"g","run_type":"tool","dotted_order":"`+
					seg(0, rootID)+"."+seg(time.Millisecond, childID)+"."+seg(2*time.Millisecond, grandID)+`"}`)),
		},
		"uppercase trace and parent ids, canonicalized by the ingest": {
			diffMultipart(nil, post(strings.Replace(rootMain, `"trace_id":"`+rootID, `"trace_id":"`+strings.ToUpper(rootID), 1), end),
				rawPart("post."+childID, strings.Replace(childMain, `"parent_run_id":"`+rootID, `"parent_run_id":"`+strings.ToUpper(rootID), 1)+end+"}")),
		},
		"uppercase ids and keys out of the known set": {
			diffMultipart(nil, rawPart("post."+strings.ToUpper(rootID), strings.ReplaceAll(rootMain, `"id":"`+rootID, `"id":"`+strings.ToUpper(rootID))+`,"custom":{"k":[1]},"tags":["a","b"],"status":"ok","reference_example_id":null}`)),
		},
		"batch and REST routes": {
			diffBatch(t, []map[string]any{rootRun(), childRun()}, []map[string]any{with(childRun(), "end_time", iso(time.Second), "outputs", map[string]any{"o": []any{1.0}})}),
			{method: http.MethodPatch, path: "/runs/" + rootID, headers: map[string]string{"Content-Type": "application/json", "X-Api-Key": "k-any"},
				body: []byte(`{"end_time":"` + iso(2*time.Second) + `","extra":{"metadata":{"p":1}},"events":[]}`)},
			{method: http.MethodPost, path: "/runs", headers: map[string]string{"Content-Type": "application/json", "X-Api-Key": "k-any"},
				body: []byte(`{"id":"` + grandID + `","parent_run_id":"` + childID + `","name":"g","run_type":"tool","start_time":"` + iso(3*time.Millisecond) + `","inputs":{"i":1}}`)},
		},
	}
	for k, v := range bad {
		cases[k] = v
	}
	return cases
}

func TestIngestMatchesOracle(t *testing.T) {
	for name, reqs := range diffCases(t) {
		t.Run(name, func(t *testing.T) {
			p := newDiffPair(0, 0)
			for _, r := range reqs {
				p.do(t, r)
			}
			p.check(t, rootID, "019cb737-98fb-7398-89bc-6d63798b4571")
		})
	}
	t.Run("trace cap", func(t *testing.T) {
		p := newDiffPair(2, 0)
		for _, r := range diffCases(t)["limits"] {
			p.do(t, r)
		}
		p.check(t, rootID)
	})
}

// FuzzIngestMatchesOracle fuzzes a run's main part, one of its field parts and a later patch,
// each framed as the SDKs frame it, so that the fuzzer works on the JSON the ingest checks and
// keeps rather than on the framing; and then the framing too, as the raw body of a request.
func FuzzIngestMatchesOracle(f *testing.F) {
	rootMain := `{"id":"` + rootID + `","trace_id":"` + rootID + `","name":"root","run_type":"chain","start_time":"` + iso(0) +
		`","dotted_order":"` + seg(0, rootID) + `","session_name":"proj","extra":{"metadata":{"a":1}}}`
	patch := `{"id":"` + rootID + `","trace_id":"` + rootID + `","dotted_order":"` + seg(0, rootID) + `","end_time":"` + iso(time.Second) +
		`","extra":{"metadata":{"b":[1,"x"]}},"outputs":{"messages":[{"role":"assistant","content":"ok"}]}}`
	_, exporter := benchMultipartBody(f)
	f.Add([]byte(rootMain), uint8(0), []byte(`{"messages":[{"role":"user","content":"hi"}]}`), []byte(patch), []byte(nil))
	f.Add([]byte(rootMain), uint8(3), []byte(`[{"name":"e","time":1.5}]`), []byte(patch), []byte(nil))
	f.Add([]byte(rootMain), uint8(2), []byte(`{"metadata":{"c":{"d":null}}}`), []byte(`{}`), []byte(nil))
	f.Add([]byte(`{"id":null}`), uint8(5), []byte(`"boom"`), []byte(patch), []byte(nil))
	f.Add([]byte(nil), uint8(0), []byte(nil), []byte(nil), exporter[:4096])
	f.Fuzz(func(t *testing.T, main []byte, field uint8, value, patchMain, rawBody []byte) {
		p := newDiffPair(0, 0)
		if len(rawBody) > 0 {
			p.do(t, diffRequest{method: http.MethodPost, path: "/runs/multipart", body: rawBody,
				headers: map[string]string{"Content-Type": "multipart/form-data; boundary=benchboundary0123456789", "X-Api-Key": "k-any"}})
			p.check(t, "019cb737-98fb-7398-89bc-6d63798b4571")
			return
		}
		fields := []string{"inputs", "outputs", "extra", "events", "serialized", "error"}
		p.do(t, diffMultipart(nil, rawPart("post."+rootID, string(main)), rawPart("post."+rootID+"."+fields[int(field)%len(fields)], string(value))))
		p.do(t, diffMultipart(nil, rawPart("patch."+rootID, string(patchMain))))
		p.do(t, diffRequest{method: http.MethodPost, path: "/runs/batch", headers: map[string]string{"Content-Type": "application/json", "X-Api-Key": "k-any"},
			body: []byte(`{"post":[` + string(main) + `],"patch":[` + string(patchMain) + `]}`)})
		p.check(t, rootID)
	})
}
