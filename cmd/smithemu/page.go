package main

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// maxPageTraces bounds the page to the most recent traces.
const maxPageTraces = 50

type pageRow struct {
	ID, Name, RunType, Status, Error, Duration string
	Render                                     string  // why LangSmith would not show the run as meant ("" when it would)
	Unopenable                                 bool    // LangSmith would not open it by id
	Indent                                     int     // px
	Left, Width                                float64 // percent of the trace span
}

type pageTrace struct {
	TraceID, Project, Name, Status, Duration string
	Start                                    string
	Rows                                     []pageRow
}

// pageHandler serves a read-only waterfall of the received traces,
// newest first, refreshed by the browser every two seconds, with the collector's own counters
// on top when counters is set. Each run links to its own page.
func pageHandler(emu *smithemu.Server, counters *counterSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trees := emu.Trees("")
		slices.Reverse(trees)
		if len(trees) > maxPageTraces {
			trees = trees[:maxPageTraces]
		}
		data := struct {
			Traces              []pageTrace
			Now                 string
			Counters            []collectorCounter
			CountersURL, Scrape string
		}{Now: time.Now().Format(time.TimeOnly)}
		if counters != nil {
			data.CountersURL = counters.url
			data.Counters, data.Scrape = counters.read(r.Context())
		}
		for _, t := range trees {
			data.Traces = append(data.Traces, waterfall(t, time.Now()))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pageTemplate.Execute(w, data)
	})
}

// waterfall lays a tree out on one time axis: from the earliest start to the
// latest end (or now, for runs still pending).
func waterfall(root *smithemu.TreeNode, now time.Time) pageTrace {
	var first, last time.Time
	root.Walk(func(n *smithemu.TreeNode, _ int) {
		s, e := span(n.Run, now)
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if e.After(last) {
			last = e
		}
	})
	total := last.Sub(first)
	pt := pageTrace{
		TraceID: root.Run.TraceID, Project: root.Run.Project, Name: root.Run.Name, Status: root.Run.Status,
		Duration: formatDuration(root.Run.Duration()), Start: root.Run.StartTime.Format("2006-01-02 15:04:05.000"),
	}
	root.Walk(func(n *smithemu.TreeNode, depth int) {
		s, e := span(n.Run, now)
		row := pageRow{
			ID: n.Run.ID, Unopenable: n.Run.Unopenable, Name: n.Run.Name, RunType: n.Run.RunType, Status: n.Run.Status, Error: firstLine(n.Run.Error),
			Duration: formatDuration(n.Run.Duration()), Indent: depth * 16, Width: 100,
			Render: strings.Join(n.Run.RenderIssues, "; "),
		}
		if total > 0 {
			row.Left = 100 * float64(s.Sub(first)) / float64(total)
			row.Width = max(0.4, 100*float64(e.Sub(s))/float64(total))
		}
		if n.Run.Status == "pending" {
			row.Duration = "…"
		}
		pt.Rows = append(pt.Rows, row)
	})
	return pt
}

func span(r smithemu.Run, now time.Time) (time.Time, time.Time) {
	end := r.EndTime
	if end.IsZero() {
		end = now
	}
	if end.Before(r.StartTime) {
		end = r.StartTime
	}
	return r.StartTime, end
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>smithemu</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}
h1{font-size:16px;margin:0 0 12px} .muted{color:#888}
.trace{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0 0 14px;padding:8px 10px}
.head{display:flex;gap:12px;align-items:baseline;margin-bottom:6px} .head b{font-size:14px}
.row{display:grid;grid-template-columns:minmax(220px,30%) 70px 70px 1fr;gap:8px;align-items:center;height:20px}
.name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.type{font-size:11px;color:#555;background:#eee;border-radius:3px;padding:0 4px;justify-self:start}
.dur{text-align:right;font-variant-numeric:tabular-nums}
.lane{position:relative;height:12px;background:#f1f1f1;border-radius:3px}
.bar{position:absolute;top:0;height:12px;border-radius:3px}
.success{background:#3a9d5d} .error{background:#d64545} .pending{background:#e0a526}
.tag{font-size:11px;color:#fff;border-radius:3px;padding:0 5px}
.err{color:#d64545;font-size:11px}
a.run{color:inherit;text-decoration:none} a.run:hover{text-decoration:underline}
.counters{display:flex;gap:10px;margin:0 0 12px;align-items:baseline;flex-wrap:wrap}
.counter{background:#fff;border:1px solid #ddd;border-radius:6px;padding:4px 10px}
.counter b{font-size:15px;font-variant-numeric:tabular-nums}
</style></head><body>
<h1>smithemu <span class="muted">— {{len .Traces}} trace(s), refreshed {{.Now}}</span></h1>
{{if .CountersURL}}<div class="counters" id="counters"><span class="muted">collector</span>
{{if .Scrape}}<span class="err" title="{{.CountersURL}}">counters unavailable: {{.Scrape}}</span>{{end}}
{{range .Counters}}<span class="counter" title="{{.Help}}" data-counter="{{.Label}}">{{.Label}} <b>{{printf "%.0f" .Value}}</b></span>{{end}}
</div>{{end}}
{{if not .Traces}}<p class="muted">No traces yet. Point a LangSmith client at this server.</p>{{end}}
{{range .Traces}}<div class="trace">
<div class="head"><b>{{.Name}}</b><span class="tag {{.Status}}">{{.Status}}</span><span>{{.Duration}}</span>
<span class="muted">project {{.Project}} · trace {{.TraceID}} · {{.Start}}</span></div>
{{range .Rows}}<div class="row">
<div class="name" style="padding-left:{{.Indent}}px" title="{{.Name}}"><a class="run" href="/ui/runs/{{.ID}}">{{.Name}}</a>{{if .Render}} <span class="err" title="{{.Render}}">⚠ would not render</span>{{end}}{{if .Unopenable}} <span class="err" title="UUIDv7 millisecond field is not start_time: LangSmith cannot open this run by id">would not open</span>{{end}}{{if .Error}} <span class="err">{{.Error}}</span>{{end}}</div>
<span class="type">{{.RunType}}</span><span class="dur">{{.Duration}}</span>
<div class="lane"><div class="bar {{.Status}}" style="left:{{printf "%.2f" .Left}}%;width:{{printf "%.2f" .Width}}%"></div></div>
</div>{{end}}
</div>{{end}}
</body></html>
`))
