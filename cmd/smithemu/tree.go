package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// formatTree renders a completed trace as an indented tree, one run a line:
// name, run type, duration, status.
func formatTree(project string, root *smithemu.TreeNode) string {
	var b strings.Builder
	n := 0
	root.Walk(func(*smithemu.TreeNode, int) { n++ })
	fmt.Fprintf(&b, "trace %s  project=%s  runs=%d\n", root.Run.TraceID, project, n)
	root.Walk(func(node *smithemu.TreeNode, depth int) {
		r := node.Run
		status := r.Status
		if r.Error != "" {
			status += ": " + firstLine(r.Error)
		}
		fmt.Fprintf(&b, "%s%s [%s] %s %s\n", strings.Repeat("  ", depth+1), r.Name, r.RunType, formatDuration(r.Duration()), status)
	})
	return b.String()
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
