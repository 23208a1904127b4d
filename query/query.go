package query

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
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
	db  *bun.DB
	sql sqlDialect
	err error // set when the database's dialect is not supported
}

// New returns a Query over the resources of store.
func New(store *resources.Store) *Query {
	db := store.ReadDB()
	d, err := dialectFor(db)
	return &Query{db: db, sql: d, err: err}
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

	// ShowWithoutOwner keeps only resources that have no owner.
	ShowWithoutOwner bool
	// ShowWithSimilar would keep only images with a visually similar image;
	// perceptual hashes are not computed yet, so List refuses it.
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
}

// Page is one page of a list.
type Page struct {
	// Resources holds the page's resources with their Tags, Owner,
	// ResourceCategory and Series. Groups and Notes are not loaded and are
	// empty; Store.Get has them.
	Resources []*resources.Resource
	// Total counts every resource that matches the filter.
	Total int
	// Page and PerPage are the page number and size that were applied.
	Page    int
	PerPage int
}

// plan is a validated Filter turned into SQL fragments.
type plan struct {
	where   []fragment
	order   []fragment
	page    int
	perPage int
	offset  int64
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
	where := func(sq *bun.SelectQuery) *bun.SelectQuery {
		for _, w := range p.where {
			sq = sq.Where(w.sql, w.args...)
		}
		return sq
	}
	page := Page{Resources: []*resources.Resource{}, Page: p.page, PerPage: p.perPage}
	total, err := q.db.NewSelect().Model((*resources.Resource)(nil)).Apply(where).Count(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("%s: counting: %w", op, err)
	}
	page.Total = int(total)
	if p.offset >= int64(total) {
		return page, nil
	}
	var rows []*resources.Resource
	sq := q.db.NewSelect().Model(&rows).
		Relation("Owner").Relation("ResourceCategory").Relation("Series").
		Relation("Tags", func(sq *bun.SelectQuery) *bun.SelectQuery { return sq.Order("t.id") }).
		Relation("Groups").Relation("Notes").
		Apply(where)
	for _, o := range p.order {
		sq = sq.OrderExpr(o.sql, o.args...)
	}
	if err := sq.Limit(int64(p.perPage)).Offset(p.offset).Scan(ctx); err != nil {
		return Page{}, fmt.Errorf("%s: %w", op, err)
	}
	for _, r := range rows {
		r.Normalize()
	}
	if rows != nil {
		page.Resources = rows
	}
	return page, nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", resources.ErrInvalid, fmt.Sprintf(format, args...))
}

// compile validates f and translates it into SQL fragments.
func (q *Query) compile(f Filter) (*plan, error) {
	if f.ShowWithSimilar {
		return nil, invalidf("ShowWithSimilar is not available yet")
	}
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

	add := func(sql string, args ...any) { p.where = append(p.where, fragment{sql, args}) }

	for _, c := range []struct{ name, col, value string }{
		{"Name", "r.name", f.Name},
		{"Description", "r.description", f.Description},
		{"ContentType", "r.content_type", f.ContentType},
		{"OriginalName", "r.original_name", f.OriginalName},
		{"OriginalLocation", "r.original_location", f.OriginalLocation},
	} {
		if c.value == "" {
			continue
		}
		if problem := checkText(c.value); problem != "" {
			return nil, invalidf("%s %s", c.name, problem)
		}
		p.where = append(p.where, q.sql.contains(c.col, containsPattern(c.value)))
	}
	if h := strings.ToLower(strings.TrimSpace(f.Hash)); h != "" {
		if problem := checkText(h); problem != "" {
			return nil, invalidf("Hash %s", problem)
		}
		add("r.hash = ?", h)
	}

	if f.OwnerID != 0 {
		add("r.owner_id = ?", f.OwnerID)
	}
	if f.ResourceCategoryID != 0 {
		add("r.resource_category_id = ?", f.ResourceCategoryID)
	}
	if f.SeriesID != 0 {
		add("r.series_id = ?", f.SeriesID)
	}
	if f.ShowWithoutOwner {
		add("r.owner_id IS NULL")
	}
	if ids := distinct(f.IDs); len(ids) > 0 {
		add("r.id IN (?)", bun.In(ids))
	}
	if w, ok := hasAll("resource_tags", "tag_id", f.Tags); ok {
		p.where = append(p.where, w)
	}
	if w, ok := hasAll("resource_notes", "note_id", f.Notes); ok {
		p.where = append(p.where, w)
	}
	if w, ok := hasAllGroups(f.Groups); ok {
		p.where = append(p.where, w)
	}

	if !f.CreatedAfter.IsZero() {
		add("r.created_at >= ?", f.CreatedAfter.UTC())
	}
	if !f.CreatedBefore.IsZero() {
		add("r.created_at < ?", f.CreatedBefore.UTC())
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
			add(b.sql, b.value)
		}
	}

	if len(f.MetaQuery) > MaxMetaQuery {
		return nil, invalidf("at most %d MetaQuery terms are allowed, got %d", MaxMetaQuery, len(f.MetaQuery))
	}
	// EQ conditions on one key are OR'ed together, at the place of the
	// key's first EQ; everything else is a condition of its own.
	eqGroup := map[string]int{} // key -> index into p.where
	eqParts := map[string][]fragment{}
	for _, s := range f.MetaQuery {
		c, err := ParseMetaQuery(s)
		if err != nil {
			return nil, err
		}
		frag := q.sql.metaCondition("r.meta", c)
		if c.Op != OpEQ {
			p.where = append(p.where, frag)
			continue
		}
		if _, ok := eqGroup[c.Key]; !ok {
			eqGroup[c.Key] = len(p.where)
			p.where = append(p.where, fragment{})
		}
		eqParts[c.Key] = append(eqParts[c.Key], frag)
	}
	for key, i := range eqGroup {
		p.where[i] = or(eqParts[key])
	}

	if len(f.SortBy) > MaxSortBy {
		return nil, invalidf("at most %d SortBy terms are allowed, got %d", MaxSortBy, len(f.SortBy))
	}
	if len(f.SortBy) == 0 {
		p.order = []fragment{{sql: "r.created_at DESC"}, {sql: "r.id DESC"}}
		return p, nil
	}
	var last SortTerm
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
		last = t
	}
	if !byID {
		p.order = append(p.order, fragment{sql: "r.id" + direction(last.Desc)})
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

// hasAll is the condition that the resource is linked, through the join
// table table (resource_id, col), to every one of ids. It reads only the
// join table's (col, resource_id) index.
func hasAll(table, col string, ids []int64) (fragment, bool) {
	ids = distinct(ids)
	switch len(ids) {
	case 0:
		return fragment{}, false
	case 1:
		return fragment{"r.id IN (SELECT resource_id FROM " + table + " WHERE " + col + " = ?)", []any{ids[0]}}, true
	}
	return fragment{
		"r.id IN (SELECT resource_id FROM " + table + " WHERE " + col + " IN (?) GROUP BY resource_id HAVING count(*) = ?)",
		[]any{bun.In(ids), len(ids)},
	}, true
}

// hasAllGroups is the condition that every one of ids is related to the
// resource or owns it. The UNION removes the pair a group makes when it is
// both, so that counting the pairs per resource counts distinct groups.
func hasAllGroups(ids []int64) (fragment, bool) {
	ids = distinct(ids)
	switch len(ids) {
	case 0:
		return fragment{}, false
	case 1:
		return fragment{
			"r.id IN (SELECT resource_id FROM groups_related_resources WHERE group_id = ? UNION SELECT id FROM resources WHERE owner_id = ?)",
			[]any{ids[0], ids[0]},
		}, true
	}
	return fragment{
		"r.id IN (SELECT gm.resource_id FROM (" +
			"SELECT resource_id, group_id FROM groups_related_resources WHERE group_id IN (?) " +
			"UNION SELECT id, owner_id FROM resources WHERE owner_id IN (?)" +
			") AS gm GROUP BY gm.resource_id HAVING count(*) = ?)",
		[]any{bun.In(ids), bun.In(ids), len(ids)},
	}, true
}

// MetaKeys returns the distinct top-level keys used in resources' Meta,
// sorted.
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
