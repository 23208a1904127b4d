package query

import (
	"context"
)

// SetLimits changes the limits of q's planner, so that tests reach every
// plan and capped totals with small libraries. It takes no library for
// small (SetSmall), so that searches count their trigrams.
func SetLimits(q *Query, probe, count, deep int) {
	q.lim = limits{probe: probe, seqProbe: probe, fetch: probe, head: probe, dense: defaultLimits.dense, denseRow: defaultLimits.denseRow,
		count: count, checkedCount: count, deep: deep, rare: probe, rowCost: 1e9, entryCost: 1e9, postingCost: 2, window: 0.01, probeWalk: 3}
}

// SetWindow changes the limits of windowPage: the entries of its first
// walk, and the pages of matches its first window should hold.
func SetWindow(q *Query, probeWalk int, window float64) {
	q.lim.probeWalk, q.lim.window = probeWalk, window
}

// SetSmall changes the highest resource ID below which q's planner takes
// a library for small (0: never).
func SetSmall(q *Query, small int64) {
	q.lim.small = small
	q.size = &sizeCache{}
}

// SetFold turns on or off the reading of a small library's page of few
// full-text candidates in one statement (foldGather).
func SetFold(q *Query, on bool) { q.lim.noFold = !on }

// Folded reports whether q's List(f) reads its page with foldGather.
func Folded(ctx context.Context, q *Query, f Filter) (bool, error) {
	p, err := q.compile(f)
	if err != nil {
		return false, err
	}
	conn, err := q.begin(ctx)
	if err != nil {
		return false, err
	}
	defer endRead(ctx, conn)
	_, _, ok, err := q.inTx(conn).foldGather(ctx, p)
	return ok, err
}

// SmallLibrary reports whether q's planner takes its library for small.
func SmallLibrary(ctx context.Context, q *Query) (bool, error) {
	return q.smallLibrary(ctx)
}

// TextMatch is the full-text query that q's planner runs for a substring
// search of term in field (name, description, original_name or
// original_location), in a library that is small or not.
func TextMatch(ctx context.Context, q *Query, field, term string, small bool) (string, error) {
	ts, ok, err := q.sql.textSearch(ctx, q.scanRow, field, term, q.lim.rare, small)
	if err != nil || !ok {
		return "", err
	}
	return ts.ids.args[0].(string), nil
}

// Generic makes q take the generic path, as New does for a dialect
// without the cost-based planner: leave every list to the database's
// planner, read meta from the JSON text and count exactly. It is also the
// reference the planned lists are compared with. q keeps its dialect's SQL
// but loses what only the planner may use, so that a test of the generic
// path fails if it uses any.
func Generic(q *Query) {
	if _, ok := q.sql.(plannerless); !ok {
		q.sql = plannerless{q.sql}
	}
	q.generic, q.exact = true, true
}

// IsGeneric reports whether q takes the generic path.
func IsGeneric(q *Query) bool { return q.generic }

// plannerless is a dialect without the cost-based planner.
type plannerless struct{ sqlDialect }

func (plannerless) planner() bool { return false }

func (plannerless) useIndex(string) string { panic("query: the generic path used useIndex") }

func (plannerless) sortText(string) string { panic("query: the generic path used sortText") }

func (plannerless) textSearch(context.Context, rowScanner, string, string, int, bool) (textSet, bool, error) {
	panic("query: the generic path used textSearch")
}

// SetDense changes the share of matching IDs above which q's planner walks
// the default order rather than scanning full-text candidates by ID.
func SetDense(q *Query, dense float64) { q.lim.dense, q.lim.denseRow = dense, dense }

// OnPlanned makes q run f in List between planning and reading the page.
func OnPlanned(q *Query, f func()) { q.planned = f }

// Lean makes q take the generic path with bounded totals, as New does for
// PostgreSQL, whatever its database.
func Lean(q *Query) {
	q.generic, q.exact = true, false
}

// FirstWalk runs windowPage's first walk, newest first, for the resources
// whose name contains text, with room for need matches, in a transaction
// of its own. It returns the IDs found, the day of the first window the
// walk read, the day windowDay reads for the k windowPage computes from
// what the walk found, and the planner's enable_indexscan after the walk
// ("" on SQLite, which has no such setting).
func FirstWalk(ctx context.Context, q *Query, text string, need int) (ids []int64, day, want, indexScan string, err error) {
	p, err := q.compile(Filter{Name: text})
	if err != nil {
		return nil, "", "", "", err
	}
	conn, err := q.begin(ctx)
	if err != nil {
		return nil, "", "", "", err
	}
	defer endRead(ctx, conn)
	inTx := q.inTx(conn)
	first, err := inTx.firstWalk(ctx, p.where(), true, int64(need), nil)
	if err != nil {
		return nil, "", "", "", err
	}
	if len(first.ids) < need {
		_, k := q.lim.firstWindow(len(first.ids), float64(need), float64(first.total))
		if want, err = inTx.windowDay(ctx, true, int64(k)); err != nil {
			return nil, "", "", "", err
		}
	}
	if len(q.sql.bitmapsOnlyExprs()) > 0 {
		err = conn.QueryRowContext(ctx, "SELECT current_setting('enable_indexscan')").Scan(&indexScan)
	}
	return first.ids, first.day, want, indexScan, err
}

// NoNames turns off q's copy of a small library's names: Name searches
// read the index, as they do when the copy is out of date.
func NoNames(q *Query) { q.names = nil }

// WaitNames waits for the build of q's copy of the names in progress, if
// any, and lets the next list that finds the copy out of date build it at
// once.
func WaitNames(q *Query) {
	q.names.wg.Wait()
	q.names.notBefore.Store(0)
}

// NameScans counts the lists that q's copy of the names served.
func NameScans(q *Query) int64 { return q.names.scans.Load() }
