package smithemu

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonSeeds reach every branch of decodeJSON and the documents encoding/json
// treats specially.
var jsonSeeds = []string{
	``, ` `, `{}`, `[]`, `{"a":1}`, ` {"a" : [1, 2.5, -0, 1e3, -1.5E-7, true, false, null, "x", {}, []]} `,
	`{"a":1,"a":2}`, `{"a":"\u00e9\ud83d\ude00\n\t\"\\\/"}`, `"\ud800"`, `"\udc00x"`, "\"\xff\"", "\"é\"",
	`{"a":}`, `{"a" 1}`, `{,}`, `[1,]`, `[,1]`, `{"a":1,}`, `01`, `-`, `-01`, `1.`, `.5`, `1e`, `1e+`, `+1`,
	`1e400`, `-1e400`, `1e-400`, `tru`, `truex`, `nul`, `null null`, `{"a":1}x`, `"a`, `"\`, `"\x"`, `"\u12"`,
	"\"a\x01\"", "\"\x7f\"", `[[[[[[[[[[]]]]]]]]]]`, `{"inputs":{"messages":[{"role":"user","content":"hi"}]}}`,
	"\t\r\n{\"a\":\"b\"}\r\n", `123456789012345678901234567890`, `0.1`, `{"":""}`, `"\u0000"`,
}

func checkDecodeAgrees(t *testing.T, data []byte) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal(data, &want)
	got, gotErr := decodeJSON(data)
	if wantErr != nil {
		assert.Equal(t, wantErr.Error(), errString(gotErr), "%q", data)
		return
	}
	require.NoError(t, gotErr, "%q", data)
	assert.Equal(t, want, got, "%q", data)
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestDecodeJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		checkDecodeAgrees(t, []byte(s))
	}
	deep := make([]byte, 0, 2*20000)
	for range 20000 {
		deep = append(deep, '[')
	}
	for range 20000 {
		deep = append(deep, ']')
	}
	checkDecodeAgrees(t, deep)
	checkDecodeAgrees(t, deep[:1200])
	checkDecodeAgrees(t, append(deep[:1000:1000], deep[len(deep)-1000:]...))
}

func FuzzDecodeJSONAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecodeAgrees(t, data) })
}
