package query

import (
	"context"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// GroupFilter selects, orders and pages groups (GET /v1/groups). Its zero
// value lists the first DefaultPerPage groups in ID order. All conditions
// are AND'ed.
type GroupFilter struct {
	// Page is the 1-based page number; 0 means 1. MaxResults is the page
	// size; 0 means DefaultPerPage, larger values are capped at MaxPerPage.
	Page       int
	MaxResults int

	// Name, Description and URL match when the field contains the text,
	// ignoring case. With SearchParentsForName a group also matches Name
	// when its parent's name contains it; with SearchChildrenForName, when
	// one of its children's does.
	Name                  string
	Description           string
	URL                   string
	SearchParentsForName  bool
	SearchChildrenForName bool

	// IDs: the group is any of them.
	IDs []int64
	// OwnerID (the parent group) and CategoryID match the group's
	// reference; 0 means no filter.
	OwnerID    int64
	CategoryID int64
	// Tags: the group has every one of them. Groups: every one of them is
	// an ancestor of the group (its parent, its parent's parent...).
	// Resources and Notes: the group owns or is related to every one of
	// them.
	Tags      []int64
	Groups    []int64
	Resources []int64
	Notes     []int64

	// CreatedAfter (inclusive) and CreatedBefore (exclusive) bound the
	// creation time; zero means no bound.
	CreatedAfter  time.Time
	CreatedBefore time.Time

	// MetaQuery and SortBy have the syntax of ParseMetaQuery and of
	// ParseSortBy, with the columns id, name, created_at, updated_at or a
	// meta value. Without SortBy: ID ascending.
	MetaQuery []string
	SortBy    []string
}

// NoteFilter selects, orders and pages notes (GET /v1/notes), like
// GroupFilter.
type NoteFilter struct {
	Page       int
	MaxResults int

	// Name and Description match when the field contains the text,
	// ignoring case.
	Name        string
	Description string
	// IDs: the note is any of them.
	IDs []int64
	// OwnerID and NoteTypeID match the note's reference; 0 means no
	// filter.
	OwnerID    int64
	NoteTypeID int64
	// Tags: the note has every one of them. Groups: every one of them
	// owns or is related to the note. Resources: the note is related to
	// every one of them.
	Tags      []int64
	Groups    []int64
	Resources []int64

	CreatedAfter  time.Time
	CreatedBefore time.Time

	MetaQuery []string
	SortBy    []string
}

// entityList gathers the conditions and order of an entity list.
type entityList struct {
	q     *Query
	alias string
	where []fragment
	order []fragment
}

func (l *entityList) add(sql string, args ...any) { l.where = append(l.where, fragment{sql, args}) }

func (l *entityList) contains(col, text string) {
	if text != "" {
		l.where = append(l.where, l.q.sql.contains(col, containsPattern(text)))
	}
}

// each requires, for every one of ids, that sql (with one ? for the ID)
// holds.
func (l *entityList) each(ids []int64, sql string) {
	for _, id := range distinct(ids) {
		l.add(sql, id)
	}
}

// created bounds the creation time. The bound is passed as a time, which
// each dialect writes in the form it stores.
func (l *entityList) created(after, before time.Time) {
	if !after.IsZero() {
		l.add(l.alias+".created_at >= ?", after.UTC())
	}
	if !before.IsZero() {
		l.add(l.alias+".created_at < ?", before.UTC())
	}
}

func (l *entityList) meta(terms []string) error {
	if len(terms) > MaxMetaQuery {
		return invalidf("at most %d MetaQuery terms are allowed, got %d", MaxMetaQuery, len(terms))
	}
	col := l.alias + ".meta"
	// Several EQ terms on one key are OR'ed, as for resources.
	eq := map[string][]fragment{}
	var keys []string
	for _, s := range terms {
		c, err := ParseMetaQuery(s)
		if err != nil {
			return err
		}
		f := l.q.sql.metaCondition(col, c)
		if c.Op != OpEQ {
			l.where = append(l.where, f)
			continue
		}
		if _, ok := eq[c.Key]; !ok {
			keys = append(keys, c.Key)
		}
		eq[c.Key] = append(eq[c.Key], f)
	}
	for _, k := range keys {
		l.where = append(l.where, or(eq[k]))
	}
	return nil
}

var entitySort = map[string]bool{"id": true, "name": true, "created_at": true, "updated_at": true}

func (l *entityList) sort(terms []string) error {
	if len(terms) > MaxSortBy {
		return invalidf("at most %d SortBy terms are allowed, got %d", MaxSortBy, len(terms))
	}
	for _, s := range terms {
		t, err := ParseSortBy(s)
		if err != nil {
			return err
		}
		if t.MetaKey == "" && !entitySort[t.Column] {
			return invalidf("SortBy %q: unknown column %q (want one of id, name, created_at, updated_at or meta->>'key')", s, t.Column)
		}
		f := fragment{sql: l.alias + "." + t.Column}
		if t.MetaKey != "" {
			f = l.q.sql.metaOrder(l.alias+".meta", t.MetaKey)
		}
		f.sql += " " + direction(t.Desc)
		l.order = append(l.order, f)
	}
	return nil
}

// listPage selects the page into items with the given relations.
func listPage[T any](ctx context.Context, l *entityList, page, perPage int, relations ...string) (resources.ListResult[*T], error) {
	switch {
	case page < 0:
		return resources.ListResult[*T]{}, invalidf("page %d must not be negative", page)
	case perPage < 0:
		return resources.ListResult[*T]{}, invalidf("MaxResults %d must not be negative", perPage)
	}
	opts := resources.ListOptions{Page: page, PerPage: perPage}
	opts.Normalize()
	var items []*T
	sel := l.q.db.NewSelect().Model(&items)
	for _, rel := range relations {
		sel = sel.Relation(rel)
	}
	for _, f := range l.where {
		sel = sel.Where(f.sql, f.args...)
	}
	for _, f := range l.order {
		sel = sel.OrderExpr(f.sql, f.args...)
	}
	sel = sel.OrderExpr(l.alias + ".id ASC").Limit(int64(opts.PerPage)).Offset(int64(opts.Page-1) * int64(opts.PerPage))
	total, err := sel.ScanAndCount(ctx)
	if err != nil {
		return resources.ListResult[*T]{}, err
	}
	if items == nil {
		items = []*T{}
	}
	return resources.ListResult[*T]{Items: items, Total: int(total), Page: opts.Page, PerPage: opts.PerPage}, nil
}

// Groups returns the page of groups that f selects, each with its parent,
// category and tags. Malformed filters return an error wrapping
// resources.ErrInvalid.
func (q *Query) Groups(ctx context.Context, f GroupFilter) (resources.ListResult[*resources.Group], error) {
	const op = "query.Groups"
	if q.err != nil {
		return resources.ListResult[*resources.Group]{}, fmt.Errorf("%s: %w", op, q.err)
	}
	l := &entityList{q: q, alias: "g"}
	if f.Name != "" {
		names := []fragment{q.sql.contains("g.name", containsPattern(f.Name))}
		if f.SearchParentsForName {
			p := q.sql.contains("p.name", containsPattern(f.Name))
			names = append(names, fragment{`EXISTS (SELECT 1 FROM "groups" AS p WHERE p.id = g.owner_id AND ` + p.sql + `)`, p.args})
		}
		if f.SearchChildrenForName {
			c := q.sql.contains("c.name", containsPattern(f.Name))
			names = append(names, fragment{`EXISTS (SELECT 1 FROM "groups" AS c WHERE c.owner_id = g.id AND ` + c.sql + `)`, c.args})
		}
		l.where = append(l.where, or(names))
	}
	l.contains("g.description", f.Description)
	l.contains("g.url", f.URL)
	if len(f.IDs) > 0 {
		l.add("g.id IN (?)", bun.In(f.IDs))
	}
	if f.OwnerID != 0 {
		l.add("g.owner_id = ?", f.OwnerID)
	}
	if f.CategoryID != 0 {
		l.add("g.category_id = ?", f.CategoryID)
	}
	l.each(f.Tags, "EXISTS (SELECT 1 FROM group_tags WHERE group_id = g.id AND tag_id = ?)")
	// The descendants of a group, by a recursive walk down owner_id; the
	// UNION (not UNION ALL) ends the walk should the data hold a cycle.
	l.each(f.Groups, `g.id IN (WITH RECURSIVE sub(id) AS (
			SELECT id FROM "groups" WHERE owner_id = ?
			UNION SELECT x.id FROM "groups" AS x JOIN sub ON x.owner_id = sub.id
		) SELECT id FROM sub)`)
	for _, id := range distinct(f.Resources) {
		l.add(`(EXISTS (SELECT 1 FROM groups_related_resources WHERE group_id = g.id AND resource_id = ?)
			OR EXISTS (SELECT 1 FROM resources WHERE id = ? AND owner_id = g.id))`, id, id)
	}
	for _, id := range distinct(f.Notes) {
		l.add(`(EXISTS (SELECT 1 FROM groups_related_notes WHERE group_id = g.id AND note_id = ?)
			OR EXISTS (SELECT 1 FROM notes WHERE id = ? AND owner_id = g.id))`, id, id)
	}
	l.created(f.CreatedAfter, f.CreatedBefore)
	if err := l.meta(f.MetaQuery); err != nil {
		return resources.ListResult[*resources.Group]{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := l.sort(f.SortBy); err != nil {
		return resources.ListResult[*resources.Group]{}, fmt.Errorf("%s: %w", op, err)
	}
	res, err := listPage[resources.Group](ctx, l, f.Page, f.MaxResults, "Owner", "Category", "Tags")
	if err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	return res, nil
}

// Notes returns the page of notes that f selects, each with its owner,
// tags and groups.
func (q *Query) Notes(ctx context.Context, f NoteFilter) (resources.ListResult[*resources.Note], error) {
	const op = "query.Notes"
	if q.err != nil {
		return resources.ListResult[*resources.Note]{}, fmt.Errorf("%s: %w", op, q.err)
	}
	l := &entityList{q: q, alias: "n"}
	l.contains("n.name", f.Name)
	l.contains("n.description", f.Description)
	if len(f.IDs) > 0 {
		l.add("n.id IN (?)", bun.In(f.IDs))
	}
	if f.OwnerID != 0 {
		l.add("n.owner_id = ?", f.OwnerID)
	}
	if f.NoteTypeID != 0 {
		l.add("n.note_type_id = ?", f.NoteTypeID)
	}
	l.each(f.Tags, "EXISTS (SELECT 1 FROM note_tags WHERE note_id = n.id AND tag_id = ?)")
	for _, id := range distinct(f.Groups) {
		l.add("(n.owner_id = ? OR EXISTS (SELECT 1 FROM groups_related_notes WHERE note_id = n.id AND group_id = ?))", id, id)
	}
	l.each(f.Resources, "EXISTS (SELECT 1 FROM resource_notes WHERE note_id = n.id AND resource_id = ?)")
	l.created(f.CreatedAfter, f.CreatedBefore)
	if err := l.meta(f.MetaQuery); err != nil {
		return resources.ListResult[*resources.Note]{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := l.sort(f.SortBy); err != nil {
		return resources.ListResult[*resources.Note]{}, fmt.Errorf("%s: %w", op, err)
	}
	res, err := listPage[resources.Note](ctx, l, f.Page, f.MaxResults, "Owner", "Tags", "Groups")
	if err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	return res, nil
}
