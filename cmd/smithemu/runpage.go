package main

import (
	"encoding/json"
	"html/template"
	"net/http"
	"slices"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// chatMessage is one message of a run's conversation, as the page shows it.
type chatMessage struct {
	Role, Content string
}

type runView struct {
	Run                                     smithemu.Run
	Duration, Start, End                    string
	Input, Output                           []chatMessage // nil when the run has no messages
	InputsJSON, OutputsJSON                 string
	Usage, Metadata, InvocationParams, Tags string
	Parent                                  string
}

// runHandler shows one run: its inputs and outputs (as a chat when they hold messages),
// usage, error and metadata.
func runHandler(emu *smithemu.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		runs := emu.Runs("")
		i := slices.IndexFunc(runs, func(run smithemu.Run) bool { return run.ID == id })
		if i < 0 {
			http.Error(w, "no run "+id, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = runTemplate.Execute(w, newRunView(runs[i]))
	})
}

func newRunView(run smithemu.Run) runView {
	v := runView{
		Run: run, Duration: formatDuration(run.Duration()), Parent: run.ParentRunID,
		Start: run.StartTime.Format("2006-01-02 15:04:05.000"),
	}
	if !run.EndTime.IsZero() {
		v.End = run.EndTime.Format("2006-01-02 15:04:05.000")
	}
	v.Input = messages(run.Inputs["messages"])
	v.Output = messages(run.Outputs["messages"])
	if v.Output == nil {
		v.Output = choices(run.Outputs["choices"])
	}
	outputs := run.Outputs
	if usage, ok := outputs["usage_metadata"]; ok {
		v.Usage = pretty(usage)
		outputs = withoutKey(outputs, "usage_metadata")
	}
	v.InputsJSON, v.OutputsJSON = prettyMap(run.Inputs), prettyMap(outputs)
	v.Metadata = prettyMap(asMap(run.Extra["metadata"]))
	v.InvocationParams = prettyMap(asMap(run.Extra["invocation_params"]))
	if len(run.Tags) > 0 {
		v.Tags = pretty(run.Tags)
	}
	return v
}

// messages reads LangSmith's message list: each a {role|type, content} object whose content
// is a string or a list of parts ({"type":"text","text":…} and others).
func messages(v any) []chatMessage {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]chatMessage, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			out = append(out, chatMessage{Role: "?", Content: pretty(item)})
			continue
		}
		role, _ := m["role"].(string)
		if role == "" {
			role, _ = m["type"].(string)
		}
		out = append(out, chatMessage{Role: role, Content: content(m)})
	}
	return out
}

// choices reads OpenAI's {"choices":[{"message":{…}}]} output shape.
func choices(v any) []chatMessage {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var msgs []any
	for _, c := range list {
		if m, ok := c.(map[string]any); ok && m["message"] != nil {
			msgs = append(msgs, m["message"])
		}
	}
	return messages(msgs)
}

func content(m map[string]any) string {
	switch c := m["content"].(type) {
	case string:
		return c
	case nil:
		rest := withoutKey(withoutKey(m, "role"), "type")
		if len(rest) == 0 {
			return ""
		}
		return pretty(rest) // tool calls and the like
	case []any:
		text := ""
		for _, p := range c {
			part, _ := p.(map[string]any)
			if s, ok := part["text"].(string); ok {
				text += s
				continue
			}
			if s, ok := part["content"].(string); ok {
				text += s
				continue
			}
			text += pretty(p)
		}
		return text
	default:
		return pretty(c)
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func prettyMap(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	return pretty(m)
}

func pretty(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

var runTemplate = template.Must(template.New("run").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Run.Name}} · smithemu</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;background:#fafafa;color:#222;max-width:1100px}
h1{font-size:16px;margin:0 0 4px} h2{font-size:13px;margin:14px 0 6px;color:#555;text-transform:uppercase}
.muted{color:#888} a{color:#2563eb}
.box{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 10px}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,monospace}
.msg{border-radius:8px;padding:6px 10px;margin:0 0 6px;max-width:80%;white-space:pre-wrap}
.msg .role{font-size:11px;color:#666;display:block}
.user,.human{background:#e8f0fe} .assistant,.ai{background:#eef7ee;margin-left:auto}
.system{background:#f3f3f3} .tool{background:#fff6e0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.err{color:#d64545} .tag{font-size:11px;color:#fff;border-radius:3px;padding:0 5px}
.success{background:#3a9d5d} .error{background:#d64545} .pending{background:#e0a526}
</style></head><body>
<p><a href="/">← all traces</a></p>
<h1 id="run-name">{{.Run.Name}} <span class="tag {{.Run.Status}}">{{.Run.Status}}</span></h1>
<p class="muted">{{.Run.RunType}} · {{.Duration}} · project {{.Run.Project}} · run {{.Run.ID}} · trace {{.Run.TraceID}}{{if .Parent}} · parent <a href="/ui/runs/{{.Parent}}">{{.Parent}}</a>{{end}}<br>
start {{.Start}}{{if .End}} · end {{.End}}{{end}} · {{.Run.Posts}} post(s), {{.Run.Patches}} patch(es)</p>
{{if .Run.Unopenable}}<p class="err" id="unopenable">would not open in LangSmith: the UUIDv7 millisecond field of its id is not its start_time</p>{{end}}
{{if .Run.RenderIssues}}<p class="err" id="render">⚠ LangSmith would not render this run as meant:{{range .Run.RenderIssues}} {{.}};{{end}}</p>{{end}}
{{if .Run.Error}}<h2>Error</h2><div class="box err" id="error"><pre>{{.Run.Error}}</pre></div>{{end}}
<div class="cols">
<div><h2>Inputs</h2><div class="box" id="inputs">
{{if .Input}}{{range .Input}}<div class="msg {{.Role}}"><span class="role">{{.Role}}</span>{{.Content}}</div>{{end}}
{{else if .InputsJSON}}<pre>{{.InputsJSON}}</pre>{{else}}<span class="muted">none</span>{{end}}
</div></div>
<div><h2>Outputs</h2><div class="box" id="outputs">
{{if .Output}}{{range .Output}}<div class="msg {{.Role}}"><span class="role">{{.Role}}</span>{{.Content}}</div>{{end}}
{{else if .OutputsJSON}}<pre>{{.OutputsJSON}}</pre>{{else}}<span class="muted">none</span>{{end}}
</div></div>
</div>
{{if .Usage}}<h2>Usage</h2><div class="box" id="usage"><pre>{{.Usage}}</pre></div>{{end}}
{{if .InvocationParams}}<h2>Invocation parameters</h2><div class="box"><pre>{{.InvocationParams}}</pre></div>{{end}}
{{if .Metadata}}<h2>Metadata</h2><div class="box" id="metadata"><pre>{{.Metadata}}</pre></div>{{end}}
{{if .Tags}}<h2>Tags</h2><div class="box"><pre>{{.Tags}}</pre></div>{{end}}
{{if and .Input .InputsJSON}}<details><summary>raw inputs</summary><div class="box"><pre>{{.InputsJSON}}</pre></div></details>{{end}}
{{if and .Output .OutputsJSON}}<details><summary>raw outputs</summary><div class="box"><pre>{{.OutputsJSON}}</pre></div></details>{{end}}
</body></html>
`))
