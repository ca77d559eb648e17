package smithemu

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LangSmith takes a post's payload fields either as parts of their own (the SDKs) or inside
// the main post.<id> part (LangChain's Go collector proxy, and the exporter for extra and
// error): the emulator stores the same run either way, and checks the fields the same way.
func TestMultipartFieldFormsStoreTheSameRun(t *testing.T) {
	root := with(rootRun(),
		"end_time", iso(time.Second),
		"inputs", map[string]any{"q": "hi"},
		"outputs", map[string]any{"a": "hello"},
		"extra", map[string]any{"metadata": map[string]any{"ls_provider": "openai", "n": 1}},
		"error", "boom\n\nStacktrace:\n\tat x",
		"events", []any{map[string]any{"name": "start", "time": iso(0)}},
	)
	// split keeps the named fields in the main part and gives the others parts of their own.
	split := func(t *testing.T, run map[string]any, inline ...string) []mpPart {
		keep := map[string]bool{}
		for _, f := range inline {
			keep[f] = true
		}
		main := map[string]any{}
		var fields []mpPart
		for k, v := range run {
			switch k {
			case "inputs", "outputs", "events", "error", "extra", "serialized":
				if !keep[k] {
					fields = append(fields, jsonPart(t, "post."+rootID+"."+k, v))
					continue
				}
			}
			main[k] = v
		}
		return append([]mpPart{jsonPart(t, "post."+rootID, main)}, fields...)
	}
	forms := []struct {
		name   string
		inline []string
	}{
		{"every field its own part (SDKs)", nil},
		{"extra and error inline (the exporter, the Go collector proxy)", []string{"extra", "error"}},
		{"everything inline", []string{"inputs", "outputs", "extra", "error", "events"}},
	}
	var want []Run
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			s, srv, _ := startEmu(t, nil)
			r := postMultipart(t, srv, nil, split(t, root, f.inline...)...)
			require.Equal(t, http.StatusAccepted, r.status, r.raw)
			got := s.Runs("")
			require.Len(t, got, 1)
			assert.Equal(t, "boom\n\nStacktrace:\n\tat x", got[0].Error)
			assert.Equal(t, map[string]any{"ls_provider": "openai", "n": 1.0}, got[0].Extra["metadata"])
			if want == nil {
				want = got
				return
			}
			assert.Equal(t, want, got)
		})
	}

	// A field of the wrong type is refused the same way wherever it travels.
	bad := with(rootRun(), "error", 5)
	for _, inline := range [][]string{nil, {"error"}} {
		_, srv, _ := startEmu(t, nil)
		r := postMultipart(t, srv, nil, split(t, bad, inline...)...)
		assert.Equal(t, http.StatusBadRequest, r.status, "error inline: %v", inline != nil)
		assert.Contains(t, errMsg(r), "error", r.raw)
	}
}
