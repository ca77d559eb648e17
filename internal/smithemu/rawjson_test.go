package smithemu

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expandRaw replaces the rawJSON values of a decoded run by their decoded form.
func expandRaw(v any) any {
	switch t := v.(type) {
	case rawJSON:
		return t.decode()
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = expandRaw(e)
		}
		return out
	}
	return v
}

// checkRunDecodeAgrees holds decodeRunJSON, and decodeFieldJSON for every field part, to
// decodeJSON: the same error text, or the same value once the kept text is decoded; and text is
// kept only where the value is an object or an array of a kept field.
func checkRunDecodeAgrees(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := decodeJSON(data)
	got, gotErr := decodeRunJSON(data)
	require.Equal(t, errString(wantErr), errString(gotErr), "run %q", data)
	if wantErr == nil {
		assert.Equal(t, want, expandRaw(got), "run %q", data)
		if m, ok := got.(map[string]any); ok {
			for k, v := range m {
				if r, ok := v.(rawJSON); ok {
					assert.True(t, rawField(k), "kept %q of %q", k, data)
					assert.Equal(t, r.isObject(), isJSONObject(want.(map[string]any)[k]), "kept %q of %q", k, data)
				}
			}
		}
	}
	for _, f := range append([]string{"name"}, runFieldParts...) {
		got, gotErr := decodeFieldJSON(f, data)
		require.Equal(t, errString(wantErr), errString(gotErr), "%s part %q", f, data)
		if wantErr == nil {
			assert.Equal(t, want, expandRaw(got), "%s part %q", f, data)
			if _, kept := got.(rawJSON); kept {
				assert.True(t, rawField(f), "%s part %q", f, data)
			}
		}
	}
}

var runJSONSeeds = []string{
	`{"inputs":{"messages":[{"role":"user","content":"a long enough text to be read a word at a time \u00e9"}]}}`,
	`{"outputs":[1,2],"events":[{"a":"\"x\\"}],"extra":{"m":{"k":null}},"serialized":{},"name":"n"}`,
	`{"inputs":{"a":1e400}}`, `{"inputs":{"a":"` + "\x01" + `"}}`, `{"inputs":{"a":"\q"}}`, `{"inputs":{"a":"\u00"}}`,
	`{"inputs":{"a":"abcdefgh\"ijk"}}`, `{"inputs":"x","outputs":null,"extra":3}`, `{"\u0069nputs":{"a":1}}`,
	`{"inputs":{"a":1},"inputs":[2]}`, `{"inputs":` + strings.Repeat("[", 501) + strings.Repeat("]", 501) + `}`,
	`{"inputs":{"a":12345678901234567890123,"b":-0.5e-3,"c":1E5}}`, `{"inputs":{"a":"` + "\xff\xfe 8 bytes!" + `"}}`,
	`{"inputs":{}} x`, `{"inputs":{"a":[1,]}}`, `[{"inputs":{}}]`, ` { "extra" : { } } `,
}

func TestRunDecodeAgreesWithDecodeJSON(t *testing.T) {
	for _, s := range append(append([]string(nil), jsonSeeds...), runJSONSeeds...) {
		checkRunDecodeAgrees(t, []byte(s))
	}
}

func FuzzRunDecodeAgreesWithDecodeJSON(f *testing.F) {
	for _, s := range append(append([]string(nil), jsonSeeds...), runJSONSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(checkRunDecodeAgrees)
}

// checkSkipStringBytes holds skipStringBytes to what the byte-by-byte loops after it need: the
// bytes it skips are plain, and it stops at the last whole word or at a word holding a stop byte.
func checkSkipStringBytes(t *testing.T, b []byte, from uint8, high bool) {
	t.Helper()
	i := int(from) % (len(b) + 1)
	plain := func(c byte) bool {
		if high {
			return jsonPlainByte[c]
		}
		return jsonStringByte[c]
	}
	got := skipStringBytes(b, i, high)
	require.GreaterOrEqual(t, got, i)
	for k := i; k < got; k++ {
		require.True(t, plain(b[k]), "skipped %q at %d of %q", b[k], k, b)
	}
	if got+8 <= len(b) {
		stop := false
		for k := got; k < got+8; k++ {
			stop = stop || !plain(b[k])
		}
		require.True(t, stop, "stopped at %d of %q with a whole plain word after", got, b)
	}
}

func TestSkipStringBytes(t *testing.T) {
	for _, s := range []string{"", "abcdefgh", "abcdefghijklmnop\"", "abcdefg\\hijklmnop", "abcdefgh\x1fijklmn",
		"abcdefgh\x7f\x80\xffijklmnop", "\"abcdefghijklmnop", "abcdefghijklmno\x00", "       \x20\x21\x22"} {
		for from := range uint8(20) {
			checkSkipStringBytes(t, []byte(s), from, false)
			checkSkipStringBytes(t, []byte(s), from, true)
		}
	}
}

func FuzzSkipStringBytes(f *testing.F) {
	f.Add([]byte("abcdefghijklmnop\"qrs\\tuv\x01wxyz\xc3\xa9"), uint8(0), false)
	f.Fuzz(checkSkipStringBytes)
}

// checkDottedTime holds dottedTime to time.Parse of the layout it stands in for.
func checkDottedTime(t *testing.T, ts string) {
	t.Helper()
	if frac, ok := dottedFraction(ts); !ok || len(frac) != 6 {
		return
	}
	want, err := time.Parse(dottedTimeLayout, ts[:15]+"."+ts[15:])
	got, ok := dottedTime(ts)
	require.Equal(t, err == nil, ok, "%s: %v", ts, err)
	if ok {
		require.Equal(t, want, got, ts)
	}
}

func TestDottedTime(t *testing.T) {
	for _, ts := range []string{"20260304T050607123456", "20240229T235959999999", "20250229T000000000000",
		"20261301T000000000000", "20260001T000000000000", "20260100T000000000000", "20260431T000000000000",
		"20260430T240000000000", "20260430T236000000000", "20260430T235960000000", "00000101T000000000000",
		"99991231T235959999999", "21000229T000000000000", "20000229T000000000000"} {
		checkDottedTime(t, ts)
	}
}

func FuzzDottedTime(f *testing.F) {
	f.Add("20260304T050607123456")
	f.Fuzz(checkDottedTime)
}

// checkStoredFieldsRoundTrip holds storeFields to its promise: what fields gives back is what
// was stored, whether kept as text or as the map, and a kept map no longer points into the
// text the run was read from.
func checkStoredFieldsRoundTrip(t *testing.T, data []byte) {
	t.Helper()
	v, err := decodeRunJSON(data)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return
	}
	want := expandRaw(m)
	var scratch []byte
	f := storeFields(&scratch, m)
	require.True(t, f.present())
	for i := range data {
		data[i] = 0 // the body's buffer, reused by the next request
	}
	assert.Equal(t, want, expandRaw(f.fields()), "%q", data)
}

func TestStoredFieldsRoundTrip(t *testing.T) {
	for _, s := range append(append([]string(nil), jsonSeeds...), runJSONSeeds...) {
		checkStoredFieldsRoundTrip(t, []byte(s))
	}
	// What appendJSONObject cannot write so that it reads back the same is kept as the map.
	var scratch []byte
	for _, m := range []map[string]any{{"name": "bad \xff utf-8"}, {"n": math.Inf(1)}, {"x": struct{}{}}} {
		m["inputs"] = rawJSON(`{"a":1}`)
		f := storeFields(&scratch, m)
		assert.Nil(t, f.text)
		assert.Equal(t, expandRaw(m), expandRaw(f.fields()))
	}
	assert.False(t, storedFields{}.present())
}

func FuzzStoredFieldsRoundTrip(f *testing.F) {
	for _, s := range append(append([]string(nil), jsonSeeds...), runJSONSeeds...) {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"name":"a\u0000b\"\\\u001f é","n":-0,"f":1e-7,"g":1e21,"t":true,"z":null,"l":[1,"x",{"a":[]}],"inputs":{"q":1}}`))
	f.Fuzz(checkStoredFieldsRoundTrip)
}
