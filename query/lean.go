package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The generic path on a database server (PostgreSQL) leaves each page to
// the database's planner, but helps it where it cannot help itself, and
// bounds the total as the cost-based planner does (see Page.Total):
//
//   - a ContentType substring is turned into the few distinct content
//     types that contain it, found by skipping through the index on
//     content_type, so that the index serves the page in order and the
//     planner knows how many rows match;
//   - an EQ term of MetaQuery is matched by containment (@>), which the
//     GIN index over meta serves (see postgresDialect.metaContains);
//   - a page in the default order whose only condition is MetaQuery
//     terms on one key (a value, several, or a range) is read from the
//     side table resource_meta, which holds the values by key with
//     their creation times: counted up to limits.count by value, read
//     whole when fewer, else walked in the default order (metaPage);
//   - a page in the default order of resources with some tags (and
//     nothing else but a creation-time range) is read from
//     resource_tag_order, each tag's resources in that order, joined on
//     (created_at, resource_id): the database walks the tag it thinks
//     rarer and looks each entry up in the others', or merges two (see
//     tagPage);
//   - a page in the default order whose conditions are all served by
//     bitmap indexes (trigram, GIN) is walked when its matches are
//     dense (by their share among the first entries of the walk, or the
//     database's estimate), read from the index whole when they are few,
//     and otherwise looked for among the newest resources first
//     (windowPage);
//   - a page in the default order whose conditions no index serves walks
//     resources_order, checking each entry (sqlDialect.walkOrder), rather
//     than sort every match; a deep page without conditions starts at its
//     day (deepPage);
//   - the total is exact when the page ends the list, and from
//     resource_days for lists without conditions but a creation-time
//     range; otherwise the matches of a single condition are counted, up
//     to limits.count, when an index holds exactly its matches; the total
//     is otherwise the lower bound of the page (TotalCapped), since
//     counting would read every candidate of an index or every row.
//
// The reference of the tests (Generic) counts every match exactly and
// rewrites nothing.

// served tells how an index serves a condition on the generic path.
type served int

const (
	// unserved: the condition is checked on each row.
	unserved served = iota
	// rechecked: an index finds candidates (a trigram or GIN index, a
	// range), whose rows are read and checked.
	rechecked
	// indexed: an index holds exactly the matches, which are counted
	// without reading rows.
	indexed
)

// leanOrderColumns are the columns of resources that PostgreSQL's
// resources_order carries.
var leanOrderColumns = map[string]bool{"r.name": true, "r.description": true, "r.original_name": true, "r.original_location": true}

// leanCount reports that q takes the generic path with bounded totals.
func (q *Query) leanCount() bool { return q.generic && !q.exact }

// contentTypes is the query of the distinct content types, one index seek
// each, that the pattern matches.
func (q *Query) contentTypes(pattern string) fragment {
	m := q.sql.contains("v.ct", pattern)
	return fragment{`WITH RECURSIVE v(ct) AS (
			SELECT min(content_type) FROM resources
			UNION ALL
			SELECT (SELECT min(content_type) FROM resources WHERE content_type > v.ct) FROM v WHERE v.ct IS NOT NULL
		) SELECT v.ct FROM v WHERE v.ct IS NOT NULL AND ` + m.sql, m.args}
}

// leanContentType is the condition that the content type contains the
// text of pattern, as the list of the types that do.
func (q *Query) leanContentType(pattern string) *cond {
	c := &cond{served: indexed}
	c.lean = func(ctx context.Context, db bun.IDB) error {
		var types []string
		f := q.contentTypes(pattern)
		if err := db.NewRaw(f.sql, f.args...).Scan(ctx, &types); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		switch len(types) {
		case 0:
			c.where = fragment{sql: "1 = 0"}
		case 1:
			c.where = fragment{"r.content_type = ?", []any{types[0]}}
		default:
			c.where = fragment{"r.content_type IN (?)", []any{bun.In(types)}}
		}
		return nil
	}
	return c
}

// leanTotal bounds the count of the matches of p; seen is the number of
// resources up to the end of the page and more tells whether another
// follows.
func (q *Query) leanTotal(ctx context.Context, p *plan, seen int, more bool) (int, bool, error) {
	bound := 0 // nothing is known of an empty page past the end
	if seen > int(p.offset) {
		bound = seen + btoi(more)
	}
	// Only a single condition is counted: the matches of several are
	// found by joining theirs, which reads them all however few they
	// share.
	if len(p.conds) > 1 || len(p.created) > 0 {
		return bound, true, nil
	}
	// Nor one whose rows are checked: a trigram or GIN index finds all
	// its candidates before the first is checked, and for a common word
	// or value that costs more than the page.
	c := p.conds[0]
	if c.served != indexed {
		return bound, true, nil
	}
	limit := q.lim.count
	sq := (&query{}).add("SELECT count(*) FROM (SELECT 1 FROM resources AS r WHERE ").and(p.where()).add(" LIMIT ?) AS c", limit)
	if c.matches != nil {
		sq = (&query{}).add("SELECT count(*) FROM (").frag(*c.matches).add(" LIMIT ?) AS c", limit)
	}
	var n int
	if err := q.db.NewRaw(sq.b.String(), sq.args...).Scan(ctx, &n); err != nil {
		return 0, false, err
	}
	if n < limit {
		return n, false, nil
	}
	return max(n, bound), true, nil
}

// leanCountByDays counts exactly the resources created in p's range, from
// the per-day counts of the days within it and the rows of the two
// boundary days, as countByDays does with SQLite's text timestamps.
func (q *Query) leanCountByDays(ctx context.Context, p *plan) (int, error) {
	lo, hi := p.after.UTC(), p.before.UTC()
	dayOf := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	whole := (&query{}).add("SELECT coalesce(sum(n), 0) FROM resource_days WHERE 1 = 1")
	if !p.after.IsZero() {
		whole.add(" AND day > ?", lo.Format(time.DateOnly))
	}
	if !p.before.IsZero() {
		whole.add(" AND day < ?", hi.Format(time.DateOnly))
	}
	var n int
	if err := q.db.NewRaw(whole.b.String(), whole.args...).Scan(ctx, &n); err != nil {
		return 0, err
	}
	// The boundary days, [from, to) each.
	var ranges [][2]time.Time
	switch {
	case !p.after.IsZero() && !p.before.IsZero() && dayOf(lo).Equal(dayOf(hi)):
		ranges = append(ranges, [2]time.Time{lo, hi})
	default:
		if !p.after.IsZero() {
			to := dayOf(lo).AddDate(0, 0, 1)
			if !p.before.IsZero() && hi.Before(to) {
				to = hi
			}
			ranges = append(ranges, [2]time.Time{lo, to})
		}
		if !p.before.IsZero() {
			from := dayOf(hi)
			if !p.after.IsZero() && lo.After(from) {
				from = lo
			}
			ranges = append(ranges, [2]time.Time{from, hi})
		}
	}
	for _, r := range ranges {
		if !r[0].Before(r[1]) {
			continue
		}
		var m int
		err := q.db.NewRaw("SELECT count(*) FROM resources AS r WHERE r.created_at >= ? AND r.created_at < ?", r[0], r[1]).Scan(ctx, &m)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// tagPage is the query of the IDs of p's page when its conditions are all
// tags, or nil. Every tag's entries of resource_tag_order are joined on
// the whole key but the tag, so that the database may drive from any of
// them and keep the order of its index.
func (q *Query) tagPage(p *plan, offset int64) *fragment {
	if !q.leanCount() || !p.def.ok || len(p.conds) == 0 {
		return nil
	}
	for _, c := range p.conds {
		if c.tag == 0 {
			return nil
		}
	}
	sq := (&query{}).add("SELECT t0.resource_id FROM resource_tag_order AS t0")
	for i, c := range p.conds[1:] {
		t := fmt.Sprintf("t%d", i+1)
		sq.add(" JOIN resource_tag_order AS "+t+" ON "+t+".tag_id = ? AND "+t+".created_at = t0.created_at AND "+t+".resource_id = t0.resource_id", c.tag)
	}
	sq.add(" WHERE t0.tag_id = ?", p.conds[0].tag)
	for _, c := range p.created {
		sq.add(" AND ").frag(fragment{strings.ReplaceAll(c.sql, "{created}", "t0.created_at"), c.args})
	}
	dir := direction(p.def.desc)
	sq.add(" ORDER BY t0.created_at"+dir+", t0.resource_id"+dir+" LIMIT ? OFFSET ?", p.perPage+1, offset)
	f := sq.fragment()
	return &f
}

// windowPage reads the IDs of p's page when each of its conditions is a
// substring search that a trigram index serves, or returns ok false, and
// walk true when walking the default order is the cheaper reading.
// Walking reads an entry of resources_order, which carries the searched
// texts, until the page is full, which for a word in one resource of a
// few hundred is tens of thousands; reading
// every candidate of the bitmap index and sorting them reads a row per
// match. In between, the page is first looked for among the newest
// (oldest) resources only: the index's bitmap intersected with that of a
// range of creation times (from PostgreSQL's block range index, which
// gives the pages that hold the range from a few of its own), so that
// only the matches within the range are read. The
// range is sized to hold a few pages of matches, by their share among
// the first entries of the walk, and widened fourfold until the page is
// found in it, or taken whole when reading every candidate is cheaper.
// (Meta EQ terms, whose GIN index is as much a bitmap index, are left to
// the database: it estimates containment as a constant share of rows,
// and their rows cost too much to sample.)
func (q *Query) windowPage(ctx context.Context, p *plan) (page []int64, ok, walk bool, err error) {
	if !q.leanCount() || !p.def.ok || len(p.conds) == 0 {
		return nil, false, false, nil
	}
	for _, c := range p.conds {
		if !c.bitmap || !c.walkable {
			return nil, false, false, nil
		}
	}
	where := p.where()
	dir := direction(p.def.desc)
	need := float64(p.offset) + float64(p.perPage) + 1
	// The first entries of the walk cost little: they hold the page of a
	// common word, and tell how common the word is, which the database's
	// statistics of trigrams do not: measured at 1M, they were off by
	// factors of five to thirty, either way, and changed as much from one
	// ANALYZE to the next.
	sq := (&query{}).add("SELECT r.id FROM ").frag(firstEntries(dir, q.lim.probeWalk)).add(" WHERE ").
		and(where).add(" ORDER BY r.created_at"+dir+", r.id"+dir+" LIMIT ?", int64(need))
	var ids []int64
	if err := q.db.NewRaw(sq.b.String(), sq.args...).Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, false, err
	}
	if float64(len(ids)) >= need {
		return ids[min(len(ids), int(p.offset)):], true, false, nil
	}
	var total int64
	if err := q.db.NewRaw("SELECT coalesce(sum(n), 0) FROM resource_days").Scan(ctx, &total); err != nil {
		return nil, false, false, err
	}
	n := float64(total)
	if float64(q.lim.probeWalk) >= n {
		return ids[min(len(ids), int(p.offset)):], true, false, nil
	}
	est := (float64(len(ids)) + 0.5) / float64(q.lim.probeWalk) * n
	// The costs of the three readings, in entries of an index range: a
	// walk checks entries until the page is full; the bitmap
	// index reads its postings, a few entries' worth per match; a window
	// of k entries reads the rows of the matches it holds, the full
	// bitmap those of every match.
	est = max(est, 1)
	k := q.lim.window * need * n / est
	// cand is the number of candidates the index gives, whose rows are
	// read: the matches, unless the index is given a part of the text.
	cand := est
	full := func() float64 { return cand*q.lim.rowCost + cand*q.lim.postingCost }
	windowed := func() float64 { return k + q.lim.window*need*q.lim.rowCost*cand/est + cand*q.lim.postingCost }
	if need*n/est*q.lim.entryCost <= min(full(), windowed()) {
		return nil, false, true, nil // matches are dense: a walk finds them soon
	}
	if f, share, ok, err := q.rarePart(ctx, p, dir); err != nil {
		return nil, false, false, err
	} else if ok {
		where = slices.Clone(where)
		where[0], cand = f, max(est, share*n)
	}
	if _, err := q.db.ExecContext(ctx, q.sql.bitmapsOnly(true)); err != nil {
		return nil, false, false, err
	}
	defer func() {
		if _, rerr := q.db.ExecContext(ctx, q.sql.bitmapsOnly(false)); err == nil {
			err = rerr
		}
	}()
	read := func(where []fragment) ([]int64, error) {
		sq := (&query{}).add("SELECT r.id FROM resources AS r WHERE ").and(where).
			add(" ORDER BY r.created_at"+dir+", r.id"+dir+" LIMIT ? OFFSET ?", p.perPage+1, p.offset)
		var ids []int64
		err := q.db.NewRaw(sq.b.String(), sq.args...).Scan(ctx, &ids)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		return ids, err
	}
	for k < n/2 && windowed() < full() {
		bound, err := q.window(ctx, p.def.desc, int64(k))
		if err != nil || bound == nil {
			return nil, false, false, err
		}
		ids, err := read(append(slices.Clip(where), *bound))
		if err != nil {
			return nil, false, false, err
		}
		if len(ids) > p.perPage {
			return ids, true, false, nil
		}
		k *= 4
	}
	ids, err = read(where)
	return ids, err == nil, false, err
}

// window is the bound on the creation time of the resources of the days
// that hold the newest (desc) or oldest k resources, from resource_days;
// nil when they are all of them.
func (q *Query) window(ctx context.Context, desc bool, k int64) (*fragment, error) {
	order := "ASC"
	if desc {
		order = "DESC"
	}
	var days []string
	err := q.db.NewRaw(`SELECT day FROM (SELECT day, sum(n) OVER (ORDER BY day `+order+`) AS seen FROM resource_days WHERE n > 0) AS d
		WHERE seen >= ? ORDER BY day `+order+` LIMIT 1`, k).Scan(ctx, &days)
	if err != nil && !errors.Is(err, sql.ErrNoRows) || len(days) == 0 {
		return nil, err
	}
	day, err := time.Parse(time.DateOnly, days[0])
	if err != nil {
		return nil, nil // not a day: no bound
	}
	if desc {
		return &fragment{"r.created_at >= ?", []any{day}}, nil
	}
	return &fragment{"r.created_at < ?", []any{day.AddDate(0, 0, 1)}}, nil
}

// metaPage reads the IDs of p's page in the default order when its only
// condition is MetaQuery terms on one key that the dialect's side table
// serves (PostgreSQL's resource_meta), or returns ok false. The matching
// entries are counted first, up to limits.count, through the index by
// value: fewer are read from it whole and sorted, and n is then the
// total; more are found by walking the key's entries in the default
// order, checking each value on the index, and n is a lower bound of the
// total (capped). The GIN index over meta finds EQ terms only, and the
// database, which estimates containment as a constant share of rows,
// either walks the default order reading a row per entry or reads every
// match; ranges it never finds.
func (q *Query) metaPage(ctx context.Context, p *plan) (page []int64, n int, capped, ok bool, err error) {
	if !q.leanCount() || !p.def.ok || len(p.conds) != 1 || p.conds[0].metaTerms == nil {
		return nil, 0, false, false, nil
	}
	match, long, ok := q.sql.metaEntries(p.conds[0].metaTerms)
	if !ok {
		return nil, 0, false, false, nil
	}
	where := []fragment{match}
	for _, c := range p.created {
		where = append(where, fragment{strings.ReplaceAll(c.sql, "{created}", "m.created_at"), c.args})
	}
	limit := q.lim.count
	count := (&query{}).add("SELECT (SELECT count(*) FROM (SELECT 1 FROM resource_meta AS m WHERE ").and(where).add(" LIMIT ?) AS c)", limit)
	if long != nil {
		count.add(", EXISTS (").frag(*long).add(")")
	} else {
		count.add(", false")
	}
	// Index-only scans: the database's estimates of how many entries
	// match multiply those of the key and the value, as if unrelated,
	// and fall short by factors of three to six (measured at 100k), for
	// which it would read the table's rows through a bitmap.
	if _, err := q.db.ExecContext(ctx, q.sql.walkOrder(true)); err != nil {
		return nil, 0, false, false, err
	}
	settings := q.sql.walkOrder(false)
	defer func() {
		if _, rerr := q.db.ExecContext(ctx, settings); err == nil {
			err = rerr
		}
	}()
	var spilled bool
	if err := q.db.QueryRowContext(ctx, count.b.String(), count.args...).Scan(&n, &spilled); err != nil {
		return nil, 0, false, false, err
	}
	if spilled {
		return nil, 0, false, false, nil
	}
	capped = n >= limit
	sq := &query{}
	if !capped {
		// Few: read whole from the index by value, then sorted.
		sq.add("WITH m AS MATERIALIZED (SELECT m.resource_id, m.created_at FROM resource_meta AS m WHERE ").and(where).
			add(") SELECT m.resource_id FROM m")
	} else {
		// Many: walked in order, which the database, unaware of how
		// many, might not.
		if _, err := q.db.ExecContext(ctx, q.sql.keepOrder(true)); err != nil {
			return nil, 0, false, false, err
		}
		settings += "; " + q.sql.keepOrder(false)
		sq.add("SELECT m.resource_id FROM resource_meta AS m WHERE ").and(where)
	}
	dir := direction(p.def.desc)
	sq.add(" ORDER BY m.created_at"+dir+", m.resource_id"+dir+" LIMIT ? OFFSET ?", p.perPage+1, p.offset)
	if err := q.db.NewRaw(sq.b.String(), sq.args...).Scan(ctx, &page); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, false, err
	}
	return page, n, capped, true, nil
}

// rarePart, when p's only condition is a substring search for a text of
// several words (runs of three letters or digits or more, which the
// trigram index reads apart), is that condition with the index given
// only the word found in the fewest of the first resources of the walk
// (in direction dir), and the text checked on the rows it finds; share
// is the estimated share of the resources that hold the word. Every
// trigram of the text is otherwise read from the index: for
// "assets.example.com/<word>", whose other words are in a fifth of the
// original locations, the postings of a fifth of the library, 24 ms at a
// million where the word alone took 2 ms. A quarter of windowPage's first
// entries tells a common word from a rare one well enough, at a quarter
// of the cost (each word is a LIKE on each entry).
func (q *Query) rarePart(ctx context.Context, p *plan, dir string) (f fragment, share float64, ok bool, err error) {
	if len(p.conds) != 1 || p.conds[0].text == "" {
		return fragment{}, 0, false, nil
	}
	c := p.conds[0]
	words := textWords(c.text)
	if len(words) < 2 {
		return fragment{}, 0, false, nil
	}
	sample := max(1, q.lim.probeWalk/4)
	sq := (&query{}).add("SELECT ")
	for i, w := range words {
		if i > 0 {
			sq.add(", ")
		}
		sq.add("sum(CASE WHEN ").frag(q.sql.contains(c.textCol, containsPattern(w))).add(" THEN 1 ELSE 0 END)")
	}
	sq.add(" FROM ").frag(firstEntries(dir, sample))
	counts := make([]int64, len(words))
	dest := make([]any, len(words))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := q.db.QueryRowContext(ctx, sq.b.String(), sq.args...).Scan(dest...); err != nil {
		return fragment{}, 0, false, err
	}
	best := 0
	for i := range words {
		if counts[i] < counts[best] || counts[i] == counts[best] && len(words[i]) > len(words[best]) {
			best = i
		}
	}
	share = (float64(counts[best]) + 0.5) / float64(sample)
	return q.sql.containsVia(c.textCol, words[best], c.text), share, true, nil
}

// firstEntries is the first limit resources in the default order in
// direction dir, with the texts that resources_order carries, as the
// resources AS r of a FROM clause.
func firstEntries(dir string, limit int) fragment {
	return fragment{"(SELECT r.id, r.created_at, r.name, r.description, r.original_name, r.original_location FROM resources AS r ORDER BY r.created_at" +
		dir + ", r.id" + dir + " LIMIT ?) AS r", []any{limit}}
}
