package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// collectorCounter is one of the collector's own figures the page shows, summed over the
// label sets of the Prometheus series it is read from.
type collectorCounter struct {
	Label, Help string
	Series      []string // metric names without the _total suffix
	Value       float64
}

// Counters the page shows, in order. They are the collector's own metrics, not the emulator's:
// what is still held (parked, queued) and what did not make it (dead-lettered, refused).
func newCounters() []collectorCounter {
	return []collectorCounter{
		{Label: "parked", Help: "spans waiting in the assembler for an ancestor or their end",
			Series: []string{"otelcol_exporter_langsmith_assembly_spans_parked"}},
		{Label: "queued", Help: "spans in the exporter's sending queue (requests with `sizer: requests`)",
			Series: []string{"otelcol_exporter_queue_size"}},
		{Label: "dead-lettered", Help: "runs LangSmith refused for good, written to dead_letter_directory",
			Series: []string{"otelcol_exporter_langsmith_runs_dead_lettered"}},
		{Label: "refused", Help: "spans the receivers refused (memory limit, full buffer)",
			Series: []string{"otelcol_receiver_refused_spans"}},
		{Label: "orphans", Help: "spans uploaded under the orphan policy after orphan_wait",
			Series: []string{"otelcol_exporter_langsmith_assembly_orphans"}},
	}
}

// scrapeCounters reads the collector's Prometheus text exposition at url. The text format is
// line based ("name{labels} value"), so a line scanner is all the page needs.
func scrapeCounters(ctx context.Context, client *http.Client, url string) ([]collectorCounter, error) {
	counters := newCounters()
	index := map[string]int{}
	for i, c := range counters {
		for _, s := range c.Series {
			index[s] = i
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("collector metrics request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape collector metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape collector metrics: %s answered %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name, _, _ := strings.Cut(line[:sp], "{")
		i, ok := index[strings.TrimSuffix(name, "_total")]
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		counters[i].Value += v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read collector metrics: %w", err)
	}
	return counters, nil
}

// counterSource scrapes the collector for each page view, briefly, so a stopped collector
// only blanks the counters instead of stalling the page.
type counterSource struct {
	url    string
	client *http.Client
}

func (c *counterSource) read(ctx context.Context) ([]collectorCounter, string) {
	if c == nil || c.url == "" {
		return nil, ""
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	counters, err := scrapeCounters(ctx, c.client, c.url)
	if err != nil {
		return nil, err.Error()
	}
	return counters, ""
}
