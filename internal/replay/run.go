// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// inputRun is one run of a run-list file: the fields of a LangSmith export
// (https://docs.langchain.com/langsmith/run-data-format) the replay carries. Payloads stay raw
// JSON; they are copied, not rebuilt.
type inputRun struct {
	ID          looseString     `json:"id"`
	TraceID     looseString     `json:"trace_id"`
	ParentRunID looseString     `json:"parent_run_id"`
	Name        string          `json:"name"`
	RunType     string          `json:"run_type"`
	Inputs      json.RawMessage `json:"inputs"`
	Outputs     json.RawMessage `json:"outputs"`
	Error       json.RawMessage `json:"error"`
	Extra       json.RawMessage `json:"extra"`
	Tags        json.RawMessage `json:"tags"`
	Events      json.RawMessage `json:"events"`
	StartTime   json.RawMessage `json:"start_time"`
	EndTime     json.RawMessage `json:"end_time"`
	SessionName string          `json:"session_name"`
	DottedOrder string          `json:"dotted_order"`
	Replay      *finalMark      `json:"tracebridge_replay"`
}

func parseRun(raw []byte) (*inputRun, error) {
	var r inputRun
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("invalid run: %w", err)
	}
	if strings.TrimSpace(string(r.ID)) == "" {
		return nil, fmt.Errorf("run has no id")
	}
	return &r, nil
}

// isNull reports an absent or null JSON value.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// errorText is the run's error as text: a string as is, any other value as its JSON.
func (r *inputRun) errorText() string {
	if isNull(r.Error) {
		return ""
	}
	var s string
	if json.Unmarshal(r.Error, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(r.Error))
}

// tags reads a list of strings; LangSmith writes tags as one, some tools as a comma list.
func (r *inputRun) tags() []string {
	if isNull(r.Tags) {
		return nil
	}
	var list []string
	if json.Unmarshal(r.Tags, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(r.Tags, &s) == nil && s != "" {
		for t := range strings.SplitSeq(s, ",") {
			if t = strings.TrimSpace(t); t != "" {
				list = append(list, t)
			}
		}
	}
	return list
}

// runExtra is the part of a run's extra the replay carries: metadata and the model's
// invocation parameters. Other members (the SDK's runtime block) describe the machine that
// recorded the run, not the run.
type runExtra struct {
	Metadata         map[string]json.RawMessage `json:"metadata"`
	InvocationParams json.RawMessage            `json:"invocation_params"`
}

func (r *inputRun) extra() runExtra {
	var x runExtra
	if !isNull(r.Extra) {
		_ = json.Unmarshal(r.Extra, &x) // a non-object extra carries nothing
	}
	return x
}

// runEvent is one entry of a run's events (new_token and friends).
type runEvent struct {
	Name   string          `json:"name"`
	Time   json.RawMessage `json:"time"`
	Kwargs json.RawMessage `json:"kwargs"`
}

func (r *inputRun) events() []runEvent {
	if isNull(r.Events) {
		return nil
	}
	var ev []runEvent
	if json.Unmarshal(r.Events, &ev) != nil {
		return nil
	}
	return ev
}
