package query

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// How a list is read.
//
// Nearly every list is in the default order (created_at, then id), and a
// page of it must not cost reading every match: on this kind of storage a
// row or index entry found by key costs some thirty times the next entry
// of an index scan. So every condition of a Filter says, besides its SQL on
// the resource row, which cheaper readings it offers:
//
//   - a sequence: an index holding exactly the condition's matches in the
//     default order (a tag in resource_tag_order, a meta value in
//     resource_meta, an owner in resources_owner_order...). Reading it,
//     checking the other conditions, stops after the page.
//   - a sorted set: an index holding exactly the matches with their
//     creation time, in another order (a range of meta values): read whole
//     and sorted, without reading rows.
//   - a candidate set: the IDs of the matches, or of a superset (the
//     full-text index's), which must be looked up to be sorted.
//
// List probes the size of each set (counting at most limits.probe; the
// IDs of a candidate set, up to limits.fetch, are kept), then reads, in
// this order of preference:
//
//  1. the smallest set when it is small: a sequence or a sorted set of
//     fewer than limits.probe entries, in order or whole; a candidate set
//     whose IDs were all kept, by ID (see scan), which usually stops after
//     a batch or two;
//  2. the smallest sequence, checking the other conditions on the way;
//  3. resources_order, the index of the default order, which also
//     carries content type, size, name and description: those conditions
//     are checked on the index, the others by key or on the row.
//     Substring searches whose full-text candidates were all kept are
//     first checked against them by ID.
//
// A page without conditions deep in the list is found through the
// per-day counts of resource_days instead of stepping over every entry
// before it.
//
// Total: a page that ends the list gives it exactly; so do resource_days
// for lists with no condition but a creation-time range, a sorted set or a
// scan read whole, and the probed size of an exact set that is the only
// condition. Otherwise a reading whose checks need neither rows nor
// lookups is counted over at most limits.count entries (checkedCount with
// checks); past that, or when checks are costly, the total is a lower
// bound (Page.TotalCapped).

// limits are the bounds of the planner.
type limits struct {
	// probe bounds the count of a set when probing its size; a sorted
	// set smaller than this is read whole. seqProbe bounds the count of a
	// sequence, fetch the IDs of a candidate set that are kept, head
	// those of a candidate set read in ID order (see cond.stream).
	probe, seqProbe, fetch, head int
	// dense is the share of the IDs it spans above which a head of
	// candidates makes walking resources_order cheaper than scanning
	// them; denseRow the same for a condition checked on rows, whose walk
	// reads every row it passes.
	dense, denseRow float64
	// count bounds the index entries a count reads; checkedCount when
	// the entries are checked.
	count, checkedCount int
	// deep is the offset from which a page without conditions is found
	// through resource_days.
	deep int
	// rare bounds the count of the documents of a trigram in a
	// full-text search; fewer make it rare.
	rare int
	// rowCost is the cost of checking a row found by an index relative
	// to that of an entry of a range of an index, for windowPage.
	// entryCost and postingCost are those of checking an entry of
	// resources_order on a walk and of reading a posting of a bitmap
	// index (trigram, GIN).
	rowCost, entryCost, postingCost float64
	// probeWalk is the number of entries of resources_order that
	// windowPage checks first when they carry the conditions' columns.
	probeWalk int
	// window is the number of pages of matches, by the database's
	// estimate, that windowPage's first range should hold.
	window float64
	// small bounds the highest resource ID of a small library, whose
	// substring searches of a short term skip counting its trigrams
	// (see textSearch): no trigram list there is long, so the phrase
	// itself is found as fast, and the counts were most of a search's
	// cost. 0 turns it off.
	small int64
	// noFold turns foldGather off, for tests that compare it with the
	// two statements it folds.
	noFold bool
}

// defaultLimits are tuned on a generated library of a million resources
// (BenchmarkList), where each bound costs a few milliseconds at most.
var defaultLimits = limits{probe: 5_000, seqProbe: 1_000, fetch: 3_000, head: 256, dense: 0.01, denseRow: 0.05,
	count: 5_000, checkedCount: 2_000, deep: 1_000, rare: 500, rowCost: 50, entryCost: 5, postingCost: 2, window: 3, probeWalk: 4000,
	small: 10_000}

// cond is one condition of a Filter, in the forms the planner can use.
type cond struct {
	// where is the condition on the row of resources AS r; always set.
	where fragment
	// index reports that where reads only columns of resources_order.
	index bool
	// onID, when set, is the same condition on the ID of a resource,
	// checked by key without its row.
	onID func(id string) fragment
	// seq, when set, reads the matches in the default order.
	seq *sequence
	// sorted, when set, reads the matches with their creation time, in
	// another order; large, when set, reads them in the default order
	// too, but checks entries that do not match on the way: the way in
	// when the sorted set is too large to read whole.
	sorted, large *sequence
	// ids, when set, selects the IDs of the matches; when loose, of a
	// superset of them, which where narrows down. small marks a set of a
	// handful of IDs, read without probing.
	ids   *fragment
	loose bool
	small bool
	// prefilter, when set, is a condition on the ID of a resource that
	// every match meets (the full-text candidates of a substring search):
	// checked first, it saves reading rows that cannot match.
	prefilter func(id string) fragment
	// stream, when set, selects the IDs of ids below (desc) or above an
	// ID, in that order: the full-text index reads its matches by ID, so
	// the candidates of a scan need not all be found first.
	stream func(id int64, desc bool) fragment
	// prepare, when set, is run before planning and may set the fields
	// above. It reads through q, the Query of the list's transaction:
	// the Query that made the condition reads through the pool, and a
	// read there while the transaction holds a connection can wait
	// forever once every connection is held so.
	prepare func(ctx context.Context, q *Query) error
	// lean, when set, is run on the generic path with bounded totals
	// before the page is read, in the list's transaction db, and may
	// rewrite where (see lean.go).
	lean func(ctx context.Context, db bun.IDB) error
	// served tells how an index serves where on the generic path.
	served served
	// matches, when set, selects exactly the IDs of the matches, each
	// once, without reading resources: the generic path counts them
	// there.
	matches *fragment
	// tag, when not 0, is the tag that the condition requires: the
	// generic path reads lists of tags only from resource_tag_order.
	tag int64
	// bitmap reports that an index finds every candidate of where at
	// once, as a bitmap of rows (a trigram or GIN index): the generic
	// path may intersect it with a range of creation times (windowPage).
	bitmap bool
	// textCol and text, of a substring search, are the column and the
	// text searched: windowPage may give the index a part of the text.
	textCol, text string
	// metaTerms, on the generic path, are the MetaQuery terms of where,
	// on one key: metaPage may read them from a side table.
	metaTerms []MetaCondition
	// walkable reports that where reads only columns that the generic
	// path's resources_order carries (leanOrderColumns).
	walkable bool
	// fetched, when not nil, is the head of stream that foldGather
	// read, for choose.
	fetched []int64
	// recheck, when set, is where in the form that foldGather checks its
	// full-text candidates with (textSet.recheck).
	recheck *fragment
	// list holds every ID of ids once the planner has found them; head,
	// of a stream, the first IDs in the order of the list when there are
	// more, and dense whether they are a large share of the IDs they
	// span.
	list  []int64
	head  []int64
	dense bool
}

// sequence is an index holding the matches of a condition with their
// creation time, and the SQL to read it.
type sequence struct {
	// from is the table with its alias and index clause.
	from string
	// where selects the condition's entries.
	where fragment
	// created and id are the columns of the creation time and the
	// resource ID.
	created, id string
	// row is true when from is resources AS r itself.
	row bool
}

// set is the query of the IDs in s.
func (s *sequence) set() fragment {
	return fragment{"SELECT " + s.id + " FROM " + s.from + " WHERE " + s.where.sql, s.where.args}
}

// defaultOrder tells whether a list is in the default order (created_at,
// then id, both in one direction).
type defaultOrder struct {
	ok, desc bool
}

// strategy is how a list is read.
type strategy struct {
	// read is the reading: a sequence, a sorted set, or nil for
	// resources_order; gather or scan, when set, replaces it.
	read   *sequence
	by     *cond // the condition read holds exactly, if any
	gather *cond
	// scan is a condition whose candidate IDs are all known: they are
	// read in the order of their IDs (see scan).
	scan *cond
	// size is the probed size of the set read (exact when below
	// limits.probe), or -1.
	size int
	// prefilter holds the conditions checked against their full-text
	// candidates first.
	prefilter map[*cond]bool
}

// smallSet is the query of a superset of the matches that st found to be
// small (fewer than lim.probe IDs, or lim.seqProbe of a sequence), or nil.
func (st *strategy) smallSet(lim limits) *fragment {
	switch {
	case st.scan != nil && st.scan.list != nil:
		return st.scan.ids
	case st.read != nil && st.size >= 0 && (st.read == st.by.seq && st.size < lim.seqProbe ||
		st.read == st.by.sorted && st.size < lim.probe):
		set := st.read.set()
		return &set
	}
	return nil
}

// probe counts the IDs that f selects, up to limit.
func (q *Query) probe(ctx context.Context, f fragment, limit int) (int, error) {
	var n int
	err := q.scanRow(ctx, "SELECT count(*) FROM ("+f.sql+" LIMIT ?) AS probe", append(f.args, limit), &n)
	return n, err
}

// candidates returns the IDs that f selects, up to limit (the first ones
// by f's ORDER BY, if any), in no promised order: they come back as one
// text, whose order SQLite does not promise (see inOrder), as a row each
// cost the driver more than the full-text index's finding them.
func (q *Query) candidates(ctx context.Context, f fragment, limit int) ([]int64, error) {
	var n int
	var packed string
	err := q.scanRow(ctx, "WITH c(id) AS ("+f.sql+" LIMIT ?) SELECT count(*), coalesce(group_concat(id), '') FROM c",
		append(f.args, limit), &n, &packed)
	if err != nil {
		return nil, err
	}
	return unpackIDs(packed, n)
}

// unpackIDs reads the n IDs that group_concat packed, separated by
// commas.
func unpackIDs(packed string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	for s := range strings.SplitSeq(packed, ",") {
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("candidate ID %q: %w", s, err)
		}
		ids = append(ids, id)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("%d candidate IDs, want %d", len(ids), n)
	}
	return ids, nil
}

// inOrder sorts the IDs of a stream in its direction: group_concat keeps
// the order of its rows, which SQLite does not promise.
func inOrder(ids []int64, desc bool) []int64 {
	slices.Sort(ids)
	if desc {
		slices.Reverse(ids)
	}
	return ids
}

// found replaces the candidate query of c with the IDs it found.
func (c *cond) found(ids []int64) {
	// Never nil, even when none were found: a nil list reads as "not
	// known", and the plan would then walk every resource to find none.
	c.list = append(make([]int64, 0, len(ids)), ids...)
	set := fragment{"SELECT NULL WHERE 1 = 0", nil}
	if len(ids) > 0 {
		set = fragment{"?", []any{idsArg(ids)}}
	}
	c.ids = &set
	c.prefilter = func(id string) fragment { return fragment{id + " IN (" + set.sql + ")", set.args} }
}

// choose picks how to read the matches of conds, listed in the default
// order in direction desc if at all.
func (q *Query) choose(ctx context.Context, conds []*cond, desc bool) (strategy, error) {
	st := strategy{size: -1, prefilter: map[*cond]bool{}}
	const (
		kindSeq = iota
		kindSorted
		kindIDs
	)
	type option struct {
		c    *cond
		kind int
		set  fragment
		size int
	}
	var options []*option
	for _, c := range conds {
		if c.prepare != nil {
			if err := c.prepare(ctx, q); err != nil {
				return st, err
			}
		}
		switch {
		case c.small:
			// A handful of IDs: nothing beats reading them.
			st.gather = c
			return st, nil
		case c.seq != nil:
			options = append(options, &option{c: c, kind: kindSeq, set: c.seq.set()})
		case c.sorted != nil:
			options = append(options, &option{c: c, kind: kindSorted, set: c.sorted.set()})
		case c.ids != nil:
			options = append(options, &option{c: c, kind: kindIDs, set: *c.ids})
		}
	}
	if len(options) == 1 && options[0].kind == kindSeq {
		// A single way in, and an ordered one: no need to size it.
		st.read, st.by = options[0].c.seq, options[0].c
		return st, nil
	}
	var best, bestSeq *option
	var sparse *cond  // the sparsest stream of candidates
	var large *option // a sorted set too large to read whole, with a sequence
	for _, o := range options {
		var n int
		switch {
		case o.kind == kindIDs && o.c.stream != nil:
			// The newest (oldest) few: all of them, or a sample that
			// tells how densely they match.
			head := o.c.fetched
			if head == nil {
				var err error
				if head, err = q.candidates(ctx, o.c.stream(streamStart(desc), desc), q.lim.head); err != nil {
					return st, err
				}
			}
			head = inOrder(head, desc)
			if n = len(head); n < q.lim.head {
				o.c.found(head)
				break
			}
			dense := q.lim.dense
			if !o.c.index {
				dense = q.lim.denseRow
			}
			o.c.head = head
			o.c.dense = 1/sparseness(o.c) >= dense
			n = q.lim.probe // many: never the way in
		case o.kind == kindIDs:
			// Keep the candidates: the page and the prefilter then need
			// not look for them again (full-text searches cost the most).
			found, err := q.candidates(ctx, o.set, q.lim.fetch)
			if err != nil {
				return st, err
			}
			if n = len(found); n < q.lim.fetch {
				o.c.found(found)
			} else {
				n = q.lim.probe // many: never the way in
			}
		default:
			// A sequence is read in order anyway: its size only picks the
			// smallest, so a shorter probe does.
			limit := q.lim.probe
			if o.kind == kindSeq {
				limit = min(limit, q.lim.seqProbe)
			}
			var err error
			if n, err = q.probe(ctx, o.set, limit); err != nil {
				return st, err
			}
		}
		o.size = n
		if best == nil || n < best.size || n == best.size && o.kind < best.kind {
			best = o
		}
		if o.kind == kindSeq && (bestSeq == nil || n < bestSeq.size) {
			bestSeq = o
		}
		if o.c.head != nil && !o.c.dense && (sparse == nil || sparseness(o.c) > sparseness(sparse)) {
			sparse = o.c
		}
		if o.kind == kindSorted && n >= q.lim.probe && o.c.large != nil && large == nil {
			large = o
		}
	}
	switch {
	case best != nil && best.kind == kindSeq && (best.size < q.lim.seqProbe || sparse == nil):
		st.read, st.by, st.size = best.c.seq, best.c, best.size
	case best != nil && best.kind == kindSorted && best.size < q.lim.probe:
		st.read, st.by, st.size = best.c.sorted, best.c, best.size
	case best != nil && best.kind == kindIDs && best.c.list != nil && best.size < q.lim.head:
		// A few candidates, all known: one statement checks, sorts and
		// counts them, where a scan would read the bounds of
		// resource_blocks and check them in batches.
		st.gather, st.size = best.c, best.size
	case best != nil && best.kind == kindIDs && best.c.list != nil:
		st.scan, st.size = best.c, best.size
	case sparse != nil:
		// Few matches among many IDs: reading them by ID finds the page
		// sooner than any walk in order.
		st.scan = sparse
	case bestSeq != nil:
		st.read, st.by, st.size = bestSeq.c.seq, bestSeq.c, bestSeq.size
	case large != nil:
		// Many matches: walking them in order finds the page soon.
		st.read, st.by, st.size = large.c.large, large.c, large.size
	}
	if st.gather == nil && st.scan == nil {
		for _, o := range options {
			if o.c.prefilter != nil && o.size < q.lim.probe {
				st.prefilter[o.c] = true
			}
		}
	}
	return st, nil
}

// streamStart is the ID from which a stream of candidates is read in
// direction desc: before or after every ID.
func streamStart(desc bool) int64 {
	if desc {
		return math.MaxInt64
	}
	return math.MinInt64
}

// sparseness is the number of IDs a head of candidates spans per
// candidate.
func sparseness(c *cond) float64 {
	return (math.Abs(float64(c.head[0])-float64(c.head[len(c.head)-1])) + 1) / float64(len(c.head))
}

// query is SQL being assembled.
type query struct {
	b    strings.Builder
	args []any
}

func (s *query) add(sql string, args ...any) *query {
	s.b.WriteString(sql)
	s.args = append(s.args, args...)
	return s
}

func (s *query) frag(f fragment) *query { return s.add(f.sql, f.args...) }

func (s *query) fragment() fragment { return fragment{s.b.String(), s.args} }

// and writes the conditions fs AND'ed, each in parentheses; a true
// condition when there are none.
func (s *query) and(fs []fragment) *query {
	if len(fs) == 0 {
		return s.add("1 = 1")
	}
	for i, f := range fs {
		if i > 0 {
			s.add(" AND ")
		}
		s.add("(").frag(f).add(")")
	}
	return s
}

// reading is a strategy turned into SQL: FROM from WHERE driver AND
// checks, whose entries carry the resource ID and creation time.
type reading struct {
	from    string
	driver  []fragment // what selects the entries read
	checks  []fragment // what the entries must also meet
	id      string
	created string
	// cheap reports that the checks read no rows and look nothing up.
	cheap bool
	// walk reports that the reading is resources_order.
	walk bool
}

// read turns st into SQL for the conditions of p, with extra bounds on
// the creation time.
func (q *Query) read(st *strategy, p *plan, extra ...fragment) reading {
	rd := reading{cheap: true}
	seq := st.read
	onRow := false
	gather := st.gather
	if gather == nil {
		gather = st.scan
	}
	switch {
	case gather != nil:
		rd.from = "resources AS r" + q.sql.useIndex("")
		rd.id, rd.created = "r.id", "r.created_at"
		rd.driver = append(rd.driver, fragment{"r.id IN (" + gather.ids.sql + ")", gather.ids.args})
		onRow, rd.cheap = true, false
	case seq == nil:
		seq = &sequence{from: "resources AS r" + q.sql.useIndex("resources_order"), created: "r.created_at", id: "r.id", row: true}
		rd.walk = true
		fallthrough
	default:
		rd.from, rd.id, rd.created = seq.from, seq.id, seq.created
		if seq.where.sql != "" {
			rd.driver = append(rd.driver, seq.where)
		}
		onRow = seq.row
	}
	joinRow := false
	for _, c := range p.conds {
		switch {
		case c == st.by:
			continue
		case c == gather && !c.loose:
			continue
		case c.onID != nil && !onRow:
			rd.checks = append(rd.checks, c.onID(rd.id))
			rd.cheap = false
			continue
		}
		if st.prefilter[c] {
			rd.checks = append(rd.checks, c.prefilter(rd.id))
			rd.cheap = false
		}
		rd.checks = append(rd.checks, c.where)
		if !(rd.walk && c.index) {
			rd.cheap = false
		}
		joinRow = joinRow || !onRow
	}
	if joinRow {
		// CROSS JOIN keeps the sequence the outer loop in SQLite.
		rd.from += " CROSS JOIN resources AS r"
		rd.driver = append(rd.driver, fragment{sql: "r.id = " + rd.id})
	}
	for _, c := range append(p.created, extra...) {
		rd.driver = append(rd.driver, fragment{strings.ReplaceAll(c.sql, "{created}", rd.created), c.args})
	}
	return rd
}

// pageIDs is the query of the IDs of a page in the default order, from
// offset: up to perPage+1 of them, so that the caller learns whether
// another page follows. With count, the IDs are in a column "id" beside
// the number of matches in a column "total".
func (q *Query) pageIDs(rd reading, p *plan, offset int64, count bool) fragment {
	dir := direction(p.def.desc)
	sq := (&query{}).add("SELECT " + rd.id)
	if count {
		sq.add(" AS id, count(*) OVER () AS total")
	}
	sq.add(" FROM " + rd.from + " WHERE ")
	sq.and(append(rd.driver, rd.checks...))
	sq.add(" ORDER BY "+rd.created+dir+", "+rd.id+dir+" LIMIT ? OFFSET ?", p.perPage+1, offset)
	return sq.fragment()
}

// deepPage finds the page of a list without conditions from the
// per-day counts: it returns a bound on the creation time that skips the
// days before the page's and the offset left within the rest, or past
// when the offset is beyond the last resource.
func (q *Query) deepPage(ctx context.Context, p *plan) (bound *fragment, offset int64, past bool, err error) {
	order := "DESC"
	if !p.def.desc {
		order = "ASC"
	}
	rows, err := q.db.QueryContext(ctx, "SELECT day, n FROM resource_days ORDER BY day "+order)
	if err != nil {
		return nil, 0, false, err
	}
	defer rows.Close()
	var before int64
	prev, found := "", false
	for rows.Next() {
		var day string
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, 0, false, err
		}
		if before+n > p.offset {
			switch {
			case p.def.desc && found:
				// Entries of later days are at or above the next day's key.
				bound = &fragment{"{created} < ?", []any{q.dayArg(prev)}}
			case !p.def.desc && day != "":
				// Entries of this day and later are at or above its key
				// ('' holds values that are not text, which sort first).
				bound = &fragment{"{created} >= ?", []any{q.dayArg(day)}}
			}
			return bound, p.offset - before, false, rows.Err()
		}
		before += n
		prev, found = day, true
	}
	// The offset is past the last resource.
	return nil, 0, true, rows.Err()
}

// dayArg is the start of day ('YYYY-MM-DD', UTC) as a bound on creation
// times: the text itself for SQLite, which compares times as text; a time
// for the generic path, whose database reads a date alone in its session's
// time zone.
func (q *Query) dayArg(day string) any {
	if !q.generic {
		return day
	}
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t
}

// timestamp formats t as bun writes times to SQLite, so that it compares
// with stored values as text.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
}

// dayEnd is above every text that starts with day.
func dayEnd(day string) string { return day + "\U0010FFFF" }

// countByDays counts exactly the resources created in p's range, from the
// per-day counts and the rows of the two boundary days.
func (q *Query) countByDays(ctx context.Context, p *plan) (int, error) {
	var lo, hi string
	if !p.after.IsZero() {
		lo = timestamp(p.after)
	}
	if !p.before.IsZero() {
		hi = timestamp(p.before)
	}
	whole := (&query{}).add("SELECT coalesce(sum(n), 0) FROM resource_days WHERE 1 = 1")
	if lo != "" {
		whole.add(" AND day > ?", lo[:10])
	}
	if hi != "" {
		whole.add(" AND day < ?", hi[:10])
	}
	var n int
	if err := q.scanRow(ctx, whole.b.String(), whole.args, &n); err != nil {
		return 0, err
	}
	// The boundary days, [from, to) each.
	var ranges [][2]string
	switch {
	case lo != "" && hi != "" && lo[:10] == hi[:10]:
		ranges = append(ranges, [2]string{lo, hi})
	default:
		if lo != "" {
			to := dayEnd(lo[:10])
			if hi != "" && hi < to {
				to = hi
			}
			ranges = append(ranges, [2]string{lo, to})
		}
		if hi != "" {
			from := hi[:10]
			if lo > from {
				from = lo
			}
			ranges = append(ranges, [2]string{from, hi})
		}
	}
	for _, r := range ranges {
		if r[0] >= r[1] {
			continue
		}
		var m int
		err := q.scanRow(ctx, "SELECT count(*) FROM resources AS r"+q.sql.useIndex("resources_order")+
			" WHERE r.created_at >= ? AND r.created_at < ?", []any{r[0], r[1]}, &m)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// total counts the matches of p read as rd. seen is the number of
// resources up to the end of the page and more tells whether another
// follows. capped reports a lower bound.
func (q *Query) total(ctx context.Context, st *strategy, rd reading, p *plan, seen int, more bool) (n int, capped bool, err error) {
	switch {
	case q.generic && q.exact:
		sq := (&query{}).add("SELECT count(*) FROM resources AS r WHERE ").and(p.where())
		err = q.scanRow(ctx, sq.b.String(), sq.args, &n)
		return n, false, err
	case !more && (seen > int(p.offset) || p.offset == 0):
		// This page ends the list.
		return seen, false, nil
	case len(p.conds) == 0 && q.generic:
		n, err = q.leanCountByDays(ctx, p)
		return n, false, err
	case len(p.conds) == 0:
		n, err = q.countByDays(ctx, p)
		return n, false, err
	case q.generic:
		return q.leanTotal(ctx, p, seen, more)
	case len(p.conds) == 1 && len(p.created) == 0 && st.size >= 0 && st.size < q.lim.probe &&
		(st.by != nil || st.gather != nil && !st.gather.loose):
		// The only condition, and the probe counted its exact set.
		return st.size, false, nil
	}
	bound := 0 // nothing is known of an empty page past the end
	if seen > int(p.offset) {
		bound = seen
		if more {
			bound++
		}
	}
	if len(p.conds) == 1 && len(p.created) == 0 && st.by != nil && st.read == st.by.large {
		// The only condition, and the probe found at least st.size
		// matches: counting more would cost more than the page.
		return max(st.size, bound), true, nil
	}
	if !rd.cheap {
		return bound, true, nil
	}
	// Count the entries read, up to the limit, and the matches among
	// them.
	limit := q.lim.count
	if len(rd.checks) > 0 {
		limit = q.lim.checkedCount
	}
	var read int
	if len(rd.checks) == 0 {
		// Every entry read matches.
		sq := (&query{}).add("SELECT count(*) FROM (SELECT 1 FROM "+rd.from+" WHERE ").and(rd.driver).add(" LIMIT ?) AS c", limit)
		if err := q.scanRow(ctx, sq.b.String(), sq.args, &read); err != nil {
			return 0, false, err
		}
		n = read
	} else {
		sq := (&query{}).add("SELECT count(*), coalesce(sum(ok), 0) FROM (SELECT CASE WHEN ").and(rd.checks).add(" THEN 1 ELSE 0 END")
		sq.add(" AS ok FROM "+rd.from+" WHERE ").and(rd.driver).add(" LIMIT ?) AS c", limit)
		if err := q.scanRow(ctx, sq.b.String(), sq.args, &read, &n); err != nil {
			return 0, false, err
		}
	}
	if read < limit {
		return n, false, nil
	}
	return max(n, bound), true, nil
}

// blockShift is log2 of the number of IDs in a block of resource_blocks.
const blockShift = 14

// block is a row of resource_blocks, creation times as text.
type block struct {
	Block int64  `bun:"block"`
	Min   string `bun:"min"`
	Max   string `bun:"max"`
}

// entry is a match of a scan.
type entry struct {
	created string
	id      int64
}

// sortEntries sorts es in the default order in direction desc.
func sortEntries(es []entry, desc bool) {
	slices.SortFunc(es, func(a, b entry) int {
		c := cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.id, b.id))
		if desc {
			return -c
		}
		return c
	})
}

// gather reads the page of st.gather's matches, read as rd, and counts
// them: every match with its creation time, sorted here. A window count
// and ORDER BY in SQL cost SQLite more than the reads of the rows. The
// matches come back as one text with their count, "ID time" each,
// separated by the unit separator (char 31): a row each cost the driver
// more than SQLite's reading of it. A creation time that holds the
// separator (bun never writes one) makes the count disagree: then they
// are read a row each.
func (q *Query) gather(ctx context.Context, rd reading, p *plan) (page []int64, total int, err error) {
	created := q.sql.sortText(rd.created)
	where := (&query{}).and(append(rd.driver, rd.checks...)).fragment()
	var n int
	var packed string
	err = q.scanRow(ctx, "SELECT count(*), coalesce(group_concat("+rd.id+" || ' ' || "+created+", char(31)), '') FROM "+
		rd.from+" WHERE "+where.sql, where.args, &n, &packed)
	if err != nil {
		return nil, 0, err
	}
	all, ok := unpackEntries(packed, n)
	if !ok {
		all = nil
		var e entry
		err := q.scanEach(ctx, "SELECT "+rd.id+", "+created+" FROM "+rd.from+" WHERE "+where.sql, where.args,
			func() error { all = append(all, e); return nil }, &e.id, &e.created)
		if err != nil {
			return nil, 0, err
		}
	}
	return pageOf(all, p), len(all), nil
}

// foldGather reads the page of a list in the default order whose only
// condition is a substring search of a small library, when its full-text
// candidates are few, as choose and gather would (choose picks gather
// for fewer than limits.head candidates), in one statement: finding the
// candidates, then looking them up by ID in a second statement, cost 7%
// more (BenchmarkEveryday/Name's two statements against the fold). It
// reports false when it did not read the page: the condition is another,
// the candidates are many (it keeps their head for choose) or a creation
// time is odd (not text, or see gather).
func (q *Query) foldGather(ctx context.Context, p *plan) (page []int64, total int, ok bool, err error) {
	if q.lim.noFold || len(p.conds) != 1 || !p.def.ok || p.conds[0].prepare == nil {
		return nil, 0, false, nil
	}
	c := p.conds[0]
	if err := c.prepare(ctx, q); err != nil {
		return nil, 0, false, err
	}
	c.prepare = nil // choose would run it again
	if c.stream == nil {
		return nil, 0, false, nil
	}
	if small, err := q.smallLibrary(ctx); err != nil || !small {
		return nil, 0, false, err
	}
	head := c.stream(streamStart(p.def.desc), p.def.desc)
	// The candidates, materialized: c is read twice, and its LIMIT
	// holds for both reads. Each is looked up by a join, not gather's
	// IN, whose list of distinct IDs cost a tenth of the statement
	// more: the candidates are distinct already.
	rd := q.read(&strategy{gather: c, prefilter: map[*cond]bool{}}, p)
	rd.from = "c CROSS JOIN resources AS r"
	rd.driver[0] = fragment{"r.id = c.id", nil} // gather's IN
	checks := slices.Clone(rd.checks)
	for i, f := range checks {
		if c.recheck != nil && f.sql == c.where.sql {
			checks[i] = *c.recheck
		}
	}
	where := (&query{}).and(append(rd.driver, checks...)).fragment()
	// The creation times as they are, not as sortText makes them sort:
	// its test of each one's type cost a tenth of the statement. They
	// sort alike when all are text, as resource_days, which counts the
	// others under the day '', tells in the same snapshot.
	//
	// The matches are read only when the candidates are few, and their
	// IDs only when they are many, for choose: those tests of the WHERE
	// clauses, constant, are made before reading any row.
	text := "WITH c(id) AS MATERIALIZED (" + head.sql + " LIMIT ?) SELECT h.n, h.ids, g.n, g.packed, " +
		"coalesce((SELECT n FROM resource_days WHERE day = ''), 0) FROM " +
		"(SELECT count(*) AS n, (SELECT coalesce(group_concat(id), '') FROM c WHERE (SELECT count(*) FROM c) >= ?) AS ids FROM c) AS h, " +
		"(SELECT count(*) AS n, coalesce(group_concat(" + rd.id + " || ' ' || " + rd.created + ", char(31)), '') AS packed FROM " +
		rd.from + " WHERE (SELECT count(*) FROM c) < ? AND " + where.sql + ") AS g"
	args := append(append(append([]any{}, head.args...), q.lim.head, q.lim.head, q.lim.head), where.args...)
	var n, found, odd int
	var packedIDs, packed string
	if err := q.scanRow(ctx, text, args, &n, &packedIDs, &found, &packed, &odd); err != nil {
		return nil, 0, false, err
	}
	if n >= q.lim.head {
		if c.fetched, err = unpackIDs(packedIDs, n); err != nil {
			return nil, 0, false, err
		}
		return nil, 0, false, nil
	}
	if odd > 0 {
		return nil, 0, false, nil
	}
	all, ok := unpackEntries(packed, found)
	if !ok {
		return nil, 0, false, nil
	}
	return pageOf(all, p), len(all), true, nil
}

// pageOf sorts the matches all in the order of p and returns the IDs of
// its page, and of the next match if any.
func pageOf(all []entry, p *plan) []int64 {
	sortEntries(all, p.def.desc)
	from := int(min(p.offset, int64(len(all))))
	var page []int64
	for _, e := range all[from:min(len(all), from+p.perPage+1)] {
		page = append(page, e.id)
	}
	return page
}

// unpackEntries reads the n entries that gather packed, or reports
// false when packed does not hold n of them.
func unpackEntries(packed string, n int) ([]entry, bool) {
	all := make([]entry, 0, n)
	if n == 0 {
		return all, packed == ""
	}
	for s := range strings.SplitSeq(packed, "\x1f") {
		id, created, ok := strings.Cut(s, " ")
		if !ok {
			return nil, false
		}
		e := entry{created: created}
		var err error
		if e.id, err = strconv.ParseInt(id, 10, 64); err != nil {
			return nil, false
		}
		all = append(all, e)
	}
	return all, len(all) == n
}

// scan reads the page of st.scan's candidates in the default order
// without reading them all. It visits them by ID, highest first for the
// newest-first order, in batches that it checks and ranks; resource_blocks
// bounds the creation time of every resource below an ID, and the scan
// stops as soon as no candidate left can make the page. As IDs mostly
// grow with time, that is after a batch or two; at worst it reads every
// candidate, as a gather would. The candidates are those the planner
// found, or those of a stream read in growing batches past its head. It
// returns the IDs of the page (perPage+1 at most) and the number of
// matches seen, which is the total when exact.
func (q *Query) scan(ctx context.Context, st *strategy, p *plan) (page []int64, seen int, exact bool, err error) {
	desc := p.def.desc
	k := int(p.offset) + p.perPage + 1
	// pending holds the candidates, in the order they are visited, not
	// checked yet; the stream, if any, is read past last once they are.
	var pending []int64
	var last int64
	done, fetch := true, 2*q.lim.head
	if c := st.scan; c.list != nil {
		pending = slices.Clone(c.list)
		slices.Sort(pending)
		if desc {
			slices.Reverse(pending)
		}
	} else {
		pending, last, done = c.head, c.head[len(c.head)-1], false
	}

	// bound(id) is the latest (newest first) or earliest creation time of
	// any resource with an ID below (above) id.
	var blocks []block
	var b block
	err = q.scanEach(ctx, "SELECT block, "+q.sql.sortText("min_created")+" AS min, "+q.sql.sortText("max_created")+
		" AS max FROM resource_blocks ORDER BY block", nil, func() error { blocks = append(blocks, b); return nil },
		&b.Block, &b.Min, &b.Max)
	if err != nil {
		return nil, 0, false, err
	}
	for i := range blocks {
		// Running maxima upwards, minima downwards.
		if i > 0 && blocks[i-1].Max > blocks[i].Max {
			blocks[i].Max = blocks[i-1].Max
		}
		if j := len(blocks) - 1 - i; j < len(blocks)-1 && blocks[j+1].Min < blocks[j].Min {
			blocks[j].Min = blocks[j+1].Min
		}
	}
	bound := func(id int64) (string, bool) {
		b := id >> blockShift
		i, found := slices.BinarySearchFunc(blocks, b, func(x block, b int64) int { return cmp.Compare(x.Block, b) })
		if desc {
			if !found {
				i-- // the last block below
			}
			if i < 0 {
				return "", true
			}
			return blocks[i].Max, true
		}
		if i >= len(blocks) {
			return "", false // nothing above: the scan may stop
		}
		return blocks[i].Min, true
	}

	// The checks of every condition but the one scanned, if it is exact.
	rd := q.read(&strategy{scan: st.scan, prefilter: map[*cond]bool{}}, p)
	var checks []fragment
	checks = append(checks, rd.driver[1:]...) // the creation-time bounds
	checks = append(checks, rd.checks...)

	var top []entry
	batch := max(2*k, 128)
	for {
		if len(pending) == 0 {
			if done {
				exact = true
				break
			}
			more, err := q.candidates(ctx, st.scan.stream(last, desc), fetch)
			if err != nil {
				return nil, 0, false, err
			}
			more = inOrder(more, desc)
			done = len(more) < fetch
			if len(more) == 0 {
				continue
			}
			pending, last, fetch = more, more[len(more)-1], min(2*fetch, 8*q.lim.head)
		}
		ids := pending[:min(batch, len(pending))]
		pending = pending[len(ids):]
		batch = min(2*batch, 1024) // fewer, larger reads once the first did not do
		sq := (&query{}).add("SELECT r.id AS id, "+q.sql.sortText("r.created_at")+" AS created FROM "+rd.from+
			" WHERE r.id IN (?)", idsArg(ids))
		if len(checks) > 0 {
			sq.add(" AND ").and(checks)
		}
		var f entry
		err := q.scanEach(ctx, sq.b.String(), sq.args, func() error { top = append(top, f); seen++; return nil }, &f.id, &f.created)
		if err != nil {
			return nil, 0, false, err
		}
		sortEntries(top, desc)
		top = top[:min(len(top), k)]
		if len(top) < k || len(pending) == 0 && done {
			continue
		}
		// The candidates left are at or beyond the next pending one, or
		// beyond the last read from the stream.
		next := last
		if len(pending) > 0 {
			next = pending[0]
		}
		b, ok := bound(next)
		end := top[k-1]
		// No candidate left is created after (before) b, and all have
		// lower (higher) IDs than the last of the page, so they would
		// come after it even created at b.
		if !ok || desc && b <= end.created || !desc && b >= end.created {
			break
		}
	}
	for i := int(p.offset); i < len(top); i++ {
		page = append(page, top[i].id)
	}
	return page, seen, exact, nil
}
