package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/resources"
)

// Paging defaults and bounds.
const (
	// DefaultPerPage is the page size when Filter.MaxResults is 0.
	DefaultPerPage = 50
	// MaxPerPage caps Filter.MaxResults.
	MaxPerPage = 1000
	// MaxMetaQuery bounds the number of MetaQuery terms in one Filter.
	MaxMetaQuery = 100
	// MaxSortBy bounds the number of SortBy terms in one Filter.
	MaxSortBy = 20
)

// Query lists resources with the filters of GET /v1/resources. It reads
// through the Store's read database and is safe for concurrent use.
type Query struct {
	// db is the read database, or within List the connection of its read
	// transaction (see begin).
	db    bun.IDB
	store *resources.Store
	// tx is, within List on SQLite, the same connection as db, on which
	// rows runs statements with bound arguments.
	tx  resources.Querier
	sql sqlDialect
	err error // set when the database's dialect is not supported
	lim limits
	// generic leaves every list to the database's planner and reads meta
	// from the JSON text: the path of a dialect without the cost-based
	// planner (sqlDialect.planner), and, with exact, the reference that
	// tests compare the planner with.
	generic bool
	// exact makes the generic path count every match (the reference of
	// the tests) and rewrite nothing; otherwise it bounds totals as the
	// planner does (see lean.go).
	exact bool
	// planned, when set, runs in List between planning and reading the
	// page: tests write there to check that List sees one snapshot.
	planned func()
	// unsettle, within List on the generic path, is the statement that
	// returns the planner's settings to their defaults after a reading
	// changed them (walkOrder, bitmapsOnly, keepOrder), or "". settle
	// runs it before a statement that needs the defaults; most lists end
	// with the page's rows, which do not, and each statement is a round
	// trip to a database server.
	unsettle string
	// size remembers whether the library is small (limits.small), for
	// all the lists of the Query.
	size *sizeCache
	// names is the copy of a small library's names that Name searches
	// scan (names.go); nil leaves them to the index.
	names *names
}

// sizeCache is whether a library is small, as looked up at a time. A list
// trusts it for sizeTTL: a stale answer costs speed, never results, as
// both ways of searching find the same pages.
type sizeCache struct {
	at    atomic.Int64 // UnixNano of the lookup; 0: never
	small atomic.Bool
}

// sizeTTL is how long a lookup of the library's size is trusted: a
// statement every list cost 5% of a search.
const sizeTTL = time.Second

// changeSettings runs set, a statement that changes the planner's
// settings for the rest of the list's transaction, and notes unset, the
// statement that undoes it, for settle.
func (q *Query) changeSettings(ctx context.Context, set, unset string) error {
	if _, err := q.db.ExecContext(ctx, set); err != nil {
		return err
	}
	q.unsettle = joinStatements(q.unsettle, unset)
	return nil
}

// smallLibrary reports whether the highest resource ID is below
// limits.small: one seek, looked up at most once per sizeTTL.
func (q *Query) smallLibrary(ctx context.Context) (bool, error) {
	if q.lim.small <= 0 {
		return false, nil
	}
	now := time.Now().UnixNano()
	if at := q.size.at.Load(); at != 0 && now-at < int64(sizeTTL) {
		return q.size.small.Load(), nil
	}
	// ORDER BY and LIMIT rather than max(id): one seek to the end of
	// the table, whatever the planner makes of an aggregate.
	var top int64
	err := q.scanRow(ctx, "SELECT id FROM resources ORDER BY id DESC LIMIT 1", nil, &top)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	small := top < q.lim.small
	q.size.small.Store(small)
	q.size.at.Store(now)
	return small, nil
}

// joinStatements joins the statements a and b, either of which may be "".
func joinStatements(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// settle returns the planner's settings to their defaults if a reading
// changed them.
func (q *Query) settle(ctx context.Context) error {
	if q.unsettle == "" {
		return nil
	}
	if _, err := q.db.ExecContext(ctx, q.unsettle); err != nil {
		return err
	}
	q.unsettle = ""
	return nil
}

// resettle is settle then changeSettings, in one statement.
func (q *Query) resettle(ctx context.Context, set, unset string) error {
	if _, err := q.db.ExecContext(ctx, joinStatements(q.unsettle, set)); err != nil {
		return err
	}
	q.unsettle = unset
	return nil
}

// New returns a Query over the resources of store.
func New(store *resources.Store) *Query {
	db := store.ReadDB()
	d, err := dialectFor(db)
	return &Query{db: db, store: store, sql: d, err: err, lim: defaultLimits, generic: err == nil && !d.planner(), size: &sizeCache{}, names: &names{}}
}

// Filter selects, orders and pages resources. Its zero value lists the first
// DefaultPerPage resources, newest first. All conditions are AND'ed.
type Filter struct {
	// Page is the 1-based page number; 0 means 1.
	Page int
	// MaxResults is the page size; 0 means DefaultPerPage. Larger values
	// are capped at MaxPerPage.
	MaxResults int

	// Name, Description, ContentType, OriginalName and OriginalLocation
	// match when the field contains the text, ignoring case (ASCII letters
	// only, with SQLite). % and _ are literal characters.
	Name             string
	Description      string
	ContentType      string
	OriginalName     string
	OriginalLocation string
	// Hash matches the content hash exactly (either case).
	Hash string

	// OwnerID, ResourceCategoryID and SeriesID match the resource's
	// reference; 0 means no filter.
	OwnerID            int64
	ResourceCategoryID int64
	SeriesID           int64

	// Groups, Tags and Notes: the resource must have every one of them. A
	// group counts when it is related to the resource or owns it.
	Groups []int64
	Tags   []int64
	Notes  []int64
	// IDs: the resource is any of them.
	IDs []int64

	// CreatedAfter (inclusive) and CreatedBefore (exclusive) bound the
	// creation time, so that consecutive ranges neither overlap nor leave
	// gaps; zero means no bound.
	CreatedBefore time.Time
	CreatedAfter  time.Time

	// UpdatedAfter (inclusive) and UpdatedBefore (exclusive) bound the
	// time of the last change; zero means no bound.
	UpdatedBefore time.Time
	UpdatedAfter  time.Time

	// ContentTypes: the resource's content type is any of them (exactly,
	// in any case).
	ContentTypes []string

	// ShowWithoutOwner keeps only resources that have no owner.
	ShowWithoutOwner bool
	// Untagged keeps only resources that have no tag.
	Untagged bool
	// ShowWithSimilar keeps only resources that have at least one visually
	// similar image (the pairs the media worker records from perceptual
	// hashes, see internal/schema/sqlite/media.go).
	ShowWithSimilar bool

	// MinWidth, MaxWidth, MinHeight and MaxHeight are inclusive bounds in
	// pixels; 0 means no bound.
	MinWidth  int
	MaxWidth  int
	MinHeight int
	MaxHeight int

	// MetaQuery holds conditions on Meta in the syntax of ParseMetaQuery.
	// Several EQ conditions on the same key are OR'ed; everything else is
	// AND'ed.
	MetaQuery []string
	// SortBy holds sort terms in the syntax of ParseSortBy, most
	// significant first. Ties are broken by ID in the direction of the
	// last term. Without SortBy: created_at desc, then ID desc.
	SortBy []string

	// NoTotal skips counting the matches, for a caller that wants only
	// the page: Total is then the lower bound of a capped total (the
	// resources up to the end of this page, plus one when another page
	// follows), with TotalCapped set when another page follows. (A page
	// past the end, which says nothing of the total, still counts.)
	NoTotal bool

	// JSON has the page come as Page.JSON, the JSON array of its
	// resources as the API writes them, rather than as Page.Resources.
	// Its resources' JSON is then reused from reads of the same state of
	// the database (resources.Store.ReadManyJSON).
	JSON bool
}

// Page is one page of a list.
type Page struct {
	// Resources holds the page's resources with their Tags, Groups, Notes,
	// Owner, ResourceCategory and Series.
	Resources []*resources.Resource
	// JSON is the JSON array of the page's resources, instead of
	// Resources, when Filter.JSON asked for it (and the resources could
	// be written so; else Resources holds them as usual).
	JSON []byte
	// Total counts the resources that match the filter. Counting every
	// match of a broad filter over a large library would cost more than
	// the page, so the count stops after a bounded amount of work (see
	// package documentation): then TotalCapped is true and Total is a
	// lower bound, at least the number of resources up to the end of this
	// page, plus one when another page follows.
	Total       int
	TotalCapped bool
	// Page and PerPage are the page number and size that were applied.
	Page    int
	PerPage int
}

// plan is a validated Filter turned into SQL fragments.
type plan struct {
	// conds are the conditions, all AND'ed.
	conds []*cond
	// after and before bound the creation time (zero: no bound); created
	// holds the same bounds as SQL, with {created} for the column they
	// apply to.
	after, before time.Time
	created       []fragment
	// order is the ORDER BY of the SortBy terms; def tells whether it is
	// the default order (created_at, id) in one direction.
	order   []fragment
	def     defaultOrder
	page    int
	perPage int
	offset  int64
}

// where is every condition of p on resources AS r.
func (p *plan) where() []fragment {
	var out []fragment
	for _, c := range p.conds {
		out = append(out, c.where)
	}
	for _, c := range p.created {
		out = append(out, fragment{strings.ReplaceAll(c.sql, "{created}", "r.created_at"), c.args})
	}
	return out
}

// List returns the page of resources that f selects. Malformed filters
// return an error wrapping resources.ErrInvalid that names the problem.
func (q *Query) List(ctx context.Context, f Filter) (Page, error) {
	const op = "query.List"
	if q.err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, q.err)
	}
	p, err := q.compile(f)
	if err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, err)
	}
	// On a small library every statement is short, and watching ctx
	// costs more than a cancel could save: database/sql and the SQLite
	// driver start a goroutine per statement to watch a cancellable
	// context, whose starts and the threads they wake cost a small list
	// about a twentieth of its CPU. A large library's statements may run
	// long enough for a cancel to matter: there the list keeps ctx.
	if small, err := q.smallLibrary(ctx); err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, err)
	} else if small {
		ctx = context.WithoutCancel(ctx)
	}
	// One read transaction: the plan, the page, its relations and the
	// total see the same snapshot, however writers interleave.
	conn, stamp, err := q.beginStamped(ctx, f.JSON)
	if err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, err)
	}
	defer endRead(ctx, conn)
	q = q.inTx(conn)
	page := Page{Resources: []*resources.Resource{}, Page: p.page, PerPage: p.perPage}
	var st strategy
	var rd reading
	// The page's IDs in its order, perPage+1 of them to learn whether
	// more follow: a list, or the query of one.
	var ids fragment
	var list []int64
	counted := -1 // the total, when the page's query counted it
	folded := false
	if found, n, ok, err := q.nameScan(ctx, p); err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, err)
	} else if ok {
		list, counted, folded = found, n, true
	}
	if !q.generic && !folded {
		found, n, ok, err := q.foldGather(ctx, p)
		if err != nil {
			return Page{}, fmt.Errorf("%s: planning: %w", op, err)
		}
		if ok {
			list, counted, folded = found, n, true
		}
	}
	if !q.generic && !folded {
		if st, err = q.choose(ctx, p.conds, p.def.desc); err != nil {
			return Page{}, fmt.Errorf("%s: planning: %w", op, err)
		}
		rd = q.read(&st, p)
	}
	if q.generic {
		for _, c := range p.conds {
			if c.lean != nil {
				if err := c.lean(ctx, q.db); err != nil {
					return Page{}, fmt.Errorf("%s: %w", op, err)
				}
			}
		}
	}
	if q.planned != nil {
		q.planned()
	}

	past := false
	scanned, scanExact := -1, false
	tagged := false   // the page is read from resource_tag_order
	walked := false   // windowPage found walking the default order cheaper
	metaRead := false // metaPage read the page and counted the matches
	metaCapped := false
	switch {
	case folded:
		past = len(list) == 0
	case p.def.ok && !q.generic && st.scan != nil:
		if list, scanned, scanExact, err = q.scan(ctx, &st, p); err != nil {
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
		past = len(list) == 0
	case p.def.ok && !q.generic && st.gather != nil:
		if list, counted, err = q.gather(ctx, rd, p); err != nil {
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
		past = len(list) == 0
	case p.def.ok && !q.generic && st.read != nil && st.read == st.by.sorted:
		// The whole set is read and sorted anyway: count it on the way,
		// and read the rows by ID.
		pageIDs := q.pageIDs(rd, p, p.offset, true)
		var id int64
		var total int
		err := q.scanEach(ctx, pageIDs.sql, pageIDs.args, func() error { list, counted = append(list, id), total; return nil }, &id, &total)
		if err != nil {
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
		past = len(list) == 0
	case p.def.ok && !q.generic:
		offset := p.offset
		var bound *fragment
		if len(p.conds) == 0 && len(p.created) == 0 && p.offset >= int64(q.lim.deep) {
			if bound, offset, past, err = q.deepPage(ctx, p); err != nil {
				return Page{}, fmt.Errorf("%s: %w", op, err)
			}
		}
		pr := rd
		if bound != nil {
			pr = q.read(&st, p, *bound)
		}
		ids = q.pageIDs(pr, p, offset, false)
	default:
		// Other orders are left to the database's planner, told of the
		// small set the plan found if any: it would otherwise walk the
		// sort column's index through every resource.
		offset := p.offset
		if tp := q.tagPage(p, offset); tp != nil {
			ids, tagged = *tp, true
			break
		}
		metaIDs, n, capped, ok, err := q.metaPage(ctx, p)
		if err != nil {
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
		if ok {
			list, past = metaIDs, len(metaIDs) == 0
			counted, metaRead, metaCapped = n, true, capped
			break
		}
		// windowPage's IDs are the page's, in its order: they are read
		// by ID below.
		if err := q.settle(ctx); err != nil { // after metaPage
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
		window, ok, walkIt, err := q.windowPage(ctx, p)
		if err != nil {
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
		walked = walkIt
		if ok {
			list, past = window, len(window) == 0
			break
		}
		if !walked { // a walk settles below, with its own settings
			if err := q.settle(ctx); err != nil {
				return Page{}, fmt.Errorf("%s: %w", op, err)
			}
		}
		where := p.where()
		if q.leanCount() && p.def.ok && len(p.conds) == 0 && len(p.created) == 0 && p.offset >= int64(q.lim.deep) {
			// Deep in a list without conditions: skip the days before
			// the page rather than step over every resource.
			var bound *fragment
			if bound, offset, past, err = q.deepPage(ctx, p); err != nil {
				return Page{}, fmt.Errorf("%s: %w", op, err)
			}
			if bound != nil {
				where = append(where, fragment{strings.ReplaceAll(bound.sql, "{created}", "r.created_at"), bound.args})
			}
		}
		if set := st.smallSet(q.lim); set != nil {
			where = append(where, fragment{"r.id IN (" + set.sql + ")", set.args})
		}
		sq := (&query{}).add("SELECT r.id FROM resources AS r WHERE ").and(where).add(" ORDER BY ")
		for i, o := range p.order {
			if i > 0 {
				sq.add(", ")
			}
			sq.frag(o)
		}
		ids = sq.add(" LIMIT ? OFFSET ?", p.perPage+1, offset).fragment()
	}
	var rows []*resources.Resource
	shown := 0 // the page's resources, in rows or in page.JSON
	more := false
	// Conditions that no index serves are checked on each row: a page
	// in the default order then walks that order's index until it is
	// full, which the database's planner, misled by its estimates of
	// substring and JSON tests, may not do by itself.
	// So are the joins of tagPage, whose estimates the database takes
	// for a handful of rows, as if the whole join were read, and the
	// pages that windowPage finds cheaper to walk.
	walk := q.leanCount() && p.def.ok && !past && !metaRead && len(p.conds) > 0 && !slices.ContainsFunc(p.conds, func(c *cond) bool { return c.served != unserved })
	walk = walk || tagged && len(p.conds) > 1 || walked
	if walk {
		if err := q.resettle(ctx, q.sql.walkOrder(true), q.sql.walkOrder(false)); err != nil {
			return Page{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	if !past {
		// Then the resources by ID, with their relations, in that
		// order (the queries of the IDs all end in the page's ORDER BY).
		pageIDs := list
		if ids.sql != "" {
			if pageIDs, err = q.int64s(ctx, ids.sql, ids.args...); err != nil {
				return Page{}, fmt.Errorf("%s: %w", op, err)
			}
		}
		// The one past the page only tells that another follows.
		more = len(pageIDs) > p.perPage
		pageIDs = pageIDs[:min(len(pageIDs), p.perPage)]
		wrote := false
		if f.JSON {
			if page.JSON, wrote, err = q.store.ReadManyJSON(ctx, conn.Conn, pageIDs, stamp); err != nil {
				return Page{}, fmt.Errorf("%s: %w", op, err)
			}
			// The IDs were found in this snapshot: each is in the page.
			shown = len(pageIDs)
		}
		if !wrote {
			if rows, err = q.store.ReadMany(ctx, conn.Conn, pageIDs); err != nil {
				return Page{}, fmt.Errorf("%s: %w", op, err)
			}
			shown = len(rows)
		}
	}
	for _, r := range rows {
		r.Normalize()
	}
	if rows != nil {
		page.Resources = rows
	}
	switch {
	case counted >= 0 && metaCapped:
		// metaPage counted up to its bound; an empty page past the end
		// tells nothing more.
		page.Total, page.TotalCapped = counted, true
		if shown > 0 {
			page.Total = max(counted, int(p.offset)+shown+btoi(more))
		}
		return page, nil
	case counted >= 0:
		page.Total = counted
		return page, nil
	case scanned >= 0 && scanExact:
		page.Total = scanned
		return page, nil
	case scanned >= 0:
		// The scan stopped early: what it saw is a lower bound.
		page.Total, page.TotalCapped = max(scanned, int(p.offset)+shown+btoi(more)), true
		return page, nil
	}
	if f.NoTotal && (shown > 0 || p.offset == 0) {
		page.Total, page.TotalCapped = int(p.offset)+shown+btoi(more), more
		return page, nil
	}
	page.Total, page.TotalCapped, err = q.total(ctx, &st, rd, p, int(p.offset)+shown, more)
	if err != nil {
		return Page{}, fmt.Errorf("%s: counting: %w", op, err)
	}
	return page, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func invalidf(format string, args ...any) error {
	return errs.Errorf("", errs.Invalid, format, args...)
}

// compile validates f and translates it into conditions.
func (q *Query) compile(f Filter) (*plan, error) {
	p := &plan{page: f.Page, perPage: f.MaxResults}
	switch {
	case p.page < 0:
		return nil, invalidf("page %d must not be negative", f.Page)
	case p.page == 0:
		p.page = 1
	}
	switch {
	case p.perPage < 0:
		return nil, invalidf("MaxResults %d must not be negative", f.MaxResults)
	case p.perPage == 0:
		p.perPage = DefaultPerPage
	}
	p.perPage = min(p.perPage, MaxPerPage)
	if int64(p.page-1) > math.MaxInt64/int64(p.perPage) {
		return nil, invalidf("page %d is too large", f.Page)
	}
	p.offset = int64(p.page-1) * int64(p.perPage)

	add := func(c *cond) { p.conds = append(p.conds, c) }

	for _, c := range []struct{ name, field, col, value string }{
		{"Name", "name", "r.name", f.Name},
		{"Description", "description", "r.description", f.Description},
		{"ContentType", "", "r.content_type", f.ContentType},
		{"OriginalName", "original_name", "r.original_name", f.OriginalName},
		{"OriginalLocation", "original_location", "r.original_location", f.OriginalLocation},
	} {
		if c.value == "" {
			continue
		}
		if problem := checkText(c.value); problem != "" {
			return nil, invalidf("%s %s", c.name, problem)
		}
		add(q.substring(c.field, c.col, c.value))
	}
	if h := strings.ToLower(strings.TrimSpace(f.Hash)); h != "" {
		if problem := checkText(h); problem != "" {
			return nil, invalidf("Hash %s", problem)
		}
		add(&cond{
			where: fragment{"r.hash = ?", []any{h}},
			ids:   &fragment{"SELECT id FROM resources WHERE hash = ?", []any{h}},
			small: true, served: indexed,
		})
	}

	if f.OwnerID != 0 {
		add(q.column("owner_id", "resources_owner_order", "= ?", f.OwnerID))
	}
	if f.ResourceCategoryID != 0 {
		add(q.column("resource_category_id", "resources_resource_category_order", "= ?", f.ResourceCategoryID))
	}
	if f.SeriesID != 0 {
		add(q.column("series_id", "resources_series_order", "= ?", f.SeriesID))
	}
	if f.ShowWithoutOwner {
		add(q.column("owner_id", "resources_owner_order", "IS NULL"))
	}
	if f.ShowWithSimilar {
		on := func(x string) fragment {
			return fragment{sql: "EXISTS (SELECT 1 FROM resource_similar WHERE resource_id = " + x + ")"}
		}
		add(&cond{where: on("r.id"), onID: on, ids: &fragment{sql: "SELECT resource_id FROM resource_similar"}})
	}
	if f.Untagged {
		on := func(x string) fragment {
			return fragment{sql: "NOT EXISTS (SELECT 1 FROM resource_tags WHERE resource_id = " + x + ")"}
		}
		add(&cond{where: on("r.id"), onID: on, served: unserved})
	}
	if len(f.ContentTypes) > 0 {
		types := make([]string, 0, len(f.ContentTypes))
		for _, t := range f.ContentTypes {
			if problem := checkText(t); problem != "" {
				return nil, invalidf("ContentTypes %s", problem)
			}
			types = append(types, strings.ToLower(strings.TrimSpace(t)))
		}
		add(&cond{where: fragment{"lower(r.content_type) IN (?)", []any{bun.In(types)}}, served: unserved})
	}
	if !f.UpdatedAfter.IsZero() {
		add(&cond{where: fragment{"r.updated_at >= ?", []any{f.UpdatedAfter.UTC()}}, served: unserved})
	}
	if !f.UpdatedBefore.IsZero() {
		add(&cond{where: fragment{"r.updated_at < ?", []any{f.UpdatedBefore.UTC()}}, served: unserved})
	}
	if ids := distinct(f.IDs); len(ids) > 0 {
		add(&cond{
			where: fragment{"r.id IN (?)", []any{idsArg(ids)}},
			onID:  func(id string) fragment { return fragment{id + " IN (?)", []any{idsArg(ids)}} },
			ids:   &fragment{"SELECT id FROM resources WHERE id IN (?)", []any{idsArg(ids)}},
			small: true, served: indexed,
		})
	}
	tags, moreTags := split(distinct(f.Tags))
	for _, id := range tags {
		add(tagCond(id))
	}
	notes, moreNotes := split(distinct(f.Notes))
	for _, id := range notes {
		add(linkCond("resource_notes", "note_id", id))
	}
	groups, moreGroups := split(distinct(f.Groups))
	for _, id := range groups {
		add(groupCond(id))
	}
	if len(moreTags) > 0 {
		add(allLinked("resource_tags", "tag_id", moreTags))
	}
	if len(moreNotes) > 0 {
		add(allLinked("resource_notes", "note_id", moreNotes))
	}
	if len(moreGroups) > 0 {
		add(allGroups(moreGroups))
	}

	p.after, p.before = f.CreatedAfter, f.CreatedBefore
	if !p.after.IsZero() {
		p.created = append(p.created, fragment{"{created} >= ?", []any{p.after.UTC()}})
	}
	if !p.before.IsZero() {
		p.created = append(p.created, fragment{"{created} < ?", []any{p.before.UTC()}})
	}

	for _, b := range []struct {
		name, sql string
		value     int
	}{
		{"MinWidth", "r.width >= ?", f.MinWidth},
		{"MaxWidth", "r.width <= ?", f.MaxWidth},
		{"MinHeight", "r.height >= ?", f.MinHeight},
		{"MaxHeight", "r.height <= ?", f.MaxHeight},
	} {
		switch {
		case b.value < 0:
			return nil, invalidf("%s %d must not be negative", b.name, b.value)
		case b.value > 0:
			add(&cond{where: fragment{b.sql, []any{b.value}}, index: true, served: rechecked})
		}
	}

	if len(f.MetaQuery) > MaxMetaQuery {
		return nil, invalidf("at most %d MetaQuery terms are allowed, got %d", MaxMetaQuery, len(f.MetaQuery))
	}
	// EQ conditions on one key are OR'ed together, at the place of the
	// key's first EQ; everything else is a condition of its own.
	eqGroup := map[string]int{} // key -> index into eqKeys
	var eqKeys [][]MetaCondition
	var metaConds []*cond // nil at the place of an EQ group
	for _, s := range f.MetaQuery {
		c, err := ParseMetaQuery(s)
		if err != nil {
			return nil, err
		}
		if c.Op != OpEQ {
			metaConds = append(metaConds, q.meta([]MetaCondition{c}))
			continue
		}
		i, ok := eqGroup[c.Key]
		if !ok {
			i = len(eqKeys)
			eqGroup[c.Key] = i
			eqKeys = append(eqKeys, nil)
			metaConds = append(metaConds, nil)
		}
		eqKeys[i] = append(eqKeys[i], c)
	}
	next := 0
	for _, c := range metaConds {
		if c == nil {
			c = q.meta(eqKeys[next])
			next++
		}
		add(c)
	}

	if len(f.SortBy) > MaxSortBy {
		return nil, invalidf("at most %d SortBy terms are allowed, got %d", MaxSortBy, len(f.SortBy))
	}
	if len(f.SortBy) == 0 {
		p.order = []fragment{{sql: "r.created_at DESC"}, {sql: "r.id DESC"}}
		p.def = defaultOrder{ok: true, desc: true}
		return p, nil
	}
	var terms []SortTerm
	byID := false
	for _, s := range f.SortBy {
		t, err := ParseSortBy(s)
		if err != nil {
			return nil, err
		}
		var o fragment
		if t.MetaKey != "" {
			o = q.sql.metaOrder("r.meta", t.MetaKey)
		} else {
			o = fragment{sql: sortColumns[t.Column]}
			byID = byID || t.Column == "id"
		}
		o.sql += direction(t.Desc)
		p.order = append(p.order, o)
		terms = append(terms, t)
	}
	last := terms[len(terms)-1]
	if !byID {
		p.order = append(p.order, fragment{sql: "r.id" + direction(last.Desc)})
	}
	// "created_at [dir]" alone, or followed by "id" in the same
	// direction, is the default order.
	if terms[0].Column == "created_at" && (len(terms) == 1 || len(terms) == 2 && terms[1].Column == "id" && terms[1].Desc == terms[0].Desc) {
		p.def = defaultOrder{ok: true, desc: terms[0].Desc}
	}
	return p, nil
}

func direction(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}

// distinct returns ids without duplicates, sorted.
func distinct(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// MetaKeys returns the distinct top-level keys used in resources' Meta,
// sorted: those a MetaQuery can name (ASCII letters, digits, "_" and "-").
// It reads an index that the schema keeps up to date, one seek per key.
func (q *Query) MetaKeys(ctx context.Context) ([]string, error) {
	const op = "query.MetaKeys"
	if q.err != nil {
		return nil, fmt.Errorf("%s: %w", op, q.err)
	}
	keys := []string{}
	if err := q.db.NewRaw(q.sql.metaKeys()).Scan(ctx, &keys); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}
