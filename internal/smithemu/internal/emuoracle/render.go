// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package emuoracle

import "fmt"

// LangSmith ingests these runs, but its UI does not show them as meant: an llm run's messages
// without role and content do not render as a chat, and usage_metadata on a run that is not an
// llm run counts its tokens and cost a second time (LangSmith adds a run's descendants' usage
// into it). The emulator cannot reject them, since LangSmith does not; it flags them in the
// read-back (Run.RenderIssues) and on the demo page.

// renderIssues lists why r would not render as meant; nil when it would.
func renderIssues(r *Run) []string {
	var issues []string
	if r.RunType != "llm" {
		if _, ok := r.Outputs["usage_metadata"]; ok {
			issues = append(issues, fmt.Sprintf("usage_metadata on a %s run: its tokens and cost are counted twice", r.RunType))
		}
		return issues
	}
	for _, side := range [...]struct {
		name string
		obj  map[string]any
	}{{"inputs", r.Inputs}, {"outputs", r.Outputs}} {
		msgs, ok := side.obj["messages"].([]any)
		if !ok {
			continue
		}
		for i, m := range msgs {
			if why := messageIssue(m); why != "" {
				issues = append(issues, fmt.Sprintf("%s.messages[%d] %s: not shown as chat", side.name, i, why))
			}
		}
	}
	return issues
}

// messageIssue says what a chat message lacks: a role, and content (a string or a list of
// blocks; an assistant message with tool_calls may have none).
func messageIssue(m any) string {
	msg, ok := m.(map[string]any)
	if !ok {
		return "is not an object"
	}
	role, _ := msg["role"].(string)
	if role == "" {
		if _, lc := msg["type"].(string); !lc { // LangChain-serialized messages carry type instead
			return "has no role"
		}
	}
	switch msg["content"].(type) {
	case string, []any:
		return ""
	case nil:
		if _, calls := msg["tool_calls"].([]any); calls {
			return ""
		}
		return "has no content"
	default:
		return "has content that is neither text nor a list of blocks"
	}
}
