// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfuse // import "github.com/tracebridge/tracebridge/translator/langfuse"

import (
	"bytes"
	"fmt"
	"net/http"
)

// The decoders bound what one body may cost, whatever its size in bytes: a small body can
// otherwise stand for a huge parse tree ("[0,0,0,…]" is 80 bytes of tree per 2 bytes of JSON)
// or a huge error answer (a deep tree, or many problems each with a long loc). Each bound is
// checked before the part it protects is built.
const (
	// NodesPerRecord is the allowance of JSON nodes per record (or per span of a session) the
	// node budget is derived from; see NodeBudget. A typical record uses 30 to 50.
	NodesPerRecord = 1000
	// MinNodes is the node budget's floor, so that a body of one record may still carry a
	// large `extra`.
	MinNodes = 1 << 16
	// MaxNodes is the node budget's hard ceiling, whatever the record limit: about 100 MB of
	// parse tree at most.
	MaxNodes = 1 << 20
	// DefaultMaxNesting bounds how deep objects and arrays may nest in a body (a deeper body is
	// a 422 json_invalid, as encoding/json answers past its own 10000 levels). It is well above
	// the 2×DefaultMaxSessionDepth+1 levels a session at the depth limit needs, so that such a
	// session gets the clearer depth problem instead.
	DefaultMaxNesting = 1024
	// DefaultMaxSessionDepth bounds the levels of a session tree, the root being level 1. A
	// deeper node is a 422 problem located at that node. Deep trees are costly downstream too:
	// the LangSmith dotted_order of a run repeats every ancestor.
	DefaultMaxSessionDepth = 256
	// MaxProblems is how many problems a ValidationError lists; one more entry says how many
	// were left out.
	MaxProblems = 100
)

// NodeBudget is the default node budget for a body of at most maxRecords records:
// NodesPerRecord per record, within [MinNodes, MaxNodes]. maxRecords ≤ 0 gives MaxNodes.
func NodeBudget(maxRecords int) int {
	if maxRecords <= 0 || maxRecords > MaxNodes/NodesPerRecord {
		return MaxNodes
	}
	return max(maxRecords*NodesPerRecord, MinNodes)
}

// DecodeOption changes a limit of DecodeRecords or DecodeSession.
type DecodeOption struct {
	limit limitKind
	n     int
}

type limitKind uint8

const (
	limitNodes limitKind = iota + 1
	limitNesting
	limitSessionDepth
)

type decodeConfig struct {
	maxNodes        int
	maxNesting      int
	maxSessionDepth int
}

// WithMaxNodes bounds the JSON nodes of a body: every value (objects and arrays included)
// and every object key counts one. A body with more is refused with 413 before any of it is
// decoded. n ≤ 0 keeps the default, NodeBudget of the record limit.
func WithMaxNodes(n int) DecodeOption { return DecodeOption{limit: limitNodes, n: n} }

// withMaxNesting bounds how deep objects and arrays may nest. n ≤ 0 keeps DefaultMaxNesting.
func withMaxNesting(n int) DecodeOption { return DecodeOption{limit: limitNesting, n: n} }

// withMaxSessionDepth bounds the levels of a session tree, the root being level 1. n ≤ 0
// keeps DefaultMaxSessionDepth. A limit above about DefaultMaxNesting/2 also needs
// withMaxNesting.
func withMaxSessionDepth(n int) DecodeOption {
	return DecodeOption{limit: limitSessionDepth, n: n}
}

func newDecodeConfig(maxRecords int, opts []DecodeOption) decodeConfig {
	c := decodeConfig{
		maxNodes:        NodeBudget(maxRecords),
		maxNesting:      DefaultMaxNesting,
		maxSessionDepth: DefaultMaxSessionDepth,
	}
	for _, o := range opts {
		if o.n <= 0 {
			continue
		}
		switch o.limit {
		case limitNodes:
			c.maxNodes = o.n
		case limitNesting:
			c.maxNesting = o.n
		case limitSessionDepth:
			c.maxSessionDepth = o.n
		}
	}
	return c
}

// tooManyNodes is the 413 answer to a body whose parse tree would exceed the node budget.
func tooManyNodes(limit, actual int) error {
	return &ValidationError{Status: http.StatusRequestEntityTooLarge, Details: []Detail{{
		Loc:   []any{"body"},
		Msg:   fmt.Sprintf("Body should have at most %d JSON values and object keys, not %d", limit, actual),
		Type:  typeTooLong,
		Input: nil,
		Ctx:   map[string]any{"field_type": "JSON", "max_length": limit, "actual_length": actual},
	}}}
}

// measurement is what measureJSON learns about a body without building anything.
type measurement struct {
	nodes int // values (objects and arrays included) and object keys
	elems int // elements of a root array; -1 when the root is not an array
}

// measureJSON counts the nodes of data and the elements of a root array. It allocates
// nothing. On a body json.Valid accepted the counts are exact; on anything else (an NDJSON
// body as a whole) they are an approximation, and it never panics.
func measureJSON(data []byte) measurement {
	m := measurement{elems: -1}
	depth := 0
	for i := 0; i < len(data); {
		c := data[i]
		switch c {
		case ' ', '\t', '\n', '\r', ',', ':':
			i++
			continue
		case '}', ']':
			depth = max(depth-1, 0)
			i++
			continue
		}
		// c starts a value or an object key.
		m.nodes++
		if depth == 1 && m.elems >= 0 {
			m.elems++
		}
		switch c {
		case '{', '[':
			if c == '[' && m.nodes == 1 {
				m.elems = 0
			}
			depth++
			i++
		case '"':
			i = skipStringAt(data, i)
		default: // a number or a literal: up to the next delimiter
			i++
			for i < len(data) && !isDelimiter(data[i]) {
				i++
			}
		}
	}
	return m
}

// skipStringAt returns the index after the string whose opening quote is at data[i]: the
// first quote not escaped by an odd number of backslashes.
func skipStringAt(data []byte, i int) int {
	open := i
	for i++; ; i++ {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data)
		}
		i += j
		k := i
		for k > open+1 && data[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i + 1
		}
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"':
		return true
	default:
		return false
	}
}
