package query

import (
	"context"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// sqliteDialect reads meta with SQLite's JSON functions. json_extract
// returns SQL values (numbers as numbers, strings as text, true/false as
// 1/0, null and absent as NULL), so json_type tells the types apart.
type sqliteDialect struct{}

// sqlitePath turns a validated dotted key into a JSON path whose names are
// quoted: a.b -> $."a"."b". The path is passed as an argument, not spliced.
func sqlitePath(key string) string {
	var b strings.Builder
	b.WriteString("$")
	for name := range strings.SplitSeq(key, ".") {
		b.WriteString(`."`)
		b.WriteString(name)
		b.WriteString(`"`)
	}
	return b.String()
}

func (sqliteDialect) contains(col, pattern string) fragment {
	// SQLite's LIKE ignores the case of ASCII letters only.
	return fragment{col + ` LIKE ? ESCAPE '\'`, []any{pattern}}
}

var sqliteCompare = map[MetaOp]string{OpEQ: "=", OpNE: "=", OpGT: ">", OpGE: ">=", OpLT: "<", OpLE: "<="}

func (d sqliteDialect) metaCondition(col string, c MetaCondition) fragment {
	p := sqlitePath(c.Key)
	typ := "json_type(" + col + ", ?)"
	val := "json_extract(" + col + ", ?)"
	switch c.Op {
	case OpNE:
		c.Op = OpEQ
		return not(d.metaCondition(col, c))
	case OpNL:
		c.Op = OpLI
		return not(d.metaCondition(col, c))
	case OpLI:
		// The value as text: booleans as true/false rather than 1/0;
		// arrays and objects as their JSON text.
		text := "CASE " + typ + " WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE " + val + " END"
		s, _ := c.Value.(string)
		return fragment{text + ` LIKE ? ESCAPE '\'`, []any{p, p, containsPattern(s)}}
	}
	cmp := sqliteCompare[c.Op]
	switch v := c.Value.(type) {
	case nil: // EQ only: absent or null
		return fragment{val + " IS NULL", []any{p}}
	case bool: // EQ only
		if v {
			return fragment{typ + " = 'true'", []any{p}}
		}
		return fragment{typ + " = 'false'", []any{p}}
	case int64, float64:
		return fragment{typ + " IN ('integer', 'real') AND " + val + " " + cmp + " ?", []any{p, p, v}}
	default: // string
		return fragment{typ + " = 'text' AND " + val + " " + cmp + " ?", []any{p, p, v}}
	}
}

func (sqliteDialect) metaOrder(col, key string) fragment {
	return fragment{"json_extract(" + col + ", ?)", []any{sqlitePath(key)}}
}

// metaKeys skips through the index of resource_meta by key, one seek per
// distinct key, and keeps the top-level ones.
func (sqliteDialect) metaKeys() string {
	return `WITH RECURSIVE k(key) AS (
			SELECT min(key) FROM resource_meta
			UNION ALL
			SELECT (SELECT min(key) FROM resource_meta WHERE key > k.key) FROM k WHERE k.key IS NOT NULL
		)
		SELECT key FROM k WHERE key IS NOT NULL AND instr(key, '.') = 0 ORDER BY key`
}

// sqliteTextTables are the trigram FTS5 tables of the searchable fields.
var sqliteTextTables = map[string]string{
	"name":              "resources_name_fts",
	"description":       "resources_description_fts",
	"original_name":     "resources_original_name_fts",
	"original_location": "resources_original_location_fts",
}

// Trigram search. A substring of three characters or more is found by
// the trigrams it is made of, as a phrase: the rows whose text, with case
// folded (Unicode-wide, where LIKE folds ASCII only, which contains then
// corrects), holds them in a row. FTS5 reads the posting lists of all the
// phrase's trigrams, whatever their lengths, so a rare term made of
// common trigrams costs the length of their lists. textSearch therefore
// first counts the documents of each trigram of the term, up to
// trigramCap, in one statement; when one is rare, it asks instead for the
// rows that have the (at most) three rarest trigrams anywhere, a small
// superset found in the time of the short lists.
const (
	// trigramCap bounds the count of each trigram's documents.
	trigramCap = 500
	// trigramProbes bounds the trigrams of one term that are counted.
	trigramProbes = 8
	// trigramsUsed is the number of rarest trigrams a search asks for
	// when one is rare.
	trigramsUsed = 3
)

func (sqliteDialect) textSearch(ctx context.Context, db bun.IDB, field, term string) (textSet, bool, error) {
	table := sqliteTextTables[field]
	runes := []rune(term)
	if table == "" || len(runes) < 3 {
		return textSet{}, false, nil
	}
	seen := map[string]bool{}
	var grams []string
	for i := 0; i+3 <= len(runes); i++ {
		g := string(runes[i : i+3])
		if !seen[strings.ToLower(g)] {
			seen[strings.ToLower(g)] = true
			grams = append(grams, g)
		}
	}
	if len(grams) > trigramProbes {
		// Spread the probes over the term.
		picked := make([]string, trigramProbes)
		for i := range picked {
			picked[i] = grams[i*(len(grams)-1)/(trigramProbes-1)]
		}
		grams = picked
	}
	quote := func(g string) string { return `"` + strings.ReplaceAll(g, `"`, `""`) + `"` }
	var sql strings.Builder
	var args []any
	sql.WriteString("SELECT ")
	for i, g := range grams {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("(SELECT count(*) FROM (SELECT rowid FROM " + table + " WHERE " + table + " MATCH ? LIMIT ?))")
		args = append(args, quote(g), trigramCap)
	}
	counts := make([]int, len(grams))
	dest := make([]any, len(grams))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := db.QueryRowContext(ctx, sql.String(), args...).Scan(dest...); err != nil {
		return textSet{}, false, err
	}
	order := make([]int, len(grams))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return counts[a] - counts[b] })
	match := quote(term) // the phrase: all trigrams, in order
	if counts[order[0]] < trigramCap {
		// A rare trigram: the rarest few make a small set quickly.
		var parts []string
		for _, i := range order[:min(trigramsUsed, len(order))] {
			parts = append(parts, quote(grams[i]))
		}
		match = strings.Join(parts, " AND ")
	}
	ids := "SELECT rowid FROM " + table + " WHERE " + table + " MATCH ?"
	from := func(id int64, desc bool) fragment {
		// FTS5 seeks to a rowid bound and reads its matches in either
		// direction.
		if desc {
			return fragment{ids + " AND rowid < ? ORDER BY rowid DESC", []any{match, id}}
		}
		return fragment{ids + " AND rowid > ? ORDER BY rowid", []any{match, id}}
	}
	return textSet{ids: fragment{ids, []any{match}}, from: from}, true, nil
}

func (sqliteDialect) useIndex(index string) string {
	if index == "" {
		return " NOT INDEXED"
	}
	return " INDEXED BY " + index
}
