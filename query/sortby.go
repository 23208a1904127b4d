package query

import (
	"fmt"
	"strings"

	"github.com/stockroomhq/stockroom/errs"
)

// sortColumns maps the columns a list may be sorted by to their SQL. Only
// these constant strings ever reach ORDER BY.
var sortColumns = map[string]string{
	"id":            "r.id",
	"name":          "r.name",
	"created_at":    "r.created_at",
	"updated_at":    "r.updated_at",
	"file_size":     "r.file_size",
	"width":         "r.width",
	"height":        "r.height",
	"content_type":  "r.content_type",
	"original_name": "r.original_name",
}

// SortTerm is one parsed SortBy term.
type SortTerm struct {
	// Column is one of id, name, created_at, updated_at, file_size, width,
	// height, content_type, original_name; empty when MetaKey is set.
	Column string
	// MetaKey is the dotted path of the meta value to sort by.
	MetaKey string
	// Desc sorts in descending order.
	Desc bool
}

// String returns the term in SortBy syntax; ParseSortBy reads it back to an
// equal SortTerm.
func (t SortTerm) String() string {
	col := t.Column
	if t.MetaKey != "" {
		col = "meta." + t.MetaKey
	}
	if t.Desc {
		return col + " desc"
	}
	return col + " asc"
}

// ParseSortBy parses one SortBy term, "column" or "column asc|desc" (default
// asc). The column is one of id, name, created_at, updated_at, file_size,
// width, height, content_type, original_name, or a meta value written
// meta->>'key' or meta.key, where key is a dotted path as in
// ParseMetaQuery. Column names and directions may be in any case; meta keys
// are case-sensitive. Every error wraps resources.ErrInvalid and names the
// term and the problem.
func ParseSortBy(s string) (SortTerm, error) {
	fail := func(format string, args ...any) (SortTerm, error) {
		return SortTerm{}, errs.Errorf("", errs.Invalid, "SortBy %q: %s", s, fmt.Sprintf(format, args...))
	}
	if err := checkText(s); err != "" {
		return fail("%s", err)
	}
	fields := strings.Fields(s)
	if len(fields) == 0 || len(fields) > 2 {
		return fail(`want "column" or "column asc|desc"`)
	}
	var t SortTerm
	if len(fields) == 2 {
		switch strings.ToLower(fields[1]) {
		case "asc":
		case "desc":
			t.Desc = true
		default:
			return fail("direction %q must be asc or desc", fields[1])
		}
	}
	col := fields[0]
	lower := strings.ToLower(col)
	const arrow, dot = "meta->>'", "meta."
	switch {
	case sortColumns[lower] != "":
		t.Column = lower
		return t, nil
	case strings.HasPrefix(lower, arrow):
		if len(col) < len(arrow)+1 || col[len(col)-1] != '\'' {
			return fail("want meta->>'key'")
		}
		t.MetaKey = col[len(arrow) : len(col)-1]
	case strings.HasPrefix(lower, dot):
		t.MetaKey = col[len(dot):]
	default:
		return fail("unknown column %q (want one of id, name, created_at, updated_at, file_size, width, height, content_type, original_name, meta->>'key' or meta.key)", col)
	}
	if err := checkKey(t.MetaKey); err != "" {
		return fail("%s", err)
	}
	return t, nil
}
