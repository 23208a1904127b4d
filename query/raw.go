package query

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/uptrace/bun/schema"
)

// The planner's statements are built from a few templates with ?
// arguments. Through bun, every argument was formatted into the text, so
// that each statement was new text that SQLite parsed and planned again,
// a fifth of a list's CPU. Within a list's read transaction on SQLite,
// rows runs them as they are, with the arguments bound, so that the
// connection's statement cache (internal/sqlitedb) serves them.

// bindable rewrites text and args for the driver. Each idsArg, always
// the list of an IN (?), is bound as one JSON array that json_each
// spreads: written out as numbers or as one ? each, the text of a list of
// IDs varied with its count, and SQLite parsed and planned a few hundred
// IDs anew on every list (the largest statement of a search's page). ok
// is false when an argument is of a type that only bun knows how to
// write, or text has a named placeholder.
func bindable(text string, args []any) (out string, flat []any, ok bool) {
	var b strings.Builder
	flat = make([]any, 0, len(args))
	i := 0
	for {
		k := strings.IndexByte(text, '?')
		if k < 0 {
			b.WriteString(text)
			break
		}
		if k+1 < len(text) && isIdentByte(text[k+1]) || i >= len(args) {
			return "", nil, false
		}
		b.WriteString(text[:k])
		text = text[k+1:]
		switch a := args[i].(type) {
		case int, int64, string:
			flat = append(flat, a)
			if hidden(b.String()) {
				b.WriteByte('+')
			}
			b.WriteByte('?')
		case idsArg:
			if !strings.HasSuffix(b.String(), "IN (") {
				return "", nil, false
			}
			b.WriteString("SELECT value FROM json_each(?)")
			flat = append(flat, a.json())
		default:
			return "", nil, false
		}
		i++
	}
	if i != len(args) {
		return "", nil, false
	}
	return b.String(), flat, true
}

// hidden tells whether the ? that follows text is a LIKE pattern, a LIMIT
// or an OFFSET. SQLite's planner looks at the values bound there (for its
// LIKE and LIMIT optimizations) and so prepares the statement again
// whenever they are bound anew, every time it runs: a tenth of a search's
// CPU. A unary plus, which changes no value, hides them from it; the
// patterns start with % and the limits are small, so it lost nothing by
// looking.
func hidden(text string) bool {
	return strings.HasSuffix(text, "LIKE ") || strings.HasSuffix(text, "LIMIT ") || strings.HasSuffix(text, "OFFSET ")
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// idsArg is a list of IDs as the argument of "IN (?)", written by bun as
// bun.In would and bound by bindable one ? per ID.
type idsArg []int64

func (l idsArg) AppendQuery(_ schema.QueryGen, b []byte) ([]byte, error) {
	if len(l) == 0 {
		return append(b, "NULL"...), nil
	}
	for i, id := range l {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return b, nil
}

// json is l as a JSON array.
func (l idsArg) json() string {
	b := make([]byte, 0, 2+8*len(l))
	b = append(b, '[')
	for i, id := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// rows runs text with args: bound within a list's read transaction on
// SQLite (where the connection keeps the prepared statement of a text
// that recurs, see internal/sqlitedb), formatted by bun otherwise.
func (q *Query) rows(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	if q.tx != nil {
		if t, flat, ok := bindable(text, args); ok {
			return q.tx.QueryContext(ctx, t, flat...)
		}
	}
	return q.db.QueryContext(ctx, text, args...)
}

// scanRow scans the first row of text into dest; sql.ErrNoRows when
// there is none.
func (q *Query) scanRow(ctx context.Context, text string, args []any, dest ...any) error {
	rows, err := q.rows(ctx, text, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// scanEach calls fn after scanning each row of text into dest.
func (q *Query) scanEach(ctx context.Context, text string, args []any, fn func() error, dest ...any) error {
	rows, err := q.rows(ctx, text, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// int64s returns the first column of every row of text.
func (q *Query) int64s(ctx context.Context, text string, args ...any) ([]int64, error) {
	var out []int64
	var id int64
	err := q.scanEach(ctx, text, args, func() error { out = append(out, id); return nil }, &id)
	return out, err
}
