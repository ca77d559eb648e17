package smithemu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func postQuery(t *testing.T, srv *httptest.Server, headers map[string]string, body string) response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return send(t, http.MethodPost, srv.URL+"/runs/query", []byte(body), h)
}

func queryIDs(r response) []string {
	runs, _ := r.body["runs"].([]any)
	var ids []string
	for _, x := range runs {
		ids = append(ids, x.(map[string]any)["id"].(string))
	}
	return ids
}

func TestQueryByIDFindsPostedRunsOnly(t *testing.T) {
	_, srv, _ := startEmu(t, nil)
	key := map[string]string{"X-Api-Key": "k1"}
	require.Equal(t, http.StatusAccepted, postBatch(t, srv, key, []map[string]any{rootRun(), childRun()}, nil).status)
	// A patch alone does not make a run: grand is known only from it.
	require.Equal(t, http.StatusAccepted, postBatch(t, srv, key, nil, []map[string]any{with(grandRun(), "end_time", iso(3e6))}).status)

	body := fmt.Sprintf(`{"id":[%q,%q,%q,%q],"select":["id","name","start_time"],"limit":100}`, rootID, childID, grandID, otherID)
	r := postQuery(t, srv, key, body)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.ElementsMatch(t, []string{rootID, childID}, queryIDs(r))
	runs := r.body["runs"].([]any)
	require.Contains(t, []any{"root", "child"}, runs[0].(map[string]any)["name"])
	require.Contains(t, r.body, "cursors")

	// The same under /api/v1, as the Go SDK sends it.
	r = send(t, http.MethodPost, srv.URL+"/api/v1/runs/query", []byte(body), map[string]string{"X-Api-Key": "k1", "Content-Type": "application/json"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Len(t, queryIDs(r), 2)
}

func TestQueryIsScopedToTheWritersWorkspace(t *testing.T) {
	_, srv, _ := startEmu(t, func(c *Config) { c.APIKeys = map[string]string{"k1": "", "k2": "", "bound": "other"} })
	require.Equal(t, http.StatusAccepted, postBatch(t, srv, map[string]string{"X-Api-Key": "k1", "X-Tenant-Id": "ws-a"}, []map[string]any{rootRun()}, nil).status)
	body := fmt.Sprintf(`{"id":[%q]}`, rootID)

	require.Equal(t, []string{rootID}, queryIDs(postQuery(t, srv, map[string]string{"X-Api-Key": "k1", "X-Tenant-Id": "ws-a"}, body)))
	for name, h := range map[string]map[string]string{
		"other key":        {"X-Api-Key": "k2", "X-Tenant-Id": "ws-a"},
		"other workspace":  {"X-Api-Key": "k1", "X-Tenant-Id": "ws-b"},
		"no workspace":     {"X-Api-Key": "k1"},
		"key bound to one": {"X-Api-Key": "bound", "X-Tenant-Id": "ws-a"},
	} {
		r := postQuery(t, srv, h, body)
		require.Equal(t, http.StatusOK, r.status, name)
		require.Empty(t, queryIDs(r), name)
	}
	require.Equal(t, http.StatusUnauthorized, postQuery(t, srv, map[string]string{"X-Api-Key": "nope"}, body).status)
}

func TestQueryRejectsBadBodies(t *testing.T) {
	_, srv, _ := startEmu(t, nil)
	many := make([]string, queryMaxIDs+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprintf("0194c1f2-0000-7000-8000-%012d", i))
	}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"not JSON", `{"id":`, http.StatusUnprocessableEntity},
		{"not an object", `[1]`, http.StatusUnprocessableEntity},
		{"unknown field", fmt.Sprintf(`{"ids":[%q]}`, rootID), http.StatusUnprocessableEntity},
		{"bad uuid", `{"id":["nope"]}`, http.StatusUnprocessableEntity},
		{"id not a list", fmt.Sprintf(`{"id":%q}`, rootID), http.StatusUnprocessableEntity},
		{"too many ids", `{"id":[` + strings.Join(many, ",") + `]}`, http.StatusUnprocessableEntity},
		{"limit over max", fmt.Sprintf(`{"id":[%q],"limit":101}`, rootID), http.StatusUnprocessableEntity},
		{"limit zero", fmt.Sprintf(`{"id":[%q],"limit":0}`, rootID), http.StatusUnprocessableEntity},
		{"unknown select", fmt.Sprintf(`{"id":[%q],"select":["everything"]}`, rootID), http.StatusUnprocessableEntity},
		{"no filter", `{"limit":10}`, http.StatusBadRequest},
		{"filter language", fmt.Sprintf(`{"id":[%q],"filter":"eq(name, \"x\")"}`, rootID), http.StatusBadRequest},
	} {
		r := postQuery(t, srv, nil, tc.body)
		require.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.raw)
	}
	r := send(t, http.MethodPost, srv.URL+"/runs/query", []byte(fmt.Sprintf(`{"id":[%q]}`, rootID)), map[string]string{"Content-Type": "text/plain"})
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, http.StatusMethodNotAllowed, send(t, http.MethodGet, srv.URL+"/runs/query", nil, nil).status)
}

func TestQueryPagesWithCursor(t *testing.T) {
	_, srv, _ := startEmu(t, nil)
	require.Equal(t, http.StatusAccepted, postBatch(t, srv, nil, []map[string]any{rootRun(), childRun(), grandRun()}, nil).status)
	body := fmt.Sprintf(`{"id":[%q,%q,%q],"limit":2,"order":"asc"}`, rootID, childID, grandID)
	r := postQuery(t, srv, nil, body)
	require.Equal(t, []string{rootID, childID}, queryIDs(r))
	next := r.body["cursors"].(map[string]any)["next"].(string)
	r = postQuery(t, srv, nil, strings.TrimSuffix(body, "}")+fmt.Sprintf(`,"cursor":%q}`, next))
	require.Equal(t, []string{grandID}, queryIDs(r))
	require.Nil(t, r.body["cursors"].(map[string]any)["next"])
}
