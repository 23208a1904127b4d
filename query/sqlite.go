package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// sqliteDialect reads meta with SQLite's JSON functions. json_extract
// returns SQL values (numbers as numbers, strings as text, true/false as
// 1/0, null and absent as NULL), so json_type tells the types apart. The
// SQLite schema (internal/schema/sqlite) has everything the planner reads.
type sqliteDialect struct{}

func (sqliteDialect) planner() bool { return true }

// beginRead: a SQLite transaction reads one snapshot, from its first
// read (BEGIN is DEFERRED, whatever the connection's _txlock).
func (sqliteDialect) beginRead() string { return "BEGIN" }

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

// containsVia: SQLite's full-text indexes are the planner's.
func (d sqliteDialect) containsVia(col, _, text string) fragment {
	return d.contains(col, containsPattern(text))
}

// walkOrder: SQLite's generic path (the tests' reference) needs no hint.
func (sqliteDialect) walkOrder(bool) string { return "SELECT 1" }

func (sqliteDialect) bitmapsOnly(bool) string { return "SELECT 1" }

func (sqliteDialect) bitmapsOnlyExprs() []string { return nil }

// metaContains: SQLite's index on meta values is resource_meta, which
// the planner reads.
func (sqliteDialect) metaContains(string, MetaCondition) (fragment, bool) { return fragment{}, false }

// metaEntries: SQLite's resource_meta is the planner's (see conds.go).
func (sqliteDialect) metaEntries([]MetaCondition) (fragment, *fragment, bool) {
	return fragment{}, nil, false
}

func (sqliteDialect) keepOrder(bool) string { return "SELECT 1" }

func (d sqliteDialect) metaCondition(col string, c MetaCondition) fragment {
	p := sqlitePath(c.Key)
	typ := "json_type(" + col + ", ?)"
	val := "json_extract(" + col + ", ?)"
	switch c.Op {
	case OpNE:
		c.Op = OpEQ
		if c.Value == nil {
			return not(d.metaCondition(col, c))
		}
		return present(fragment{val, []any{p}}, not(d.metaCondition(col, c)))
	case OpNL:
		c.Op = OpLI
		return present(fragment{val, []any{p}}, not(d.metaCondition(col, c)))
	case OpLI:
		// The value as text: booleans as true/false rather than 1/0;
		// arrays and objects as their JSON text.
		text := "CASE " + typ + " WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE " + val + " END"
		s, _ := c.Value.(string)
		return fragment{text + ` LIKE ? ESCAPE '\'`, []any{p, p, metaLikePattern(s)}}
	}
	cmp := compareOps[c.Op]
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

// textPending selects the resources not yet in the trigram tables
// (resources_text_pending, filled by the insert trigger and emptied by
// resources.Store.IndexText): every text search takes them as
// candidates too, for its LIKE check, so that a resource is found from
// its insert on. They are in none of the tables, so the union has no
// duplicates.
const textPending = "SELECT id FROM resources_text_pending"

// Trigram search. A substring of three characters or more is found by
// the trigrams it is made of, as a phrase: the rows whose text, with case
// folded (Unicode-wide, where LIKE folds ASCII only, which contains then
// corrects), holds them in a row. FTS5 reads the posting lists of all the
// phrase's trigrams, whatever their lengths, so a rare term made of
// common trigrams costs the length of their lists. textSearch therefore
// first counts the documents of each trigram of the term, up to a bound
// (limits.rare), in one statement, or two for a long term. When one is
// rare, it asks instead for the rows that have the (at most) three rarest
// trigrams anywhere, a small superset found in the time of the short
// lists. When none is, it asks for the phrase of the few trigrams around
// the rarest: a longer substring of common trigrams costs more to find
// than its few extra candidates cost to check.
const (
	// trigramProbes bounds the trigrams of one term that are counted
	// first, trigramProbesMax those counted in all.
	trigramProbes    = 8
	trigramProbesMax = 32
	// trigramsUsed is the number of rarest trigrams a search asks for
	// when one is rare.
	trigramsUsed = 3
	// trigramWindow is the number of trigrams of the shorter phrase a
	// long search of common trigrams asks for.
	trigramWindow = 6
)

func (sqliteDialect) textSearch(ctx context.Context, scanRow rowScanner, field, term string, rare int, small bool) (textSet, bool, error) {
	table := sqliteTextTables[field]
	runes := []rune(term)
	if table == "" || len(runes) < 3 {
		return textSet{}, false, nil
	}
	// The distinct trigrams, case folded, and the trigram at each
	// position of the term.
	type gram struct {
		text string
		at   int // the position of its first occurrence
		// n counts its documents up to rare; span is the highest
		// ID among them, which tells apart trigrams that reach the cap:
		// the larger, the rarer.
		n    int
		span int64
	}
	var grams []*gram
	byText := map[string]*gram{}
	at := make([]*gram, len(runes)-2)
	for i := range at {
		g := string(runes[i : i+3])
		k := strings.ToLower(g)
		if byText[k] == nil {
			byText[k] = &gram{text: g, at: i}
			grams = append(grams, byText[k])
		}
		at[i] = byText[k]
	}
	quote := func(g string) string { return `"` + strings.ReplaceAll(g, `"`, `""`) + `"` }
	ids := "SELECT rowid FROM " + table + " WHERE " + table + " MATCH ?"
	set := func(match string) textSet {
		from := func(id int64, desc bool) fragment {
			// FTS5 seeks to a rowid bound and reads its matches in
			// either direction; SQLite merges the two ordered arms.
			if desc {
				return fragment{ids + " AND rowid < ? UNION ALL " + textPending + " WHERE id < ? ORDER BY 1 DESC", []any{match, id, id}}
			}
			return fragment{ids + " AND rowid > ? UNION ALL " + textPending + " WHERE id > ? ORDER BY 1", []any{match, id, id}}
		}
		return textSet{ids: fragment{ids + " UNION ALL " + textPending, []any{match}}, from: from}
	}
	if small && len(at) <= trigramProbes {
		// The counts would only pick the term's rarest trigrams; FTS5
		// finds rows that hold every trigram by seeking each trigram's
		// list to the next rowid the others hold, so that the rarest
		// bounds the work, and in a small library no list is long. The
		// counts cost as much as the search there. Its first and last
		// trigrams (a term of six characters or fewer is made of them)
		// are asked for anywhere in the row rather than the term as a
		// phrase: each trigram costs a seek in every segment of the
		// index, some 40 µs in a library grown by single uploads, and a
		// phrase adds a test of every candidate's positions, where the
		// candidates are checked by LIKE anyway and rows that hold both
		// trigrams but not the term are few.
		first, last := at[0], at[len(at)-1]
		match := quote(first.text)
		if first != last {
			match += " AND " + quote(last.text)
		}
		ts := set(match)
		ts.recheck = recheck("r."+field, term)
		return ts, true, nil
	}
	count := func(gs []*gram) error {
		var sql strings.Builder
		var args []any
		sql.WriteString("SELECT ")
		for i, g := range gs {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(SELECT count(*) || ' ' || coalesce(max(rowid), 0) FROM (SELECT rowid FROM " + table +
				" WHERE " + table + " MATCH ? LIMIT ?))")
			args = append(args, quote(g.text), rare)
		}
		found := make([]string, len(gs))
		dest := make([]any, len(gs))
		for i := range found {
			dest[i] = &found[i]
		}
		if err := scanRow(ctx, sql.String(), args, dest...); err != nil {
			return err
		}
		for i, g := range gs {
			if _, err := fmt.Sscan(found[i], &g.n, &g.span); err != nil {
				return err
			}
		}
		return nil
	}
	// First a few trigrams spread over the term; when none is rare, the
	// others (up to trigramProbesMax): a rare part of a long term, such
	// as a name after a common path, makes the search fast.
	probed := grams
	var rest []*gram
	if len(grams) > trigramProbes {
		probed = make([]*gram, trigramProbes)
		for i := range probed {
			probed[i] = grams[i*(len(grams)-1)/(trigramProbes-1)]
		}
		for _, g := range grams {
			if !slices.Contains(probed, g) && len(rest) < trigramProbesMax-trigramProbes {
				rest = append(rest, g)
			}
		}
	}
	if err := count(probed); err != nil {
		return textSet{}, false, err
	}
	rarer := func(a, b *gram) int { return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(b.span, a.span)) }
	if len(rest) > 0 && slices.MinFunc(probed, rarer).n >= rare {
		if err := count(rest); err != nil {
			return textSet{}, false, err
		}
		probed = append(probed, rest...)
	}
	slices.SortStableFunc(probed, rarer)
	var match string
	switch {
	case probed[0].n < rare:
		// A rare trigram: the rarest few make a small set quickly.
		var parts []string
		for _, g := range probed[:min(trigramsUsed, len(probed))] {
			parts = append(parts, quote(g.text))
		}
		match = strings.Join(parts, " AND ")
	case len(at) > trigramWindow:
		// Every trigram is common, and a phrase costs all its trigrams'
		// lists even when it is rare. The few around the rarest make a
		// shorter phrase, whose matches LIKE narrows down: the window of
		// trigramWindow positions that holds it, leaning towards the
		// rarer neighbours.
		best, score := 0, int64(-1)
		for s := max(0, probed[0].at-trigramWindow+1); s <= min(probed[0].at, len(at)-trigramWindow); s++ {
			var sum int64
			for _, g := range at[s : s+trigramWindow] {
				sum += g.span // 0 when not probed: counted as common
			}
			if sum > score {
				best, score = s, sum
			}
		}
		match = quote(string(runes[best : best+trigramWindow+2]))
	default:
		match = quote(term) // the phrase: all trigrams, in order
	}
	return set(match), true, nil
}

// recheck is the condition of contains on col for text, written for rows
// that mostly hold text as it is written: LIKE, which reads the row's
// text a character at a time, folding each, cost most of the check of a
// full-text candidate; instr, a byte comparison, finds text as it is
// written at a fraction of that, and LIKE then checks only the rest. Text
// found as written matches LIKE's pattern of it, so the result is the
// same.
func recheck(col, text string) *fragment {
	like := sqliteDialect{}.contains(col, containsPattern(text))
	return &fragment{"instr(" + col + ", ?) > 0 OR " + like.sql, append([]any{text}, like.args...)}
}

// sortText: SQLite sorts values that are not text (bun writes times as
// text) before text; they become the empty text, which sorts first too.
func (sqliteDialect) sortText(col string) string {
	return "CASE typeof(" + col + ") WHEN 'text' THEN " + col + " ELSE '' END"
}

func (sqliteDialect) useIndex(index string) string {
	if index == "" {
		return " NOT INDEXED"
	}
	return " INDEXED BY " + index
}
