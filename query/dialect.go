package query

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// fragment is a piece of SQL with ? placeholders and the arguments that fill
// them. The text is always built from constants; whatever came from a caller
// is in args.
type fragment struct {
	sql  string
	args []any
}

// textSet is what a full-text index finds for a term.
type textSet struct {
	// ids selects the IDs.
	ids fragment
	// from selects the IDs below id (desc) or above it, in that order
	// from id: the index reads them by ID, so a reader may stop early.
	from func(id int64, desc bool) fragment
	// recheck, when set, is the condition of contains on the rows of
	// resources AS r that ids finds, written to cost least when most of
	// them match, as the candidates of a short term's search mostly do.
	recheck *fragment
}

// rowScanner scans the first row of text into dest (Query.scanRow).
type rowScanner func(ctx context.Context, text string, args []any, dest ...any) error

// sqlDialect holds the SQL that differs between databases: case-insensitive
// matching, everything that reads the JSON in resources.meta, and what the
// cost-based planner (plan.go) needs of the database. The rest of the
// package writes SQL that SQLite and PostgreSQL share.
//
// A dialect whose planner reports false takes the generic path: every list
// is one statement over resources, with the conditions of contains,
// metaCondition and metaContains, ordered and paged by the database's own
// planner (with walkOrder's hint), its total bounded as lean.go says; only
// those, metaOrder, metaKeys and beginRead are then used.
type sqlDialect interface {
	// planner reports that the schema of the database has what the
	// cost-based planner reads (the tables resource_tag_order,
	// resource_meta, resource_days and resource_blocks, the full-text
	// indexes of textSearch and the indexes named with useIndex), and
	// that the methods below serve it.
	planner() bool
	// beginRead is the statement that begins the read transaction of a
	// list, in which its page, relations and total must see one state of
	// the library (a repeatable read).
	beginRead() string
	// contains matches the trusted column expression col against the LIKE
	// pattern pattern (escaped with \), ignoring case.
	contains(col, pattern string) fragment
	// containsVia matches as contains does with the pattern of text,
	// but gives a trigram index only the pattern of part, a word of
	// text, and checks the whole text on the rows it finds.
	containsVia(col, part, text string) fragment
	// metaCondition is the condition c on the JSON object column col.
	metaCondition(col string, c MetaCondition) fragment
	// metaContains, when ok, is the EQ condition c on col in a form that
	// an index serves, matching exactly what metaCondition matches: the
	// generic path uses it instead.
	metaContains(col string, c MetaCondition) (f fragment, ok bool)
	// walkOrder is the statement that makes the planner of the rest of
	// the transaction read lists through an index in their order (on),
	// or again as it sees fit (off); used by the generic path.
	walkOrder(on bool) string
	// bitmapsOnly is the statement that makes the planner of the rest of
	// the transaction find rows through bitmaps of indexes, intersected
	// where several serve (on), or again as it sees fit (off); used by
	// the generic path.
	bitmapsOnly(on bool) string
	// bitmapsOnlyExprs are the expressions that, in the list of a
	// SELECT, do as bitmapsOnly(true) when the statement runs, for the
	// statements that follow it: the settings then ride on a statement
	// that is run anyway. None when bitmapsOnly changes nothing.
	bitmapsOnlyExprs() []string
	// metaEntries, when ok, is the condition on the entries of
	// PostgreSQL's side table resource_meta AS m that match the terms cs
	// of one key (several EQ terms, OR'ed, or a single term of another
	// operator); used by the generic path (metaPage) for a list whose
	// only condition they are. long, when not nil, is a query that finds
	// entries of the key whose values the table does not hold: while it
	// finds any, the terms are read from the JSON instead.
	metaEntries(cs []MetaCondition) (f fragment, long *fragment, ok bool)
	// keepOrder is the statement that makes the planner of the rest of
	// the transaction read a list through an index in its order rather
	// than sort it (on), or again as it sees fit (off); used by metaPage
	// with walkOrder's.
	keepOrder(on bool) string
	// metaOrder is the expression to sort by the value at key in col.
	metaOrder(col, key string) fragment
	// metaKeys is a query returning the distinct top-level keys of
	// resources.meta that a MetaQuery can name, sorted, as one text
	// column.
	metaKeys() string
	// textSearch plans a query of the IDs of the resources whose field
	// (name, description, original_name or original_location) may
	// contain term: a superset of the matches of contains that a
	// full-text index finds without reading rows. ok is false when the
	// index cannot serve term (SQLite's trigram index needs three
	// characters). A trigram found in fewer than rare documents is
	// rare: a few of those find the candidates quickly. small tells
	// that the library is small (limits.small), where no trigram is
	// common.
	textSearch(ctx context.Context, scanRow rowScanner, field, term string, rare int, small bool) (set textSet, ok bool, err error)
	// useIndex is the clause that follows "table AS alias" to make the
	// database read the table through index, or through none but the
	// primary key when index is "".
	useIndex(index string) string
	// sortText is the timestamp column col as text that sorts as the
	// database sorts col, for the planner's comparisons of creation
	// times in Go.
	sortText(col string) string
}

// dialectFor picks the SQL of db's dialect.
func dialectFor(db bun.IDB) (sqlDialect, error) {
	switch name := db.Dialect().Name(); name {
	case dialect.SQLite:
		return sqliteDialect{}, nil
	case dialect.PG:
		return postgresDialect{}, nil
	default:
		return nil, fmt.Errorf("query: the %s dialect is not supported yet", name)
	}
}

// compareOps are the SQL comparisons of the meta operators; NE is EQ,
// negated by the caller.
var compareOps = map[MetaOp]string{OpEQ: "=", OpNE: "=", OpGT: ">", OpGE: ">=", OpLT: "<", OpLE: "<="}

// containsPattern is a LIKE pattern (escape character \) that matches any
// text containing s literally.
func containsPattern(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

// metaLikePattern is the LIKE pattern (escape character \) of a MetaQuery
// LI value: as in the reference, the value wrapped in %, the client's own
// wildcards kept (% any text, _ one character), so that "title:LI:%a%b%"
// finds an a then a b. Only the escape character is taken literally.
func metaLikePattern(s string) string {
	return "%" + strings.ReplaceAll(s, `\`, `\\`) + "%"
}

// likeEscaper escapes LIKE's wildcards and its escape character. Built
// once: a Replacer builds its table on first use, which cost every
// pattern 3 µs and 7 KB of garbage (a search makes two).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// not negates f so that it also holds where f is NULL (unknown).
func not(f fragment) fragment {
	return fragment{sql: "(" + f.sql + ") IS NOT TRUE", args: f.args}
}

// present is f where the value v (the key's, as SQL) is neither absent nor
// a JSON null: NE and NL compare values, as the reference's SQL <> and NOT
// LIKE do, and an absent key has none to differ.
func present(v, f fragment) fragment {
	return fragment{"(" + v.sql + ") IS NOT NULL AND " + f.sql, append(append([]any{}, v.args...), f.args...)}
}

// or joins fragments with OR.
func or(fs []fragment) fragment {
	if len(fs) == 1 {
		return fs[0]
	}
	var out fragment
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = "(" + f.sql + ")"
		out.args = append(out.args, f.args...)
	}
	out.sql = strings.Join(parts, " OR ")
	return out
}
