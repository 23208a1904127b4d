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
	if err := q.settle(ctx); err != nil {
		return 0, false, err
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
	if err := q.settle(ctx); err != nil {
		return 0, err
	}
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
	// ANALYZE to the next. When the page is not among them, the same
	// statement counts the resources and takes rarePart's sample, which
	// would each cost a round trip to the database.
	rare := rareWords(p)
	first, err := q.firstWalk(ctx, where, p.def.desc, int64(need), rare)
	if err != nil {
		return nil, false, false, err
	}
	ids, total, counts := first.ids, first.total, first.counts
	if float64(len(ids)) >= need {
		return ids[min(len(ids), int(p.offset)):], true, false, nil
	}
	n := float64(total)
	if float64(q.lim.probeWalk) >= n {
		return ids[min(len(ids), int(p.offset)):], true, false, nil
	}
	// The costs of the three readings, in entries of an index range: a
	// walk checks entries until the page is full; the bitmap
	// index reads its postings, a few entries' worth per match; a window
	// of k entries reads the rows of the matches it holds, the full
	// bitmap those of every match.
	est, k := q.lim.firstWindow(len(ids), need, n)
	// cand is the number of candidates the index gives, whose rows are
	// read: the matches, unless the index is given a part of the text.
	cand := est
	full := func() float64 { return cand*q.lim.rowCost + cand*q.lim.postingCost }
	windowed := func() float64 { return k + q.lim.window*need*q.lim.rowCost*cand/est + cand*q.lim.postingCost }
	if need*n/est*q.lim.entryCost <= min(full(), windowed()) {
		return nil, false, true, nil // matches are dense: a walk finds them soon
	}
	if rare != nil {
		f, share := q.rarePart(rare, counts)
		where = slices.Clone(where)
		where[0], cand = f, max(est, share*n)
	}
	// firstWalk, short of the page, set bitmapsOnly; the settings stay
	// until a statement needs the defaults (settle): the page's rows,
	// read by key, do not.
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
		// The first window's day came with the first walk.
		day := first.day
		first.day = ""
		if day == "" {
			if day, err = q.windowDay(ctx, p.def.desc, int64(k)); err != nil {
				return nil, false, false, err
			}
		}
		bound := windowBound(day, p.def.desc)
		if bound == nil {
			break
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

// firstWindow is, after a first walk that found found matches among n
// resources, the estimated number of matches (at least 1) and the number
// of resources, k, that windowPage's first window should hold. firstWalk
// computes k in SQL the same way.
func (l limits) firstWindow(found int, need, n float64) (est, k float64) {
	est = max((float64(found)+0.5)/float64(l.probeWalk)*n, 1)
	return est, l.window * need * n / est
}

// dayAt is the query of the day, as 'YYYY-MM-DD', that holds the newest
// (desc) or oldest k-th resource, from resource_days; k is an expression.
func dayAt(desc bool, k fragment) fragment {
	order := "ASC"
	if desc {
		order = "DESC"
	}
	// In the order of the primary key, which the database walks from the
	// newest (oldest) day until the sum reaches k.
	return fragment{`(SELECT day FROM (SELECT day, sum(n) OVER (ORDER BY day ` + order + `) AS seen FROM resource_days WHERE n > 0) AS d
		WHERE seen >= ` + k.sql + ` ORDER BY day ` + order + ` LIMIT 1)`, k.args}
}

// windowDay is the day that holds the newest (desc) or oldest k-th
// resource, or "" when there are fewer.
func (q *Query) windowDay(ctx context.Context, desc bool, k int64) (string, error) {
	f := dayAt(desc, fragment{"?", []any{k}})
	var day sql.NullString
	err := q.db.QueryRowContext(ctx, "SELECT "+f.sql, f.args...).Scan(&day)
	return day.String, err
}

// windowBound is the bound on the creation time of the resources of the
// days from day on (desc) or up to day, nil when day is not one.
func windowBound(day string, desc bool) *fragment {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return nil
	}
	if desc {
		return &fragment{"r.created_at >= ?", []any{t}}
	}
	return &fragment{"r.created_at < ?", []any{t.AddDate(0, 0, 1)}}
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
	// The settings stay until a statement needs the defaults (settle).
	if err := q.changeSettings(ctx, q.sql.walkOrder(true), q.sql.walkOrder(false)); err != nil {
		return nil, 0, false, false, err
	}
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
		if err := q.changeSettings(ctx, q.sql.keepOrder(true), q.sql.keepOrder(false)); err != nil {
			return nil, 0, false, false, err
		}
		sq.add("SELECT m.resource_id FROM resource_meta AS m WHERE ").and(where)
	}
	dir := direction(p.def.desc)
	sq.add(" ORDER BY m.created_at"+dir+", m.resource_id"+dir+" LIMIT ? OFFSET ?", p.perPage+1, p.offset)
	if err := q.db.NewRaw(sq.b.String(), sq.args...).Scan(ctx, &page); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, false, err
	}
	return page, n, capped, true, nil
}

// firstFound is what firstWalk learns.
type firstFound struct {
	// ids are the first matches of the walk, in its order.
	ids []int64
	// total is the number of resources, counts the number among the
	// first rareSample(limits.probeWalk) that contain each word of the
	// rare text, and day the day of the first window of windowPage
	// ('YYYY-MM-DD', or ""): read only when the walk fell short.
	total  int64
	counts []int64
	day    string
}

// firstWalk reads the IDs of the first limit matches of where among the
// first limits.probeWalk entries of the default order (newest first with
// desc). When there are fewer, the same statement reads what windowPage
// needs next, each of which would cost a round trip: the number of
// resources (from resource_days), the number of resources among the
// first rareSample(limits.probeWalk) that contain each word of rare.words,
// and the day of the first window (windowDay of its k, which depends on
// the matches found); and it sets bitmapsOnly, for the reading that
// follows, noted for settle.
func (q *Query) firstWalk(ctx context.Context, where []fragment, desc bool, limit int64, rare *rareText) (w firstFound, err error) {
	var words []string
	if rare != nil {
		words = rare.words
	}
	dir := direction(desc)
	short := fragment{"(SELECT count(*) FROM w) < ?", []any{limit}}
	pad := strings.Repeat(", CAST(NULL AS BIGINT)", len(words))
	// k of windowPage's first window, as limits.firstWindow computes it;
	// materialized, so that the walk of the days compares each with a
	// value rather than compute k again.
	est := "(f.found + 0.5) / ?"
	sq := (&query{}).add("WITH w AS (SELECT r.id, r.created_at FROM ").frag(firstEntries(dir, q.lim.probeWalk)).add(" WHERE ").
		and(where).add(" ORDER BY r.created_at"+dir+", r.id"+dir+" LIMIT ?)", limit).
		add(", t AS (SELECT CAST(coalesce(sum(n), 0) AS BIGINT) AS n FROM resource_days)").
		add(", kk AS MATERIALIZED (SELECT ? / (CASE WHEN "+est+" * t.n > 1 THEN "+est+" ELSE 1.0 / NULLIF(t.n, 0) END) AS k, t.n AS n"+
			" FROM t, (SELECT count(*) AS found FROM w) AS f)", q.lim.window*float64(limit), float64(q.lim.probeWalk), float64(q.lim.probeWalk)).
		add(" SELECT 0 AS part, w.id AS v, w.created_at AS created" + pad + " FROM w").
		add(" UNION ALL SELECT 1, t.n, NULL" + pad + " FROM t WHERE ").frag(short)
	// The day as a number, yyyymmdd, which both dialects cast alike; only
	// when windowPage may use it (its first window holds fewer than half
	// the resources).
	sq.add(" UNION ALL SELECT 3, CASE WHEN kk.k < kk.n / 2.0 THEN CAST(replace(").frag(dayAt(desc, fragment{sql: "kk.k"})).
		add(", '-', '') AS BIGINT) END, NULL" + pad + " FROM kk")
	if exprs := q.sql.bitmapsOnlyExprs(); len(exprs) > 0 {
		// Evaluated only when the row is: the walk that finds the page
		// leaves the settings alone.
		sq.add(", (SELECT " + strings.Join(exprs, ", ") + ") AS settings")
	}
	sq.add(" WHERE ").frag(short)
	if len(words) > 0 {
		sq.add(" UNION ALL SELECT 2, NULL, NULL")
		for i := range words {
			sq.add(fmt.Sprintf(", s.c%d", i))
		}
		sq.add(" FROM (SELECT ")
		for i, w := range words {
			if i > 0 {
				sq.add(", ")
			}
			sq.add("sum(CASE WHEN ").frag(q.sql.contains(rare.col, containsPattern(w))).add(fmt.Sprintf(" THEN 1 ELSE 0 END) AS c%d", i))
		}
		sq.add(" FROM ").frag(firstEntries(dir, rareSample(q.lim.probeWalk))).add(") AS s WHERE ").frag(short)
	}
	sq.add(" ORDER BY part, created" + dir + ", v" + dir)
	rows, err := q.db.QueryContext(ctx, sq.b.String(), sq.args...)
	if err != nil {
		return w, err
	}
	defer rows.Close()
	var part int
	var v sql.NullInt64
	var created any
	counted := make([]sql.NullInt64, len(words))
	dest := []any{&part, &v, &created}
	for i := range counted {
		dest = append(dest, &counted[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return w, err
		}
		switch part {
		case 0:
			w.ids = append(w.ids, v.Int64)
		case 1:
			w.total = v.Int64
		case 2:
			for _, c := range counted {
				w.counts = append(w.counts, c.Int64)
			}
		case 3:
			q.unsettle = joinStatements(q.unsettle, q.sql.bitmapsOnly(false))
			if d := v.Int64; v.Valid {
				w.day = fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100)
			}
		}
	}
	return w, rows.Err()
}

// rareText is the text of a substring search, the only condition of a
// list, that has several words (runs of three letters or digits or more,
// which a trigram index reads apart), and the column it is searched in.
type rareText struct {
	col, text string
	words     []string
}

// rareWords is p's rareText, or nil.
func rareWords(p *plan) *rareText {
	if len(p.conds) != 1 || p.conds[0].text == "" {
		return nil
	}
	c := p.conds[0]
	words := textWords(c.text)
	if len(words) < 2 {
		return nil
	}
	return &rareText{col: c.textCol, text: c.text, words: words}
}

// rareSample is the number of the first entries of a walk of probeWalk
// entries whose words rarePart counts. A quarter of the walk tells a
// common word from a rare one well enough, at a quarter of the cost
// (each word is a LIKE on each entry).
func rareSample(probeWalk int) int { return max(1, probeWalk/4) }

// rarePart is the condition of t with the index given only the word found
// in the fewest of the first resources of the walk (counts, by word, from
// firstWalk), and the text checked on the rows it finds; share is the
// estimated share of the resources that hold the word. Every trigram of
// the text is otherwise read from the index: for
// "assets.example.com/<word>", whose other words are in a fifth of the
// original locations, the postings of a fifth of the library, 24 ms at a
// million where the word alone took 2 ms.
func (q *Query) rarePart(t *rareText, counts []int64) (f fragment, share float64) {
	best := 0
	for i := range t.words {
		if counts[i] < counts[best] || counts[i] == counts[best] && len(t.words[i]) > len(t.words[best]) {
			best = i
		}
	}
	share = (float64(counts[best]) + 0.5) / float64(rareSample(q.lim.probeWalk))
	return q.sql.containsVia(t.col, t.words[best], t.text), share
}

// firstEntries is the first limit resources in the default order in
// direction dir, with the texts that resources_order carries, as the
// resources AS r of a FROM clause.
func firstEntries(dir string, limit int) fragment {
	return fragment{"(SELECT r.id, r.created_at, r.name, r.description, r.original_name, r.original_location FROM resources AS r ORDER BY r.created_at" +
		dir + ", r.id" + dir + " LIMIT ?) AS r", []any{limit}}
}
