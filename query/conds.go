package query

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The conditions of a Filter with the indexes that serve them. The tables
// resource_tag_order, resource_meta, resource_days, the FTS tables and the
// indexes named here are created and kept up to date by the schema of a
// dialect whose planner reports true (internal/schema/sqlite/search.go).

// orderColumns are the columns of resources that resources_order carries.
var orderColumns = map[string]bool{"r.content_type": true, "r.width": true, "r.height": true, "r.name": true, "r.description": true}

// substring is the condition that the text column col contains value.
// For the fields with a full-text index (field is name, description,
// original_name or original_location; "" for none) the index gives the
// candidates; LIKE keeps the exact semantics.
func (q *Query) substring(field, col, value string) *cond {
	if field == "" && q.leanCount() {
		return q.leanContentType(containsPattern(value))
	}
	c := &cond{where: q.sql.contains(col, containsPattern(value)), index: orderColumns[col], served: trigramServed(value)}
	c.bitmap = field != "" && c.served == rechecked
	c.walkable = leanOrderColumns[col]
	c.textCol, c.text = col, value
	if field == "" || q.generic {
		return c
	}
	c.prepare = func(ctx context.Context, q *Query) error {
		small, err := q.smallLibrary(ctx)
		if err != nil {
			return err
		}
		ts, ok, err := q.sql.textSearch(ctx, q.scanRow, field, value, q.lim.rare, small)
		if err != nil || !ok {
			return err
		}
		c.ids, c.loose, c.stream, c.recheck = &ts.ids, true, ts.from, ts.recheck
		c.prefilter = func(id string) fragment { return fragment{id + " IN (" + ts.ids.sql + ")", ts.ids.args} }
		return nil
	}
	return c
}

// trigramServed tells whether a trigram index serves a substring search
// for s: it does when s has a word a trigram index reads (textWords).
func trigramServed(s string) served {
	if len(textWords(s)) > 0 {
		return rechecked
	}
	return unserved
}

// textWords returns the distinct runs of three letters or digits or more
// in s, which a trigram index reads apart.
func textWords(s string) []string {
	var out []string
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !word(r) }) {
		if utf8.RuneCountInString(w) >= 3 && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// column is the condition "r.col op" (op holds the ? of args), read in
// order through index, which starts with (col, created_at, id).
func (q *Query) column(col, index, op string, args ...any) *cond {
	w := fragment{"r." + col + " " + op, args}
	if q.generic {
		return &cond{where: w, served: indexed}
	}
	return &cond{
		where: w,
		seq:   &sequence{from: "resources AS r" + q.sql.useIndex(index), where: w, created: "r.created_at", id: "r.id", row: true},
	}
}

// tagCond is the condition that the resource has tag id.
func tagCond(id int64) *cond {
	c := linkCond("resource_tags", "tag_id", id)
	c.ids = nil // the sequence is as small and ordered
	c.tag = id
	c.seq = &sequence{
		from:    "resource_tag_order AS tg",
		where:   fragment{"tg.tag_id = ?", []any{id}},
		created: "tg.created_at",
		id:      "tg.resource_id",
	}
	return c
}

// linkCond is the condition that the resource is linked to id through the
// join table table (resource_id, col).
func linkCond(table, col string, id int64) *cond {
	on := func(x string) fragment {
		return fragment{"EXISTS (SELECT 1 FROM " + table + " WHERE resource_id = " + x + " AND " + col + " = ?)", []any{id}}
	}
	ids := &fragment{"SELECT resource_id FROM " + table + " WHERE " + col + " = ?", []any{id}}
	return &cond{
		where:  on("r.id"),
		onID:   on,
		ids:    ids,
		served: indexed,
		// Each link is to an existing resource (a foreign key), once.
		matches: ids,
	}
}

// groupCond is the condition that group id is related to the resource or
// owns it.
func groupCond(id int64) *cond {
	return &cond{
		where: fragment{"(r.owner_id = ? OR EXISTS (SELECT 1 FROM groups_related_resources WHERE resource_id = r.id AND group_id = ?))", []any{id, id}},
		// Two disjoint parts joined by UNION ALL, which streams: a UNION
		// would gather every match of a large group to drop duplicates
		// before the planner's LIMIT stops it.
		ids: &fragment{"SELECT resource_id FROM groups_related_resources WHERE group_id = ? UNION ALL " +
			"SELECT id FROM resources WHERE owner_id = ? AND NOT EXISTS " +
			"(SELECT 1 FROM groups_related_resources WHERE resource_id = resources.id AND group_id = ?)",
			[]any{id, id, id}},
	}
}

// metaSideDepth is the depth of the keys resource_meta holds: top-level
// keys and the keys of objects one level down.
const metaSideDepth = 2

// meta is the condition of MetaQuery terms on one key: several EQ terms
// (OR'ed), or a single term of another operator. Comparisons on keys that
// resource_meta holds read it; substring terms and deeper keys read the
// JSON.
func (q *Query) meta(cs []MetaCondition) *cond {
	c0 := cs[0]
	side := strings.Count(c0.Key, ".") < metaSideDepth && c0.Op != OpLI && c0.Op != OpNL
	if !side || q.generic {
		var parts []fragment
		s := rechecked
		for _, c := range cs {
			f := q.sql.metaCondition("r.meta", c)
			if contains, ok := q.sql.metaContains("r.meta", c); ok && q.leanCount() {
				// The same matches, but the index finds them, and each
				// row's JSON is read once.
				f = contains
			} else {
				s = unserved
			}
			parts = append(parts, f)
		}
		return &cond{where: or(parts), served: s, metaTerms: cs}
	}
	exists := func(x, test string, args ...any) fragment {
		return fragment{"EXISTS (SELECT 1 FROM resource_meta WHERE resource_id = " + x + " AND key = ? AND " + test + ")",
			append([]any{c0.Key}, args...)}
	}
	notExists := func(f fragment) fragment { return fragment{"NOT " + f.sql, f.args} }
	// set reads the entries of the key whose value passes test, from the
	// index by value, which holds their creation time.
	set := func(test string, args ...any) *sequence {
		return &sequence{
			from:    "resource_meta AS m" + q.sql.useIndex("resource_meta_value"),
			where:   fragment{"m.key = ? AND " + test, append([]any{c0.Key}, args...)},
			created: "m.created_at",
			id:      "m.resource_id",
		}
	}
	// inOrder reads the entries of the key whose value passes test in
	// the default order, checking each entry: the way in when the
	// sorted set is too large to read whole.
	inOrder := func(test string, args ...any) *sequence {
		return &sequence{
			from:    "resource_meta AS m" + q.sql.useIndex("resource_meta_order"),
			where:   fragment{"m.key = ? AND " + test, append([]any{c0.Key}, args...)},
			created: "m.created_at",
			id:      "m.resource_id",
		}
	}
	var on func(x string) fragment
	c := &cond{}
	switch c0.Op {
	case OpEQ:
		var tests, mtests []string
		var args []any
		hasNull := false
		for _, mc := range cs {
			if mc.Value == nil {
				hasNull = true
				continue
			}
			kind, v := metaValue(mc.Value)
			tests = append(tests, "kind = ? AND value = ?")
			mtests = append(mtests, "m.kind = ? AND m.value = ?")
			args = append(args, kind, v)
		}
		on = func(x string) fragment {
			var parts []fragment
			if len(tests) > 0 {
				parts = append(parts, exists(x, "("+strings.Join(tests, " OR ")+")", args...))
			}
			if hasNull {
				// Absent or null.
				parts = append(parts, notExists(exists(x, "kind <> 'z'")))
			}
			return or(parts)
		}
		switch {
		case hasNull:
		case len(tests) == 1:
			// One value: its entries are in the default order.
			c.seq = set("m.kind = ? AND m.value = ?", args...)
		default:
			c.sorted = set("("+strings.Join(mtests, " OR ")+")", args...)
			c.large = inOrder("("+strings.Join(mtests, " OR ")+")", args...)
		}
	case OpNE:
		if c0.Value == nil {
			// Present and not null.
			on = func(x string) fragment { return exists(x, "kind <> 'z'") }
			c.sorted, c.large = set("m.kind <> 'z'"), inOrder("m.kind <> 'z'")
			break
		}
		// Present, not null, and another value (see present).
		kind, v := metaValue(c0.Value)
		on = func(x string) fragment { return exists(x, "kind <> 'z' AND NOT (kind = ? AND value = ?)", kind, v) }
	default: // GT GE LT LE on a number or a string
		kind, v := metaValue(c0.Value)
		cmp := compareOps[c0.Op]
		on = func(x string) fragment { return exists(x, "kind = ? AND value "+cmp+" ?", kind, v) }
		c.sorted = set("m.kind = ? AND m.value "+cmp+" ?", kind, v)
		c.large = inOrder("m.kind = ? AND m.value "+cmp+" ?", kind, v)
	}
	c.where, c.onID = on("r.id"), on
	return c
}

// metaValue is the kind and value a JSON value has in resource_meta.
func metaValue(v any) (kind string, value any) {
	switch v := v.(type) {
	case nil:
		return "z", nil
	case bool:
		if v {
			return "b", 1
		}
		return "b", 0
	case int64, float64:
		return "n", v
	default:
		return "t", v
	}
}
