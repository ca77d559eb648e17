// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

var semconvMessageCases = []struct {
	in     string
	takes  bool   // appendSemconvMessages writes it (else the general rewrite does)
	output string // what it writes, when not empty
}{
	{in: `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`, takes: true, output: `{"role":"user","content":"hi"}`},
	{in: `[ { "role" : "assistant" , "parts" : [ { "type" : "text" , "content" : "a\"b" } , {"content":"c\n","type":"text","x":[1,{"y":null}]} ] , "finish_reason" : "stop" } ] `,
		takes: true, output: `{"role":"assistant","content":"a\"b\nc\n","finish_reason":"stop"}`},
	{in: `[{"parts":[]},{"role":"user","content":"as is"},{},"str",7]`, takes: true, output: `{"role":"user","content":""},{"role":"user","content":"as is"},{},"str",7`},
	{in: `[{"role":"tool","parts":[{"type":"text","content":"x"}],"name":"n","a":1,"b":2,"c":3,"d":4}]`, takes: true,
		output: `{"role":"tool","content":"x","name":"n","a":1,"b":2,"c":3,"d":4}`},
	{in: `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},` +
		`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","result":"sunny"},{"type":"tool_call_response","id":"call_2","response":{"t":21}}]}]`,
		takes: true, output: `{"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
			`{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"tool","tool_call_id":"call_2","content":"{\"t\":21}"}`},
	{in: `[{"role":"user","parts":[{"type":"text","text":"t"},{"type":"uri","modality":"image","uri":"https://x/y.png"},{}]}]`, takes: true,
		output: `{"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"https://x/y.png"}},{}]}`},
	{in: `[{"role":"user","parts":[{"type":"text","content":1}]}]`, takes: true},
	{in: `[{"role":"user","parts":[{"type":"text"}]}]`, takes: true},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"}],"a":1,"b":2,"c":3,"d":4,"e":5}]`, takes: true},
	{in: `[{"role":"user","parts":[{"type":"text","content":"a"}],"content":"b"}]`},
	{in: `[{"role":"user","role":"system","parts":[]}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"a","content":"b"}]}]`},
	{in: `[{"role":"user","parts":[{"type":1,"content":"a"}]}]`},
	{in: `[{"ro\u006ce":"user","parts":[]}]`},
	{in: `[{"role":"user","parts":["text"]}]`},
	{in: `[{"role":"user","tool_calls":[]}]`},
	{in: `[{"role":"user","contents":[]}]`},
	{in: `[]`},
	{in: `[{"role":"user","parts":[]},]`},
	{in: `[{"role":"user","parts":[]}] x`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"bad \x01"}]}]`},
	// The compact one-text-part shape appendTextMessage writes, and its near misses, which the
	// general pass reads.
	{in: `[{"role":"system","parts":[{"type":"text","content":"a"}]},{"role":"assistant","parts":[{"type":"text","content":"b\u00e9\"c"}],"finish_reason":"stop"}]`,
		takes: true, output: `{"role":"system","content":"a"},{"role":"assistant","content":"b\u00e9\"c","finish_reason":"stop"}`},
	{in: `[{"role":"assistant","parts":[{"type":"text","content":""}],"finish_reason":null}]`, takes: true,
		output: `{"role":"assistant","content":"","finish_reason":null}`},
	{in: `[{"role":"assistant","parts":[{"type":"text","content":"x"}],"finish_reason":"stop","name":"n"}]`, takes: true,
		output: `{"role":"assistant","content":"x","finish_reason":"stop","name":"n"}`},
	{in: `[{"role":"assistant","parts":[{"type":"text","content":"x"}],"finish_reason":["stop"]}]`, takes: true,
		output: `{"role":"assistant","content":"x","finish_reason":["stop"]}`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"},{"type":"text","content":"y"}]}]`, takes: true,
		output: `{"role":"user","content":"x\ny"}`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"}] }]`, takes: true, output: `{"role":"user","content":"x"}`},
	{in: `[{"role":1,"parts":[{"type":"text","content":"x"}]}]`, takes: true, output: `{"role":1,"content":"x"}`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x","id":"i"}]}]`, takes: true},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"}],"content":"y"}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"}],"finish_reason":"stop"`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x`},
	{in: `[{"role":"us\x01er","parts":[{"type":"text","content":"x"}]}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"x"}],"finish_reason":}]`},
}

func TestAppendSemconvMessages(t *testing.T) {
	for _, tt := range semconvMessageCases {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := appendSemconvMessages(nil, []byte(tt.in))
			require.Equal(t, tt.takes, ok)
			if ok && tt.output != "" {
				assert.Equal(t, tt.output, string(got))
			}
			checkSemconvMessages(t, tt.in)
		})
	}
}

// checkSemconvMessages holds appendSemconvMessages to the general rewrite: what it takes is valid
// JSON, and it writes what ValidIndex and appendIndexedChatMessages write.
func checkSemconvMessages(t *testing.T, s string) {
	t.Helper()
	if s == "" || s[0] != '[' {
		return
	}
	arr := []byte(s)
	got, ok := appendSemconvMessages([]byte("prefix"), arr)
	if !ok {
		return
	}
	var spans [64]jsontext.Span
	ix, valid := jsontext.ValidIndex(arr, spans[:0])
	if !valid {
		t.Fatalf("appendSemconvMessages took %q, which is not valid JSON", s)
	}
	if want := appendIndexedChatMessages([]byte("prefix"), arr, ix); string(got) != string(want) {
		t.Fatalf("appendSemconvMessages(%q) = %q, the general rewrite %q", s, got, want)
	}
}

func FuzzAppendSemconvMessages(f *testing.F) {
	for _, tt := range semconvMessageCases {
		f.Add(tt.in)
	}
	f.Fuzz(checkSemconvMessages)
}

// refScanMemberKey is scanMemberKey's byte-by-byte form, before the word-at-a-time scan.
func refScanMemberKey(b []byte, i int) (key []byte, vs int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	j := i + 1
	for ; j < len(b) && b[j] != '"'; j++ {
		if c := b[j]; c == '\\' || c < 0x20 {
			return nil, i, false
		}
	}
	if j >= len(b) {
		return nil, i, false
	}
	key = b[i : j+1]
	if j = jsontext.SkipSpace(b, j+1); j >= len(b) || b[j] != ':' {
		return nil, i, false
	}
	return key, jsontext.SkipSpace(b, j+1), true
}

// Every byte value at every position of keys up to 20 bytes, with what follows the key cut at
// every length: the word scan must stop where the byte loop did.
func TestScanMemberKeyMatchesByteLoop(t *testing.T) {
	check := func(b []byte) {
		k1, v1, ok1 := scanMemberKey(b, 0)
		k2, v2, ok2 := refScanMemberKey(b, 0)
		if string(k1) != string(k2) || v1 != v2 || ok1 != ok2 {
			t.Fatalf("scanMemberKey(%q) = %q, %d, %v; byte loop %q, %d, %v", b, k1, v1, ok1, k2, v2, ok2)
		}
	}
	for n := range 21 {
		for pos := range n {
			for c := range 256 {
				key := []byte(strings.Repeat("k", n))
				key[pos] = byte(c)
				full := append(append([]byte{'"'}, key...), `" : "v"}`...)
				for cut := n + 1; cut <= len(full); cut++ {
					check(full[:cut])
				}
			}
		}
		check(append(append([]byte{'"'}, strings.Repeat("k", n)...), `":1`...))
	}
}
