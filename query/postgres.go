package query

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
)

// postgresDialect reads meta as jsonb (the columns are json, the text as
// stored; the schema indexes meta::jsonb with GIN) and leaves lists to
// PostgreSQL's planner: the generic path, with trigram GIN indexes under
// the substring searches.
type postgresDialect struct{}

func (postgresDialect) planner() bool { return false }

// beginRead: a list's statements must see one snapshot.
func (postgresDialect) beginRead() string {
	return "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
}

// jsonPathOps are the comparisons of the meta operators in a JSON path.
var jsonPathOps = map[MetaOp]string{OpEQ: "==", OpGT: ">", OpGE: ">=", OpLT: "<", OpLE: "<="}

// pgPath is a validated dotted key as a text[] literal: a.b -> {"a","b"}.
// Key names hold only letters, digits, "_" and "-", so need no escaping
// inside the quotes; the literal is passed as an argument all the same.
func pgPath(key string) string {
	return `{"` + strings.ReplaceAll(key, ".", `","`) + `"}`
}

// pgValue is the jsonb value at the path of a ? argument in col.
func pgValue(col string) string { return "((" + col + ")::jsonb #> ?::text[])" }

func (postgresDialect) contains(col, pattern string) fragment {
	return fragment{pgFold(col) + ` LIKE ? ESCAPE '\'`, []any{asciiLower(pattern)}}
}

// containsVia: strpos, which no index serves, checks the text, so that
// the database gives the trigram index the part alone; the text is
// literal, as the escaped pattern of contains is.
func (postgresDialect) containsVia(col, part, text string) fragment {
	return fragment{pgFold(col) + ` LIKE ? ESCAPE '\' AND strpos(` + pgFold(col) + `, ?) > 0`,
		[]any{asciiLower(containsPattern(part)), asciiLower(text)}}
}

func (d postgresDialect) metaCondition(col string, c MetaCondition) fragment {
	p := pgPath(c.Key)
	v := pgValue(col)
	typ := "jsonb_typeof(" + v + ")"
	text := "((" + col + ")::jsonb #>> ?::text[])"
	switch c.Op {
	case OpNE:
		c.Op = OpEQ
		if c.Value == nil {
			return not(d.metaCondition(col, c))
		}
		return present(fragment{text, []any{p}}, not(d.metaCondition(col, c)))
	case OpNL:
		c.Op = OpLI
		return present(fragment{text, []any{p}}, not(d.metaCondition(col, c)))
	case OpLI:
		// #>> gives strings unquoted and everything else as JSON text,
		// as SQLite's condition reads them.
		s, _ := c.Value.(string)
		return fragment{pgFold(text) + ` LIKE ? ESCAPE '\'`, []any{p, asciiLower(metaLikePattern(s))}}
	}
	cmp := compareOps[c.Op]
	switch val := c.Value.(type) {
	case nil: // EQ only: absent or null
		return fragment{text + " IS NULL", []any{p}}
	case bool: // EQ only
		if val {
			return fragment{v + " = 'true'::jsonb", []any{p}}
		}
		return fragment{v + " = 'false'::jsonb", []any{p}}
	case int64, float64:
		// A JSON path filter, which holds only for a number (in strict
		// mode, not for one in an array either): the row's JSON is parsed
		// once, where testing the type and reading the value took two
		// parses, most of the cost of checking a row. Missing keys give
		// NULL (silent), as the comparison with NULL does.
		path := `strict $."` + strings.ReplaceAll(c.Key, ".", `"."`) + `" ? (@ ` + jsonPathOps[c.Op] + ` $v)`
		vars, err := json.Marshal(map[string]any{"v": val})
		if err != nil {
			break
		}
		return fragment{"jsonb_path_exists((" + col + ")::jsonb, ?::jsonpath, ?::jsonb, true)", []any{path, string(vars)}}
	}
	switch val := c.Value.(type) {
	case int64, float64:
		// CASE, not AND: PostgreSQL may cast before it tests the type.
		return fragment{"(CASE WHEN " + typ + " = 'number' THEN " + text + "::numeric END) " + cmp + " ?", []any{p, p, val}}
	default: // string, compared by bytes as SQLite does
		return fragment{"(CASE WHEN " + typ + " = 'string' THEN " + text + " END) COLLATE \"C\" " + cmp + " ?", []any{p, p, val}}
	}
}

// walkOrder turns off the plans that read every match before sorting
// them (sequential and bitmap scans) for the rest of the transaction, and
// what the database adds to plans it thinks long (compiling them, workers),
// which for a walk that stops after a page costs more than the walk.
func (postgresDialect) walkOrder(on bool) string {
	if on {
		return "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
	}
	return "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_bitmapscan TO DEFAULT; SET LOCAL jit TO DEFAULT; SET LOCAL max_parallel_workers_per_gather TO DEFAULT"
}

// bitmapsOnly leaves bitmap scans as the only way to rows but by key.
func (d postgresDialect) bitmapsOnly(on bool) string {
	if on {
		return "SELECT " + strings.Join(d.bitmapsOnlyExprs(), ", ")
	}
	return "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_indexscan TO DEFAULT; SET LOCAL enable_indexonlyscan TO DEFAULT; SET LOCAL jit TO DEFAULT; SET LOCAL max_parallel_workers_per_gather TO DEFAULT"
}

// bitmapsOnlyExprs: set_config with is_local true is SET LOCAL.
func (postgresDialect) bitmapsOnlyExprs() []string {
	return []string{"set_config('enable_seqscan', 'off', true)", "set_config('enable_indexscan', 'off', true)",
		"set_config('enable_indexonlyscan', 'off', true)", "set_config('jit', 'off', true)",
		"set_config('max_parallel_workers_per_gather', '0', true)"}
}

// metaContains is meta @> {"a":{"b":value}} for an EQ term on a.b with a
// value other than null, which the GIN index over meta::jsonb serves. It
// holds exactly where metaCondition's EQ does: objects contain objects
// key by key, an array contains no scalar below the top level, numbers
// compare as numbers (5 = 5.0) and strings byte by byte.
func (postgresDialect) metaContains(col string, c MetaCondition) (fragment, bool) {
	if c.Op != OpEQ || c.Value == nil {
		return fragment{}, false
	}
	var v any = c.Value
	keys := strings.Split(c.Key, ".")
	for i := len(keys) - 1; i >= 0; i-- {
		v = map[string]any{keys[i]: v}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fragment{}, false
	}
	return fragment{"(" + col + ")::jsonb @> ?::jsonb", []any{string(b)}}, true
}

// pgMetaDepth is the number of dots in the keys that resource_meta
// holds: top-level keys and the keys of objects one level down.
const pgMetaDepth = 1

// pgMetaText is the length in bytes of the longest string that
// resource_meta holds.
const pgMetaText = 1000

// metaEntries matches the entries of resource_meta (the schema's step 12)
// as metaCondition matches the JSON: numbers numerically (the table's num
// is numeric, as jsonb's numbers are), strings byte by byte, booleans
// only as booleans (kind b, num 1 or 0). Null (EQ: absent or null) and
// the negated and substring operators are left to the JSON, as are
// strings too long for the table, which then holds none equal to them.
func (postgresDialect) metaEntries(cs []MetaCondition) (fragment, *fragment, bool) {
	key := cs[0].Key
	if strings.Count(key, ".") > pgMetaDepth {
		return fragment{}, nil, false
	}
	var parts []fragment
	numbers := false
	for _, c := range cs {
		if c.Op != OpEQ && !c.Op.ordered() {
			return fragment{}, nil, false
		}
		number := func(text string) {
			parts = append(parts, fragment{"m.kind = 'n' AND m.num " + compareOps[c.Op] + " ?::numeric", []any{text}})
			numbers = true
		}
		switch v := c.Value.(type) {
		case int64:
			number(strconv.FormatInt(v, 10))
		case float64:
			number(strconv.FormatFloat(v, 'g', -1, 64))
		case bool: // EQ only
			parts = append(parts, fragment{"m.kind = 'b' AND m.num = ?", []any{btoi(v)}})
		case string:
			if c.Op != OpEQ || len(v) > pgMetaText {
				return fragment{}, nil, false
			}
			parts = append(parts, fragment{"m.txt = ?", []any{v}})
		default:
			return fragment{}, nil, false
		}
	}
	f := or(parts)
	f = fragment{"m.key = ? AND (" + f.sql + ")", append([]any{key}, f.args...)}
	if !numbers {
		return f, nil, true
	}
	// Numbers too long for the table (resource_meta_long).
	return f, &fragment{"SELECT 1 FROM resource_meta WHERE key = ? AND kind = 'N'", []any{key}}, true
}

// keepOrder turns off sorting for the rest of the transaction.
func (postgresDialect) keepOrder(on bool) string {
	if on {
		return "SET LOCAL enable_sort = off"
	}
	return "SET LOCAL enable_sort TO DEFAULT"
}

// metaOrder sorts as SQLite sorts json_extract's values: absent and null
// first, then numbers (booleans as 1 and 0), then text (objects and
// arrays as their JSON text). The order is one expression, a jsonb array
// of the rank and the value, since the caller appends the direction.
func (postgresDialect) metaOrder(col, key string) fragment {
	p := pgPath(key)
	v := pgValue(col)
	typ := "jsonb_typeof(" + v + ")"
	sql := "jsonb_build_array(CASE " + typ + " WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'object' THEN 2 WHEN 'array' THEN 2 ELSE 0 END, " +
		"CASE " + typ + " WHEN 'number' THEN " + v + " WHEN 'boolean' THEN to_jsonb(CASE WHEN " + v + " = 'true'::jsonb THEN 1 ELSE 0 END) " +
		"WHEN 'string' THEN " + v + " WHEN 'object' THEN to_jsonb(" + v + "::text) WHEN 'array' THEN to_jsonb(" + v + "::text) END)"
	args := make([]any, strings.Count(sql, "?::text[]"))
	for i := range args {
		args[i] = p
	}
	return fragment{sql, args}
}

// metaKeys lists the top-level keys a MetaQuery can name.
func (postgresDialect) metaKeys() string {
	return `SELECT DISTINCT k COLLATE "C" AS key FROM resources,
			jsonb_object_keys(CASE WHEN jsonb_typeof(meta::jsonb) = 'object' THEN meta::jsonb ELSE '{}'::jsonb END) AS k
		WHERE k ~ '^[A-Za-z0-9_-]+$' ORDER BY 1`
}

// textSearch is the planner's; the generic path does not ask.
func (postgresDialect) textSearch(context.Context, rowScanner, string, string, int, bool) (textSet, bool, error) {
	return textSet{}, false, nil
}

func (postgresDialect) useIndex(string) string { return "" }

func (postgresDialect) sortText(col string) string { return col + "::text" }

// pgFold lowers the ASCII letters of the text expression x, and only
// those: matches ignore case as SQLite's LIKE does (K matches k, but the
// Kelvin sign does not, nor É é). lower() under the "C" collation does
// exactly that, whatever the database's locale. The schema's trigram
// indexes are over the same expressions of the searched columns.
func pgFold(x string) string {
	return "lower((" + x + `) COLLATE "C")`
}

// asciiLower lowers the ASCII letters of s, and only those.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
