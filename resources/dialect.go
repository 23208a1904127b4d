package resources

import (
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// sqlDialect holds the runtime SQL of this package that differs between
// databases. Everything else here is SQL that SQLite and PostgreSQL share
// (upserts are ON CONFLICT); the schema is per dialect in internal/schema.
type sqlDialect interface {
	// contains is the condition that the trusted column expression col
	// contains s literally, ignoring case; its ? takes the returned
	// argument.
	contains(col, s string) (sql string, arg any)
	// mergePatch is the expression of the JSON object column col with
	// the JSON object of its ? merged in as RFC 7396 says: keys set to
	// null are removed, objects merged recursively, anything else
	// replaced.
	mergePatch(col string) string
}

// dialectOf picks the SQL of db's dialect.
func dialectOf(db bun.IDB) (sqlDialect, error) {
	switch name := db.Dialect().Name(); name {
	case dialect.SQLite:
		return sqliteDialect{}, nil
	case dialect.PG:
		return postgresDialect{}, nil
	default:
		return nil, fmt.Errorf("the %s dialect is not supported yet", name)
	}
}

// sqliteDialect is SQLite's SQL.
type sqliteDialect struct{}

func (sqliteDialect) contains(col, s string) (string, any) {
	// SQLite's LIKE ignores the case of ASCII letters only.
	return col + ` LIKE ? ESCAPE '\'`, "%" + escapeLike(s) + "%"
}

// mergePatch: SQLite's json_patch is RFC 7396.
func (sqliteDialect) mergePatch(col string) string { return "json_patch(" + col + ", ?)" }

// postgresDialect is PostgreSQL's SQL. Meta columns hold JSON text; the
// merge is done on jsonb by stockroom_merge_patch, a function of the
// PostgreSQL schema, and its result is jsonb's text, which has spaces
// after colons and commas (Meta.Scan compacts it).
type postgresDialect struct{}

// contains ignores the case of ASCII letters only, as SQLite's LIKE does:
// lower() under the "C" collation lowers those and nothing else, at a
// fraction of the cost of translate, which looks each character up in its
// list of letters (as query's searches of resources do).
func (postgresDialect) contains(col, s string) (string, any) {
	return "lower((" + col + ") COLLATE \"C\") LIKE ? ESCAPE '\\'",
		"%" + strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, escapeLike(s)) + "%"
}

func (postgresDialect) mergePatch(col string) string {
	return "stockroom_merge_patch(" + col + "::jsonb, ?::jsonb)::text"
}
