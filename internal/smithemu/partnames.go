package smithemu

import "strings"

// Part names accepted on /runs/multipart: <event>.<run_id>[.<field>],
// feedback.<id>, attachment.<run_id>.<name>. They are matched by hand rather
// than by regular expression because every part of every request is matched;
// each matcher accepts exactly what its documented pattern does
// (oracle_test.go checks them against the patterns).

// runFieldParts are the fields a run may send as a part of their own.
var runFieldParts = []string{"inputs", "outputs", "events", "error", "extra", "serialized"}

// fieldPartBit is the bit of op.fieldParts that marks key as sent in a part of its own; 0 for a
// key that is not a field part's.
func fieldPartBit(key string) uint8 {
	for i, f := range runFieldParts {
		if key == f {
			return 1 << i
		}
	}
	return 0
}

// isPartID reports whether s is 36 characters of [0-9a-fA-F-].
func isPartID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == '-':
		default:
			return false
		}
	}
	return true
}

// matchRunPart matches ^(post|patch)\.([0-9a-fA-F-]{36})(?:\.(inputs|outputs|events|error|extra|serialized))?$.
func matchRunPart(name string) (event, rawID, field string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(name, "post."):
		event, rest = "post", name[len("post."):]
	case strings.HasPrefix(name, "patch."):
		event, rest = "patch", name[len("patch."):]
	default:
		return "", "", "", false
	}
	if len(rest) < 36 || !isPartID(rest[:36]) {
		return "", "", "", false
	}
	rawID, rest = rest[:36], rest[36:]
	if rest == "" {
		return event, rawID, "", true
	}
	if rest[0] != '.' {
		return "", "", "", false
	}
	for _, f := range runFieldParts {
		if rest[1:] == f {
			return event, rawID, f, true
		}
	}
	return "", "", "", false
}

// matchFeedbackPart matches ^feedback\.([0-9a-fA-F-]{36})$.
func matchFeedbackPart(name string) bool {
	rest, ok := strings.CutPrefix(name, "feedback.")
	return ok && isPartID(rest)
}

// matchAttachmentPart matches ^attachment\.([0-9a-fA-F-]{36})\.([^.]+)$.
func matchAttachmentPart(name string) (rawID, attName string, ok bool) {
	rest, ok := strings.CutPrefix(name, "attachment.")
	if !ok || len(rest) < 38 || !isPartID(rest[:36]) || rest[36] != '.' {
		return "", "", false
	}
	attName = rest[37:]
	if strings.Contains(attName, ".") {
		return "", "", false
	}
	return rest[:36], attName, true
}
