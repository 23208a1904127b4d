package query

import (
	"strings"
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

func (sqliteDialect) metaKeys() string {
	return `SELECT DISTINCT j.key FROM resources AS r, json_each(r.meta) AS j
		WHERE json_type(r.meta) = 'object' ORDER BY j.key`
}
