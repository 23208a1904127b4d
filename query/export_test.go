package query

// SetLimits changes the limits of q's planner, so that tests reach every
// plan and capped totals with small libraries.
func SetLimits(q *Query, probe, count, deep int) {
	q.lim = limits{probe: probe, seqProbe: probe, fetch: probe, head: probe, dense: defaultLimits.dense, denseRow: defaultLimits.denseRow,
		count: count, checkedCount: count, deep: deep, rare: probe}
}

// Generic makes q leave every list to the database's planner, read meta
// from the JSON text and count exactly: the reference the planned lists
// are compared with.
func Generic(q *Query) { q.generic = true }

// SetDense changes the share of matching IDs above which q's planner walks
// the default order rather than scanning full-text candidates by ID.
func SetDense(q *Query, dense float64) { q.lim.dense, q.lim.denseRow = dense, dense }

// OnPlanned makes q run f in List between planning and reading the page.
func OnPlanned(q *Query, f func()) { q.planned = f }
