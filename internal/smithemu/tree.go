package smithemu

// buildForest nests runs (already sorted by dotted_order) under their
// parents. A run whose parent is not among them is returned as a root, so an
// orphan stays visible instead of vanishing from the tree.
func buildForest(runs []Run) []*TreeNode {
	nodes := make(map[string]*TreeNode, len(runs))
	for _, r := range runs {
		nodes[r.ID] = &TreeNode{Run: r}
	}
	var roots []*TreeNode
	// Walking in dotted_order keeps every children list sorted too.
	for _, r := range runs {
		n := nodes[r.ID]
		if p, ok := nodes[r.ParentRunID]; ok && r.ParentRunID != "" && r.ParentRunID != r.ID {
			p.Children = append(p.Children, n)
			continue
		}
		roots = append(roots, n)
	}
	return roots
}

// complete reports whether a trace's root has ended and every known run of
// the trace has ended.
func (t *traceState) complete(traceID string) bool {
	root := t.runs[traceID]
	if root == nil || !root.posted() {
		return false
	}
	for _, rs := range t.runs {
		if !rs.hasEndTime {
			return false
		}
	}
	return true
}

// Walk calls fn for n and each descendant, depth first, with its depth.
func (n *TreeNode) Walk(fn func(node *TreeNode, depth int)) {
	var walk func(*TreeNode, int)
	walk = func(x *TreeNode, d int) {
		fn(x, d)
		for _, c := range x.Children {
			walk(c, d+1)
		}
	}
	walk(n, 0)
}
