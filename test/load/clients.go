// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var tgGenerated = regexp.MustCompile(`traces generated.*"traces": (\d+)`)

// startClients starts the load generators of a scenario.
func startClients(sc scenario, o options, p ports, work string) ([]*proc, error) {
	rate := sc.Rate * o.rateScale
	secs := strconv.Itoa(int(o.duration.Seconds())) + "s"
	switch {
	case clientOf(sc, o) == "telemetrygen":
		perWorker := rate / float64(o.tgProcs*o.tgWorkers)
		endpoint := fmt.Sprintf("127.0.0.1:%d", p.otlpHTTP)
		if o.transport == "grpc" {
			endpoint = fmt.Sprintf("127.0.0.1:%d", p.otlpGRPC)
		}
		var out []*proc
		for i := range o.tgProcs {
			args := []string{"traces",
				"--otlp-endpoint", endpoint, "--otlp-insecure",
				"--duration", secs, "--rate", strconv.FormatFloat(perWorker, 'f', 2, 64),
				"--workers", strconv.Itoa(o.tgWorkers),
				"--child-spans", strconv.Itoa(spansPerTrace - 1), "--span-duration", "20ms",
				"--batch-size", strconv.Itoa(o.otlpBatch),
				"--allow-export-failures",
				"--service", fmt.Sprintf("agent-svc-%d", i),
			}
			if o.transport == "http" {
				args = append(args, "--otlp-http")
			}
			for _, a := range genAIAttributes {
				args = append(args, "--telemetry-attributes", a)
			}
			c, err := startProc(work, fmt.Sprintf("telemetrygen-%d", i), o.telemetrygen, args, nil, nil)
			if err != nil {
				return out, err
			}
			out = append(out, c)
		}
		return out, nil
	default:
		batch, conc := o.ndjsonBatch, o.rawConcurrency
		mode, endpoint := "raw", fmt.Sprintf("http://127.0.0.1:%d", p.raw)
		switch sc.Load {
		case loadRawSingle:
			batch = 1
		case loadOTLP:
			mode, endpoint, batch, conc = "otlp", fmt.Sprintf("http://127.0.0.1:%d", p.otlpHTTP), o.otlpBatch, 8
			if sc.Batch > 0 {
				batch = sc.Batch
			}
			if sc.Concurrency > 0 {
				conc = sc.Concurrency
			}
		}
		var extra []string
		if sc.Spans > 0 {
			// A fixed count as fast as it is taken: a schedule no worker can keep up with, cut
			// at the count (the load generator then only waits for a free worker).
			rate = 1e9
			extra = []string{"-max-requests", strconv.FormatInt((sc.Spans+int64(batch)-1)/int64(batch), 10)}
			// Faster than a slow downstream drains: the collector's full queue or memory limiter
			// answers 503, and the client sends the request again, as OTLP exporters do.
			extra = append(extra, "-retry")
		}
		args := append([]string{
			"-mode", mode, "-endpoint", endpoint, "-api-key", rawAPIKey,
			"-rate", strconv.FormatFloat(rate, 'f', 2, 64), "-duration", secs,
			"-batch", strconv.Itoa(batch), "-concurrency", strconv.Itoa(conc), "-records-per-trace", strconv.Itoa(spansPerTrace),
		}, extra...)
		outPath := filepath.Join(work, "loadgen.json")
		f, err := os.Create(outPath)
		if err != nil {
			return nil, err
		}
		c, err := startProc(work, "loadgen", o.loadgen, args, nil, f)
		_ = f.Close() // the child holds its own descriptor
		if err != nil {
			return nil, err
		}
		return []*proc{c}, nil
	}
}

// genAIAttributes are what telemetrygen can put on its spans: every span of a trace gets the
// same string and int attributes (no per-span roles, floats, events or deeper trees).
var genAIAttributes = []string{
	`gen_ai.operation.name="chat"`,
	`gen_ai.provider.name="openai"`,
	`gen_ai.request.model="gpt-4o-mini"`,
	`gen_ai.response.model="gpt-4o-mini-2024-07-18"`,
	`gen_ai.input.messages="[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"You are a wallet assistant. Answer briefly and never move funds without confirmation.\"}]},{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"What did I spend on gas this week, and which transfer was the largest?\"}]}]"`,
	`gen_ai.output.messages="[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"You spent 0.012 ETH on gas across 9 transactions; the largest transfer was 1.5 ETH to 0xabc on Tuesday.\"}],\"finish_reason\":\"stop\"}]"`,
	`gen_ai.usage.input_tokens=812`,
	`gen_ai.usage.output_tokens=41`,
	`gen_ai.conversation.id="conv-42"`,
	`user.id="user-7"`,
}

// clientCount reads what a finished client produced.
func clientCount(c *proc) (generated, rejected, retried int64, raw json.RawMessage, err error) {
	if strings.HasPrefix(c.name, "telemetrygen") {
		b, err := os.ReadFile(c.log)
		if err != nil {
			return 0, 0, 0, nil, err
		}
		ms := tgGenerated.FindAllSubmatch(b, -1)
		if len(ms) == 0 {
			return 0, 0, 0, nil, errors.New("no 'traces generated' line in its log")
		}
		for _, m := range ms {
			n, _ := strconv.ParseInt(string(m[1]), 10, 64)
			generated += n * spansPerTrace
		}
		return generated, 0, 0, nil, nil
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(c.log), "loadgen.json"))
	if err != nil {
		return 0, 0, 0, nil, err
	}
	var s struct {
		RecordsSent     int64 `json:"records_sent"`
		RecordsAccepted int64 `json:"records_accepted"`
		RecordsRetried  int64 `json:"records_retried"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, 0, 0, nil, fmt.Errorf("loadgen output: %w", err)
	}
	return s.RecordsSent, s.RecordsSent - s.RecordsAccepted, s.RecordsRetried, json.RawMessage(b), nil
}

// clientOf is the load generator of a scenario: telemetrygen or loadgen.
func clientOf(sc scenario, o options) string {
	if sc.Load != loadOTLP {
		return "loadgen"
	}
	if o.otlpClient != "" {
		return o.otlpClient
	}
	if sc.Client != "" {
		return sc.Client
	}
	return "telemetrygen"
}
