// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package synthetic writes realistic synthetic LangSmith run-list files (agent traces with
// chat-model calls, tools, retrievers and failures), the same bytes for the same options: the
// demo, tests and benchmarks replay them.
package synthetic // import "github.com/tracebridge/tracebridge/internal/synthetic"

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tracebridge/tracebridge/internal/jsonline"
)

// Options shape a synthetic run-list file.
type Options struct {
	Traces int
	Seed   uint64
	// Start is the first trace's start; the zero value is a fixed date, so files are
	// reproducible byte for byte.
	Start time.Time
	// NDJSON writes one run per line instead of a JSON array.
	NDJSON bool
}

// Stats counts what Generate wrote.
type Stats struct {
	Traces, Runs, Errors int
}

// genRun is a run as a LangSmith export writes it. Times are already-formatted JSON values,
// since the generator deliberately mixes the forms real files mix.
type genRun struct {
	ID          string          `json:"id"`
	TraceID     string          `json:"trace_id"`
	ParentRunID *string         `json:"parent_run_id"`
	Name        string          `json:"name"`
	RunType     string          `json:"run_type"`
	StartTime   json.RawMessage `json:"start_time"`
	EndTime     json.RawMessage `json:"end_time"`
	Inputs      any             `json:"inputs"`
	Outputs     any             `json:"outputs"`
	Error       *string         `json:"error"`
	Extra       map[string]any  `json:"extra,omitempty"`
	Tags        []string        `json:"tags"`
}

type message = map[string]any

// Generate writes a realistic synthetic agent file: each trace is an agent chain whose steps
// are chat-model calls (messages in, an assistant message and usage_metadata out, model
// metadata), tool calls (some failing), a retriever, and a tool that calls a model itself; some
// agents fail. The same options always give the same bytes.
func Generate(w io.Writer, opts Options) (Stats, error) {
	// A seeded generator, on purpose: the same seed must give the same file.
	g := &generator{rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), start: opts.Start} //nolint:gosec // synthetic data, not secrets
	if g.start.IsZero() {
		g.start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	}
	bw := bufio.NewWriter(w)
	var st Stats
	first := true
	emit := func(r *genRun) error {
		b, err := jsonline.Compact(r)
		if err != nil {
			return err
		}
		// A bufio.Writer keeps its first error; Flush at the end reports it.
		switch {
		case opts.NDJSON:
		case first:
			_, _ = bw.WriteString("[\n")
		default:
			_, _ = bw.WriteString(",\n")
		}
		first = false
		_, _ = bw.Write(b)
		if opts.NDJSON {
			_ = bw.WriteByte('\n')
		}
		st.Runs++
		if r.Error != nil {
			st.Errors++
		}
		return nil
	}
	at := g.start
	for i := range opts.Traces {
		runs := g.trace(i, at)
		// Exports list runs as they end: children before their parents.
		for j := len(runs) - 1; j >= 0; j-- {
			if err := emit(runs[j]); err != nil {
				return st, fmt.Errorf("encode run: %w", err)
			}
		}
		st.Traces++
		at = at.Add(time.Duration(20+g.rng.IntN(70))*time.Second + time.Duration(g.rng.IntN(1000))*time.Millisecond)
	}
	if !opts.NDJSON {
		if first {
			_, _ = bw.WriteString("[")
		}
		_, _ = bw.WriteString("\n]\n")
	}
	return st, bw.Flush()
}

type generator struct {
	rng   *rand.Rand
	start time.Time
	runs  []*genRun
	n     int // runs made, for choosing time formats
}

var (
	genAgents = []string{"customer_support_agent", "research_assistant", "order_desk_agent"}
	genModels = []struct{ provider, model, run string }{
		{"openai", "gpt-4o-mini", "ChatOpenAI"},
		{"anthropic", "claude-3-5-haiku-latest", "ChatAnthropic"},
	}
	genQuestions = []string{
		"Where is my order #%d? It was supposed to arrive yesterday.",
		"Can you compare the warranty terms of plan %d with the premium plan?",
		"Summarize the last %d support tickets about login failures.",
		"What is the refund policy for orders over %d EUR?",
		"Find papers on retrieval-augmented generation from the last %d months.",
	}
	genTools = []struct{ name, arg, out string }{
		{"get_order_status", "order_id", "Order %d shipped on 2025-05-30 via DHL, tracking JD0142%d."},
		{"web_search", "query", "Top result: %d relevant pages found; first: docs.example.com/guide/%d"},
		{"calculator", "expression", "%d"},
	}
	genToolErrors = []string{
		"ToolException: upstream API timed out after 30s",
		"ToolException: 503 Service Unavailable from orders-api",
		"ValidationError: 1 validation error for GetOrderStatus\norder_id\n  field required",
	}
)

func (g *generator) id(at time.Time) string {
	var id uuid.UUID
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(at.UnixMilli())) //nolint:gosec // after 1970
	copy(id[:6], ms[2:])
	for i := 6; i < 16; i++ {
		id[i] = byte(g.rng.UintN(256))
	}
	id[6] = 0x70 | id[6]&0x0f
	id[8] = 0x80 | id[8]&0x3f
	return id.String()
}

// timeValue writes t in one of the forms real files mix: naive ISO (LangSmith exports), ISO with
// Z or +00:00, and epoch milliseconds.
func (g *generator) timeValue(t time.Time) json.RawMessage {
	g.n++
	var s string
	switch g.n % 10 {
	case 0, 1, 2, 3, 4, 5:
		s = strconv.Quote(t.UTC().Format("2006-01-02T15:04:05.000000"))
	case 6, 7:
		s = strconv.Quote(t.UTC().Format("2006-01-02T15:04:05.000Z"))
	case 8:
		s = strconv.Quote(t.UTC().Format("2006-01-02T15:04:05.000000+00:00"))
	default:
		s = strconv.FormatInt(t.UnixMilli(), 10)
	}
	return json.RawMessage(s)
}

func (g *generator) ms(lo, hi int) time.Duration {
	return time.Duration(lo+g.rng.IntN(hi-lo+1))*time.Millisecond + time.Duration(g.rng.IntN(1000))*time.Microsecond
}

// open starts a run; close ends it. Runs are collected in start order.
func (g *generator) open(parent *genRun, name, runType string, start time.Time) *genRun {
	r := &genRun{ID: g.id(start), Name: name, RunType: runType, StartTime: g.timeValue(start), Tags: []string{}}
	if parent == nil {
		r.TraceID = r.ID
	} else {
		r.TraceID = parent.TraceID
		pid := parent.ID
		r.ParentRunID = &pid
	}
	g.runs = append(g.runs, r)
	return r
}

func (g *generator) close(r *genRun, end time.Time) { r.EndTime = g.timeValue(end) }

func (g *generator) trace(i int, t0 time.Time) []*genRun {
	g.runs = nil
	agent := genAgents[i%len(genAgents)]
	model := genModels[g.rng.IntN(len(genModels))]
	question := fmt.Sprintf(genQuestions[g.rng.IntN(len(genQuestions))], 100+g.rng.IntN(9000))
	thread := fmt.Sprintf("thread-%04d", g.rng.IntN(500))

	root := g.open(nil, agent, "chain", t0)
	root.Inputs = map[string]any{"input": question, "chat_history": []any{}}
	root.Tags = []string{"agent", "prod"}
	root.Extra = map[string]any{"metadata": map[string]any{
		"thread_id": thread, "user_id": fmt.Sprintf("user-%03d", g.rng.IntN(200)),
		"app_version": "2.3.1", "revision_id": "7f3c2a1",
	}}

	cursor := t0.Add(g.ms(1, 4))
	// A few traces come from services whose clocks disagree: the first child starts a little
	// before the root. A replay must move it to the root's start.
	if g.rng.IntN(100) < 6 {
		cursor = t0.Add(-g.ms(1, 3))
	}
	msgs := []message{
		{"role": "system", "content": "You are a helpful " + agent + ". Use tools when they help."},
		{"role": "user", "content": question},
	}
	steps := 1 + g.rng.IntN(3)
	var failed string
	for step := 1; step <= steps; step++ {
		tool := genTools[g.rng.IntN(len(genTools))]
		callID := fmt.Sprintf("call_%08x", g.rng.Uint32())
		args := map[string]any{tool.arg: fmt.Sprintf("%d", 1000+g.rng.IntN(9000))}
		g.llm(root, model, msgs, &cursor, step, message{
			"role": "assistant", "content": "",
			"tool_calls": []any{map[string]any{"id": callID, "name": tool.name, "args": args}},
		})
		msgs = append(msgs, message{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": callID, "name": tool.name}}})

		switch g.rng.IntN(5) {
		case 0: // a retriever step
			ret := g.open(root, "vector_store_retriever", "retriever", cursor)
			ret.Inputs = map[string]any{"query": question}
			docs := make([]any, 2+g.rng.IntN(3))
			for d := range docs {
				docs[d] = map[string]any{
					"page_content": fmt.Sprintf("Policy section %d.%d: items may be returned within %d days.", step, d, 14+g.rng.IntN(30)),
					"metadata":     map[string]any{"source": fmt.Sprintf("kb/policies/%d.md", g.rng.IntN(80)), "score": float64(g.rng.IntN(1000)) / 1000},
					"type":         "Document",
				}
			}
			ret.Outputs = map[string]any{"documents": docs}
			ret.Tags = []string{fmt.Sprintf("seq:step:%d", step)}
			cursor = cursor.Add(g.ms(60, 250))
			g.close(ret, cursor)
		case 1: // a tool that calls a model itself
			tr := g.open(root, "summarize_document", "tool", cursor)
			tr.Inputs = map[string]any{"input": map[string]any{"document_id": fmt.Sprintf("doc-%d", g.rng.IntN(999))}}
			inner := cursor.Add(g.ms(1, 3))
			g.llm(tr, model, []message{{"role": "user", "content": "Summarize the document in two sentences."}}, &inner, 1,
				message{"role": "assistant", "content": "The document describes the return process. Refunds take 5 business days."})
			cursor = inner.Add(g.ms(1, 5))
			tr.Outputs = map[string]any{"output": "The document describes the return process. Refunds take 5 business days."}
			tr.Tags = []string{fmt.Sprintf("seq:step:%d", step)}
			g.close(tr, cursor)
		default:
			tr := g.open(root, tool.name, "tool", cursor)
			tr.Inputs = map[string]any{"input": args}
			tr.Tags = []string{fmt.Sprintf("seq:step:%d", step)}
			tr.Extra = map[string]any{"metadata": map[string]any{"tool_call_id": callID}}
			cursor = cursor.Add(g.ms(40, 900))
			if g.rng.IntN(100) < 12 {
				e := genToolErrors[g.rng.IntN(len(genToolErrors))]
				tr.Error = &e
				failed = e
			} else {
				tr.Outputs = map[string]any{"output": fmt.Sprintf(tool.out, g.rng.IntN(10000), g.rng.IntN(100))}
			}
			g.close(tr, cursor)
		}
		cursor = cursor.Add(g.ms(1, 6))
		msgs = append(msgs, message{"role": "tool", "tool_call_id": callID, "content": "(tool result)"})
	}

	if failed != "" && g.rng.IntN(3) == 0 {
		e := "AgentExecutionError: stopped after a tool failed: " + failed
		root.Error = &e
	} else {
		answer := "Here is what I found: " + question[:min(len(question), 40)] + "… is resolved; details are in your account."
		g.llm(root, model, msgs, &cursor, steps+1, message{"role": "assistant", "content": answer})
		root.Outputs = map[string]any{"output": answer}
	}
	g.close(root, cursor.Add(g.ms(1, 8)))
	return g.runs
}

// llm adds a chat-model run under parent that starts at *cursor, and moves the cursor to its end.
func (g *generator) llm(parent *genRun, model struct{ provider, model, run string }, msgs []message, cursor *time.Time, step int, reply message) {
	r := g.open(parent, model.run, "llm", *cursor)
	r.Inputs = map[string]any{"messages": append([]message(nil), msgs...)}
	in := 120 + g.rng.IntN(1800)
	out := 8 + g.rng.IntN(400)
	cached := 0
	if g.rng.IntN(3) == 0 {
		cached = in / 2
	}
	r.Outputs = map[string]any{
		"generations": []any{map[string]any{"text": reply["content"], "message": reply, "type": "ChatGeneration"}},
		"llm_output":  map[string]any{"model_name": model.model},
		"usage_metadata": map[string]any{
			"input_tokens": in, "output_tokens": out, "total_tokens": in + out,
			"input_token_details": map[string]any{"cache_read": cached},
		},
	}
	r.Extra = map[string]any{
		"metadata": map[string]any{
			"ls_provider": model.provider, "ls_model_name": model.model, "ls_model_type": "chat",
			"ls_temperature": 0.2, "ls_max_tokens": 1024,
		},
		"invocation_params": map[string]any{"model": model.model, "temperature": 0.2, "max_tokens": 1024, "stream": false},
	}
	r.Tags = []string{fmt.Sprintf("seq:step:%d", step)}
	*cursor = cursor.Add(g.ms(300, 2500))
	g.close(r, *cursor)
}
