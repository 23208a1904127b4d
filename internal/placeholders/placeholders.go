// Package placeholders writes a statement's parameters in the form its
// database's driver binds: the SQL of this module is written with ?, as
// SQLite takes them, and PostgreSQL's driver wants $1, $2...
//
// A statement run with bound arguments through database/sql (not through
// bun, which formats its arguments into the text) keeps one text whatever
// the values: SQLite's connections keep its prepared statement
// (internal/sqlitedb), and pgx its plan.
package placeholders

import (
	"strconv"
	"strings"
)

// Numbered turns the ? of text, which has none in literals or comments,
// into $1, $2...
func Numbered(text string) string {
	var b strings.Builder
	n := 0
	for _, c := range text {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// For returns text as the driver of a PostgreSQL database (pg) or of
// SQLite binds it.
func For(pg bool, text string) string {
	if pg {
		return Numbered(text)
	}
	return text
}
