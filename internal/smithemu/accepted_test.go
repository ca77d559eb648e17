package smithemu

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// OnAccepted hears of each stored request with the ids it posted, and of no rejected one.
func TestOnAcceptedReportsStoredPosts(t *testing.T) {
	var mu sync.Mutex
	var got [][]string
	_, srv, _ := startEmu(t, func(c *Config) {
		c.OnAccepted = func(ids []string) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ids)
		}
	})
	r := postMultipart(t, srv, nil, append(runParts(t, "post", rootRun()), runParts(t, "post", childRun())...)...)
	require.Equal(t, 202, r.status, r.raw)
	r = postMultipart(t, srv, nil, runParts(t, "post", rootRun())...) // a second post: 409
	require.Equal(t, 409, r.status, r.raw)
	r = postMultipart(t, srv, nil, runParts(t, "patch", with(childRun(), "end_time", iso(1)))...)
	require.Equal(t, 202, r.status, r.raw)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, [][]string{{rootID, childID}, {}}, got)
}
