// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"
)

var textMessageCases = []struct {
	in     string
	takes  bool // appendTextMessages writes it (else the general rewrite does)
	output string
}{
	{in: `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`, takes: true, output: `{"role":"user","content":"hi"}`},
	{in: `[ { "role" : "assistant" , "parts" : [ { "type" : "text" , "content" : "a\"b" } , {"content":"c\n","type":"text","x":[1,{"y":null}]} ] , "finish_reason" : "stop" } ] `,
		takes: true, output: `{"role":"assistant","content":"a\"b\nc\n","finish_reason":"stop"}`},
	{in: `[{"parts":[]},{"role":"user","content":"as is"},{}]`, takes: true, output: `{"role":"user","content":""},{"role":"user","content":"as is"},{}`},
	{in: `[{"role":"tool","parts":[{"type":"text","content":"x"}],"name":"n","a":1,"b":2,"c":3,"d":4}]`, takes: true,
		output: `{"role":"tool","content":"x","name":"n","a":1,"b":2,"c":3,"d":4}`},
	{in: `[{"role":"user","parts":[{"type":"tool_call","id":"1","name":"f"}]}]`},
	{in: `[{"role":"user","parts":[{"type":"text","text":"t"}]}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"a"}],"content":"b"}]`},
	{in: `[{"role":"user","role":"system","parts":[]}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"a","content":"b"}]}]`},
	{in: `[{"ro\u006ce":"user","parts":[]}]`},
	{in: `[{"role":"user","parts":[{"type":"text","content":1}]}]`},
	{in: `[{"role":"user","parts":[{"type":"text"}]}]`},
	{in: `[{"role":"user","tool_calls":[]}]`},
	{in: `["text"]`},
	{in: `[]`},
	{in: `[{"role":"user","parts":[]},]`},
	{in: `[{"role":"user","parts":[]}] x`},
	{in: `[{"role":"user","parts":[{"type":"text","content":"bad \x01"}]}]`},
}

func TestAppendTextMessages(t *testing.T) {
	for _, tt := range textMessageCases {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := appendTextMessages(nil, []byte(tt.in))
			require.Equal(t, tt.takes, ok)
			if ok {
				assert.Equal(t, tt.output, string(got))
			}
			checkTextMessages(t, tt.in)
		})
	}
}

// checkTextMessages holds appendTextMessages to the general rewrite: what it takes is valid
// JSON, and it writes what ValidIndex and appendIndexedChatMessages write.
func checkTextMessages(t *testing.T, s string) {
	t.Helper()
	if s == "" || s[0] != '[' {
		return
	}
	arr := []byte(s)
	got, ok := appendTextMessages([]byte("prefix"), arr)
	if !ok {
		return
	}
	var spans [64]jsontext.Span
	ix, valid := jsontext.ValidIndex(arr, spans[:0])
	if !valid {
		t.Fatalf("appendTextMessages took %q, which is not valid JSON", s)
	}
	if want := appendIndexedChatMessages([]byte("prefix"), arr, ix); string(got) != string(want) {
		t.Fatalf("appendTextMessages(%q) = %q, the general rewrite %q", s, got, want)
	}
}

func FuzzAppendTextMessages(f *testing.F) {
	for _, tt := range textMessageCases {
		f.Add(tt.in)
	}
	f.Fuzz(checkTextMessages)
}
