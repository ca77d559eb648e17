package smithemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRejections(t *testing.T) {
	hour := testNow.Add(-time.Hour)
	rootSeg := seg(0, rootID)
	threeDigits := hour.Format("20060102T150405") + "123Z" + rootID
	nineDigits := hour.Format("20060102T150405") + "123456789Z" + rootID
	mp := func(parts ...mpPart) func(*testing.T, *httptest.Server) response {
		return func(t *testing.T, srv *httptest.Server) response { return postMultipart(t, srv, nil, parts...) }
	}
	posts := func(runs ...map[string]any) []mpPart {
		var parts []mpPart
		for _, r := range runs {
			parts = append(parts, runParts(t, "post", r)...)
		}
		return parts
	}
	withKey := func(key string, parts ...mpPart) func(*testing.T, *httptest.Server) response {
		return func(t *testing.T, srv *httptest.Server) response {
			h := map[string]string{}
			if key != "" {
				h["X-API-KEY"] = key // header name case must not matter
			}
			return postMultipart(t, srv, h, parts...)
		}
	}
	keys := func(c *Config) { c.APIKeys = map[string]string{"k-any": "", "k-proj": "proj", "k-other": "other"} }
	bigInputs := map[string]any{"blob": string(bytes.Repeat([]byte("a"), 4096))}

	tests := []struct {
		name   string
		cfg    func(*Config)
		setup  func(*testing.T, *httptest.Server) response // must succeed
		send   func(*testing.T, *httptest.Server) response
		status int
		msg    []string
	}{
		{
			name: "3-digit fraction", send: mp(posts(with(rootRun(), "dotted_order", threeDigits))...), status: 400,
			msg: []string{"Bad request: invalid 'dotted_order': invalid timestamp format in dotted_order: cannot parse '.123' as '.000000' for run_id:" + rootID + " trace_id:" + rootID + " dotted_order:" + threeDigits + " parent_run_id:<nil>"},
		},
		{
			name: "9-digit fraction", send: mp(posts(with(rootRun(), "dotted_order", nineDigits))...), status: 400,
			msg: []string{"invalid 'dotted_order': invalid timestamp in dotted_order " + nineDigits[:len(nineDigits)-37] + " at index 0: parsing time", `as "2006-01-02T15:04:05.999999999Z07:00"`},
		},
		{
			name: "root with two segments", send: mp(posts(with(rootRun(), "dotted_order", rootSeg+"."+seg(time.Millisecond, rootID)))...), status: 400,
			msg: []string{"dotted_order must contain a single part for root runs for run_id:" + rootID, "parent_run_id:<nil>"},
		},
		{
			name: "child with one segment", send: mp(posts(rootRun(), with(childRun(), "dotted_order", seg(time.Millisecond, childID)))...), status: 400,
			msg: []string{"dotted_order must contain at least two parts for child runs for run_id:" + childID, "parent_run_id:" + rootID},
		},
		{
			name: "trace_id mismatch", send: mp(posts(with(rootRun(), "trace_id", otherID))...), status: 400,
			msg: []string{"trace_id " + otherID + " does not match first part of dotted_order " + rootID},
		},
		{
			name: "last id mismatch", send: mp(posts(rootRun(), with(childRun(), "dotted_order", rootSeg+"."+seg(time.Millisecond, otherID)))...), status: 400,
			msg: []string{"run_id " + childID + " does not match last part of dotted_order " + otherID},
		},
		{
			name: "parent mismatch", send: mp(posts(rootRun(), childRun(), with(grandRun(), "parent_run_id", rootID))...), status: 400,
			msg: []string{"parent_run_id " + rootID + " does not match second to last part of dotted_order " + childID},
		},
		{
			name: "child earlier than parent", send: mp(posts(rootRun(), with(childRun(), "dotted_order", rootSeg+"."+seg(-3*time.Microsecond, childID)))...), status: 400,
			msg: []string{"dotted_order has timestamp " + hour.Add(-3*time.Microsecond).Format("2006-01-02 15:04:05.000000") + " earlier than parent timestamp " + hour.Format("2006-01-02 15:04:05.000000")},
		},
		{
			name: "bad run_type", send: mp(posts(with(rootRun(), "run_type", "agent"))...), status: 400,
			msg: []string{`invalid 'run_type': "agent" is not a valid run type`},
		},
		{
			name: "bad trace_id uuid", send: mp(posts(with(rootRun(), "trace_id", "not-a-uuid"))...), status: 400,
			msg: []string{`invalid 'trace_id': "not-a-uuid" is not a valid UUID`},
		},
		{
			name: "bad id in batch", status: 400, msg: []string{"post[0]: invalid 'id': 12345 is not a UUID"},
			send: func(t *testing.T, srv *httptest.Server) response {
				return postBatch(t, srv, nil, []map[string]any{with(rootRun(), "id", "12345")}, nil)
			},
		},
		{
			name: "inputs not an object", send: mp(posts(with(rootRun(), "inputs", "hello"))...), status: 400,
			msg: []string{"invalid 'inputs': expected an object, got string"},
		},
		{
			name: "outputs array in batch", status: 400, msg: []string{"invalid 'outputs': expected an object, got array"},
			send: func(t *testing.T, srv *httptest.Server) response {
				return postBatch(t, srv, nil, []map[string]any{with(rootRun(), "outputs", []any{1})}, nil)
			},
		},
		{
			name: "error not a string", send: mp(posts(with(rootRun(), "error", map[string]any{"msg": "x"}))...), status: 400,
			msg: []string{"invalid 'error': expected a string, got object"},
		},
		{
			name: "events not an array", send: mp(posts(with(rootRun(), "events", map[string]any{}))...), status: 400,
			msg: []string{"invalid 'events': expected an array, got object"},
		},
		{
			name: "missing name", send: mp(posts(with(rootRun(), "name", nil))...), status: 400,
			msg: []string{"invalid 'name': name is required"},
		},
		{
			name: "unparsable start_time", send: mp(posts(with(rootRun(), "start_time", "yesterday"))...), status: 400,
			msg: []string{`invalid 'start_time': "yesterday" is not an ISO-8601 timestamp`},
		},
		{
			name: "start_time outside 24h window", status: 400, msg: []string{"invalid 'start_time'", "outside the accepted window of 24h0m0s"},
			send: mp(posts(with(rootRun(), "start_time", testNow.Add(-25*time.Hour).Format(time.RFC3339Nano),
				"dotted_order", dottedSegment(testNow.Add(-25*time.Hour), rootID)))...),
		},
		{
			name: "part without length", status: 400, msg: []string{`part "post.` + rootID + `" needs a Content-Length header or a length parameter`},
			send: mp(mpPart{name: "post." + rootID, headers: []string{"Content-Type: application/json"}, body: mustJSON(t, rootRun())}),
		},
		{
			name: "part without content type", status: 400, msg: []string{`part "post.` + rootID + `" has no Content-Type`},
			send: mp(mpPart{name: "post." + rootID, headers: []string{"Content-Length: 2"}, body: []byte("{}")}),
		},
		{
			name: "part length mismatch", status: 400, msg: []string{"declares length 3 but carries 2 bytes"},
			send: mp(mpPart{name: "post." + rootID + ".inputs", headers: []string{"Content-Type: application/json; length=3"}, body: []byte("{}")}),
		},
		{
			name: "per-part content encoding", status: 400, msg: []string{"per-part Content-Encoding"},
			send: mp(mpPart{name: "post." + rootID, headers: []string{"Content-Type: application/json; length=2", "Content-Encoding: gzip"}, body: []byte("{}")}),
		},
		{
			name: "unknown part name", status: 400, msg: []string{`unknown part name "comment.` + rootID + `"`},
			send: mp(append(posts(rootRun()), jsonPart(t, "comment."+rootID, map[string]any{}))...),
		},
		{
			name: "unknown field part", status: 400, msg: []string{`unknown part name "post.` + rootID + `.metadata"`},
			send: mp(append(posts(rootRun()), jsonPart(t, "post."+rootID+".metadata", map[string]any{}))...),
		},
		{
			name: "invalid JSON part", status: 400, msg: []string{"is not valid JSON"},
			send: mp(append(posts(rootRun()), mpPart{name: "post." + rootID + ".inputs", headers: []string{"Content-Type: application/json; length=5"}, body: []byte("{nope")})...),
		},
		{
			name: "missing dotted_order in batch", status: 400,
			msg: []string{"invalid 'dotted_order': dotted_order is required for run_id:" + rootID},
			send: func(t *testing.T, srv *httptest.Server) response {
				return postBatch(t, srv, nil, []map[string]any{with(rootRun(), "dotted_order", nil)}, nil)
			},
		},
		{
			name: "missing trace_id in multipart patch", status: 400, msg: []string{"invalid 'trace_id': trace_id is required"},
			send: mp(runParts(t, "patch", map[string]any{"id": rootID, "dotted_order": rootSeg, "end_time": iso(time.Second)})...),
		},
		{
			name: "unknown session_id", status: 400, msg: []string{"invalid 'session_id': project " + otherID + " not found"},
			send: mp(posts(with(rootRun(), "session_name", nil, "session_id", otherID))...),
		},
		{
			name: "over size limit", status: 413, msg: []string{"Request Entity Too Large"},
			cfg:  func(c *Config) { c.SizeLimitBytes, c.SizeSlackBytes = 2048, 0 },
			send: mp(posts(with(rootRun(), "inputs", bigInputs))...),
		},
		{
			name: "over size limit once decompressed", status: 413, msg: []string{"Request Entity Too Large"},
			cfg: func(c *Config) { c.SizeLimitBytes, c.SizeSlackBytes = 2048, 0 },
			send: func(t *testing.T, srv *httptest.Server) response {
				body := multipartBody(posts(with(rootRun(), "inputs", bigInputs))...)
				enc, err := zstd.NewWriter(nil)
				require.NoError(t, err)
				compressed := enc.EncodeAll(body, nil)
				require.Less(t, len(compressed), 2048)
				return send(t, http.MethodPost, srv.URL+"/runs/multipart", compressed, map[string]string{
					"Content-Type": "multipart/form-data; boundary=" + testBoundary, "Content-Encoding": "zstd"})
			},
		},
		{
			name: "unsupported content encoding", status: 400, msg: []string{`unsupported Content-Encoding "br"`},
			send: func(t *testing.T, srv *httptest.Server) response {
				return send(t, http.MethodPost, srv.URL+"/runs/multipart", multipartBody(posts(rootRun())...), map[string]string{
					"Content-Type": "multipart/form-data; boundary=" + testBoundary, "Content-Encoding": "br"})
			},
		},
		{name: "missing key", cfg: keys, send: withKey("", posts(rootRun())...), status: 401, msg: []string{"Invalid token"}},
		{name: "unknown key", cfg: keys, send: withKey("k-nope", posts(rootRun())...), status: 401, msg: []string{"Invalid token"}},
		{
			name: "key bound to another project", cfg: keys, status: 403, msg: []string{"Forbidden"},
			send: withKey("k-other", posts(rootRun())...),
		},
		{
			name: "key bound to another project patches a run", cfg: keys, status: 403, msg: []string{"Forbidden"},
			setup: withKey("k-proj", posts(rootRun())...),
			send:  withKey("k-other", runParts(t, "patch", with(rootRun(), "session_name", nil, "end_time", iso(time.Second)))...),
		},
		{
			name: "duplicate post", status: 409, msg: []string{"Conflict: payload already received: payloads already received"},
			setup: mp(posts(rootRun())...), send: mp(posts(rootRun())...),
		},
		{
			name: "duplicate post in one request", status: 409, msg: []string{"Conflict: payload already received"},
			send: mp(append(posts(rootRun()), posts(rootRun())[0])...),
		},
		{
			name: "re-patch outputs", status: 409, msg: []string{"Conflict: payload already received"},
			setup: mp(append(posts(rootRun()), runParts(t, "patch", with(rootRun(), "outputs", map[string]any{"a": 1}))...)...),
			send:  mp(runParts(t, "patch", with(rootRun(), "outputs", map[string]any{"a": 2}))...),
		},
		{
			name: "patch re-sets end_time set by post", status: 409, msg: []string{"Conflict: payload already received"},
			setup: mp(posts(with(rootRun(), "end_time", iso(time.Second)))...),
			send:  mp(runParts(t, "patch", with(rootRun(), "end_time", iso(2*time.Second)))...),
		},
		{
			name: "two patches setting outputs in one request", status: 409, msg: []string{"Conflict"},
			setup: mp(posts(rootRun())...),
			send: func(t *testing.T, srv *httptest.Server) response {
				return postBatch(t, srv, nil, nil, []map[string]any{
					with(rootRun(), "outputs", map[string]any{"a": 1}), with(rootRun(), "outputs", map[string]any{"a": 2})})
			},
		},
		{
			name: "one bad run rejects the whole request", status: 400, msg: []string{"invalid 'run_type'"},
			send: mp(posts(rootRun(), childRun(), with(grandRun(), "run_type", "agent"))...),
		},
		{
			name: "one duplicate rejects the whole request", status: 409, msg: []string{"Conflict"},
			setup: mp(posts(childRun())...),
			send:  mp(posts(rootRun(), childRun(), grandRun())...),
		},
		{
			name: "trace over run cap", status: 400, msg: []string{"trace " + rootID + " has reached the limit of 2 runs"},
			cfg:   func(c *Config) { c.MaxRunsPerTrace = 2 },
			setup: mp(posts(rootRun(), childRun())...),
			send:  mp(posts(grandRun())...),
		},
		{
			name: "PATCH of unknown run", status: 404, msg: []string{"Run " + otherID + " not found"},
			send: func(t *testing.T, srv *httptest.Server) response {
				return send(t, http.MethodPatch, srv.URL+"/runs/"+otherID, mustJSON(t, map[string]any{"end_time": iso(time.Second)}), nil)
			},
		},
		{
			name: "multipart disabled", status: 404, cfg: func(c *Config) { c.DisableMultipart = true },
			send: mp(posts(rootRun())...), msg: []string{"Not Found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, _ := startEmu(t, tt.cfg)
			if tt.setup != nil {
				r := tt.setup(t, srv)
				require.Equal(t, http.StatusAccepted, r.status, "setup: %s", r.raw)
			}
			before := s.Runs("")
			r := tt.send(t, srv)
			assert.Equal(t, tt.status, r.status, r.raw)
			for _, m := range tt.msg {
				assert.Contains(t, errMsg(r), m)
			}
			assert.Equal(t, before, s.Runs(""), "a rejected request must store nothing")
			reqs := s.Requests()
			assert.Equal(t, tt.status, reqs[len(reqs)-1].Status)
		})
	}
}

// TestAccepted covers shapes the SDKs send that must pass.
func TestAccepted(t *testing.T) {
	naive := testNow.Add(-time.Hour).Format("2006-01-02T15:04:05.000000")
	tests := []struct {
		name string
		send func(*testing.T, *httptest.Server) response
	}{
		{"Content-Length part headers", func(t *testing.T, srv *httptest.Server) response {
			var parts []mpPart
			for _, r := range []map[string]any{with(rootRun(), "inputs", map[string]any{"q": 1}), childRun()} {
				for _, p := range runParts(t, "post", r) {
					parts = append(parts, goPart(t, p.name, jsonOf(t, p.body)))
				}
			}
			return postMultipart(t, srv, nil, parts...)
		}},
		{"naive and offset timestamps, epoch ms", func(t *testing.T, srv *httptest.Server) response {
			return postMultipart(t, srv, nil, append(
				runParts(t, "post", with(rootRun(), "start_time", naive, "end_time", float64(testNow.Add(-time.Hour+time.Second).UnixMilli()))),
				runParts(t, "post", with(childRun(), "start_time", testNow.Add(-time.Hour+time.Millisecond).Format("2006-01-02T15:04:05.000000+00:00")))...)...)
		}},
		{"extra and error inline in the main part", func(t *testing.T, srv *httptest.Server) response {
			main := with(rootRun(), "extra", map[string]any{"metadata": map[string]any{"a": 1}}, "error", "boom", "end_time", iso(time.Second))
			return postMultipart(t, srv, nil, jsonPart(t, "post."+rootID, main))
		}},
		{"attachments and feedback", func(t *testing.T, srv *httptest.Server) response {
			return postMultipart(t, srv, nil, append(runParts(t, "post", rootRun()),
				mpPart{name: "attachment." + rootID + ".img", headers: []string{"Content-Type: image/png; length=4"}, body: []byte{0x89, 'P', 'N', 'G'}},
				jsonPart(t, "feedback."+otherID, map[string]any{"id": otherID, "run_id": rootID, "trace_id": rootID, "key": "score", "score": 1}))...)
		}},
		{"events with new_token", func(t *testing.T, srv *httptest.Server) response {
			return postMultipart(t, srv, nil, runParts(t, "post", with(rootRun(), "events", []any{map[string]any{"name": "new_token", "time": iso(time.Millisecond)}}))...)
		}},
		{"api/v1 prefix and child before parent", func(t *testing.T, srv *httptest.Server) response {
			return postBatch(t, &httptest.Server{URL: srv.URL + "/api/v1"}, nil, []map[string]any{childRun(), rootRun()}, nil)
		}},
		{"empty multipart", func(t *testing.T, srv *httptest.Server) response { return postMultipart(t, srv, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, _ := startEmu(t, nil)
			r := tt.send(t, srv)
			require.Equal(t, http.StatusAccepted, r.status, r.raw)
			assert.Equal(t, map[string]any{"message": "accepted"}, r.body)
			for _, run := range s.Runs("") {
				assert.Equal(t, "proj", run.Project)
				assert.False(t, run.StartTime.IsZero(), fmt.Sprint(run))
			}
		})
	}
}

func jsonOf(t *testing.T, b []byte) any {
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}
