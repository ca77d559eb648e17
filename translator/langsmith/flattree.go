// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"strings"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// flatTree rebuilds the nested value behind flattened attributes: OpenLLMetry's
// gen_ai.prompt.0.role, OpenInference's llm.input_messages.0.message.content, span event
// attributes such as message.content. Numeric path segments become array positions (kept in
// index order, gaps closed), other segments object members (kept in first-seen order). Nodes
// live in one slice and link by index, so a tree costs a single allocation at most.
type flatTree struct {
	nodes []flatNode
}

type nodeKind uint8

const (
	kindUnset nodeKind = iota
	kindLeaf
	kindObject
	kindArray
)

type flatNode struct {
	key         string
	index       int
	val         pcommon.Value
	kind        nodeKind
	first, last int32 // children; 0 means none (node 0 is the root and never a child)
	next        int32
	childCount  int32
}

// reset empties the tree; its root becomes an array or an object.
func (t *flatTree) reset(root nodeKind) {
	if t.nodes == nil {
		t.nodes = make([]flatNode, 0, 32)
	}
	t.nodes = append(t.nodes[:0], flatNode{kind: root})
}

func (t *flatTree) empty() bool { return t.nodes[0].childCount == 0 }

// insert places v at the dotted path. It refuses (false) a path that clashes with what is
// already there: a second value for one path, a value where a list or object is, or a
// non-numeric segment inside a list. The refused attribute stays in metadata.
func (t *flatTree) insert(path string, v pcommon.Value) bool {
	n := int32(0)
	for {
		seg, rest, more := strings.Cut(path, ".")
		if seg == "" {
			return false
		}
		idx, numeric := segmentIndex(seg)
		switch t.nodes[n].kind {
		case kindUnset:
			if numeric {
				t.nodes[n].kind = kindArray
			} else {
				t.nodes[n].kind = kindObject
			}
		case kindLeaf:
			return false
		case kindArray:
			if !numeric {
				return false
			}
		}
		c := t.child(n, seg, idx)
		if !more {
			if t.nodes[c].kind != kindUnset {
				return false
			}
			t.nodes[c].kind, t.nodes[c].val = kindLeaf, v
			return true
		}
		n, path = c, rest
	}
}

// child finds or adds n's child for seg (an array child is found by index).
func (t *flatTree) child(n int32, seg string, idx int) int32 {
	isArray := t.nodes[n].kind == kindArray
	prev := int32(0)
	// Lists usually arrive in order: a position past the last one appends without a scan.
	if last := t.nodes[n].last; isArray && last != 0 && t.nodes[last].index < idx {
		return t.addChild(n, last, seg, idx)
	}
	for c := t.nodes[n].first; c != 0; c = t.nodes[c].next {
		if isArray {
			if t.nodes[c].index == idx {
				return c
			}
			if t.nodes[c].index > idx {
				break
			}
		} else if t.nodes[c].key == seg {
			return c
		}
		prev = c
	}
	return t.addChild(n, prev, seg, idx)
}

// addChild links a new child of n after prev (first when prev is 0).
func (t *flatTree) addChild(n, prev int32, seg string, idx int) int32 {
	c := int32(len(t.nodes))
	t.nodes = append(t.nodes, flatNode{key: seg, index: idx})
	if prev == 0 {
		t.nodes[c].next = t.nodes[n].first
		t.nodes[n].first = c
	} else {
		t.nodes[c].next = t.nodes[prev].next
		t.nodes[prev].next = c
	}
	if t.nodes[c].next == 0 {
		t.nodes[n].last = c
	}
	t.nodes[n].childCount++
	return c
}

// segmentIndex reads a list position: up to nine digits.
func segmentIndex(seg string) (int, bool) {
	if len(seg) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// treeStyle adjusts encoding to a convention.
type treeStyle struct {
	// unwrap replaces a list element holding a single OpenInference wrapper object
	// ({"message":{…}}, {"tool_call":{…}}, {"message_content":{…}}, {"document":{…}}) by the
	// wrapped object, which is the shape LangSmith renders.
	unwrap bool
	// defaultRole is written as the root object's "role" when it has none (message events
	// carry the role in the event name).
	defaultRole string
}

func (t *flatTree) appendJSON(dst []byte, style treeStyle) []byte {
	return t.appendNode(dst, 0, style, true)
}

func (t *flatTree) appendNode(dst []byte, n int32, style treeStyle, root bool) []byte {
	node := &t.nodes[n]
	switch node.kind {
	case kindLeaf:
		return jsontext.AppendValue(dst, node.val)
	case kindArray:
		dst = append(dst, '[')
		first := true
		for c := node.first; c != 0; c = t.nodes[c].next {
			if t.nodes[c].kind == kindUnset {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			el := c
			if style.unwrap {
				el = t.unwrapped(c)
			}
			dst = t.appendNode(dst, el, style, false)
		}
		return append(dst, ']')
	default: // object, or an unset root written as an empty object
		dst = append(dst, '{')
		first := true
		if root && style.defaultRole != "" && t.lookup(n, "role") == 0 {
			dst = append(dst, `"role":`...)
			dst = jsontext.AppendString(dst, style.defaultRole)
			first = false
		}
		for c := node.first; c != 0; c = t.nodes[c].next {
			if t.nodes[c].kind == kindUnset {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = jsontext.AppendString(dst, t.nodes[c].key)
			dst = append(dst, ':')
			dst = t.appendNode(dst, c, style, false)
		}
		return append(dst, '}')
	}
}

// lookup returns the child of n named key, or 0.
func (t *flatTree) lookup(n int32, key string) int32 {
	for c := t.nodes[n].first; c != 0; c = t.nodes[c].next {
		if t.nodes[c].key == key && t.nodes[c].kind != kindUnset {
			return c
		}
	}
	return 0
}

func (t *flatTree) unwrapped(n int32) int32 {
	node := &t.nodes[n]
	if node.kind != kindObject || node.childCount != 1 {
		return n
	}
	c := node.first
	switch t.nodes[c].key {
	case "message", "tool_call", "message_content", "document":
		if k := t.nodes[c].kind; k == kindObject || k == kindArray {
			return c
		}
	}
	return n
}
