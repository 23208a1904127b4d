package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Paging defaults for entity lists.
const (
	DefaultPerPage = 50
	MaxPerPage     = 1000
)

// ListOptions filters and pages a list of entities. Zero values mean no
// filter, page 1, DefaultPerPage items, ordered by ID.
type ListOptions struct {
	Name        string  // substring, case-insensitive
	Description string  // substring, case-insensitive
	IDs         []int64 // any of
	Page        int     // 1-based
	PerPage     int     // capped at MaxPerPage
	// SortBy holds "column [asc|desc]" terms; columns: id, name, created_at,
	// updated_at.
	SortBy []string
}

// Normalize fills defaults and caps PerPage.
func (o *ListOptions) Normalize() {
	if o.Page < 1 {
		o.Page = 1
	}
	// Far beyond any real list, and small enough that the offset cannot
	// overflow.
	o.Page = min(o.Page, 1<<30)
	if o.PerPage <= 0 {
		o.PerPage = DefaultPerPage
	}
	o.PerPage = min(o.PerPage, MaxPerPage)
}

// ListResult is one page of a list and the number of rows that match.
type ListResult[T any] struct {
	Items   []T
	Total   int
	Page    int
	PerPage int
}

var entitySortColumns = map[string]bool{"id": true, "name": true, "created_at": true, "updated_at": true}

// ParseSort checks "column [asc|desc]" against the allowed columns and
// returns the normalised column and direction.
func ParseSort(term string, allowed map[string]bool) (column, dir string, err error) {
	fields := strings.Fields(strings.ToLower(term))
	if len(fields) == 0 || len(fields) > 2 {
		return "", "", invalidf("SortBy %q: want \"column\" or \"column asc|desc\"", term)
	}
	column, dir = fields[0], "asc"
	if !allowed[column] {
		return "", "", invalidf("SortBy %q: unknown column %q", term, column)
	}
	if len(fields) == 2 {
		dir = fields[1]
		if dir != "asc" && dir != "desc" {
			return "", "", invalidf("SortBy %q: direction must be asc or desc", term)
		}
	}
	return column, dir, nil
}

// escapeLike makes s match literally inside a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// listEntities runs a filtered, sorted, paged select of the entity table
// aliased alias into items, with the given relations loaded.
func listEntities[T any](ctx context.Context, db bun.IDB, alias string, opts ListOptions, relations ...string) (ListResult[*T], error) {
	opts.Normalize()
	var items []*T
	q := db.NewSelect().Model(&items)
	for _, rel := range relations {
		q = q.Relation(rel)
	}
	d, err := dialectOf(db)
	if err != nil {
		return ListResult[*T]{}, err
	}
	if opts.Name != "" {
		q = q.Where(d.contains(alias+".name", opts.Name))
	}
	if opts.Description != "" {
		q = q.Where(d.contains(alias+".description", opts.Description))
	}
	if len(opts.IDs) > 0 {
		q = q.Where(alias+".id IN (?)", bun.In(opts.IDs))
	}
	for _, term := range opts.SortBy {
		col, dir, err := ParseSort(term, entitySortColumns)
		if err != nil {
			return ListResult[*T]{}, err
		}
		q = q.OrderExpr(fmt.Sprintf("%s.%s %s", alias, col, dir))
	}
	q = q.OrderExpr(alias + ".id ASC").Limit(int64(opts.PerPage)).Offset(int64((opts.Page - 1) * opts.PerPage))
	total, err := q.ScanAndCount(ctx)
	if err != nil {
		return ListResult[*T]{}, err
	}
	if items == nil {
		items = []*T{}
	}
	return ListResult[*T]{Items: items, Total: int(total), Page: opts.Page, PerPage: opts.PerPage}, nil
}
