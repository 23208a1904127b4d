package resources

import (
	"context"
	"fmt"
	"strings"
)

// On PostgreSQL each statement is a round trip to the server, and a page
// refers to up to five kinds of entities: readRelatedAtOnce reads them all
// with one statement, whose branches (one per kind with IDs, joined by
// UNION ALL) share their columns by type: the kind, then a group's
// columns (id, created_at, updated_at, name, description, url, meta,
// owner_id, category_id), which the other kinds fill with theirs in
// their own statement's order (a note puts its type where a group has
// its category), and a note's start_date and end_date. Each row is then
// read by the decoder of its kind's own statement.

// relatedKinds are the branches of the statement, in the order of the
// kinds: tags, groups, notes, resource categories, series.
var relatedKinds = [5]string{
	`SELECT 0, t.id, t.created_at, t.updated_at, t.name, t.description, t.meta, CAST(NULL AS text),
		CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(NULL AS timestamptz), CAST(NULL AS timestamptz) FROM tags AS t WHERE t.id = ANY(CAST($%d AS bigint[]))`,
	`SELECT 1, g.id, g.created_at, g.updated_at, g.name, g.description, g.url, g.meta,
		g.owner_id, g.category_id, NULL, NULL FROM "groups" AS g WHERE g.id = ANY(CAST($%d AS bigint[]))`,
	`SELECT 2, n.id, n.created_at, n.updated_at, n.name, n.description, n.meta, NULL,
		n.owner_id, n.note_type_id, n.start_date, n.end_date FROM notes AS n WHERE n.id = ANY(CAST($%d AS bigint[]))`,
	`SELECT 3, rc.id, rc.created_at, rc.updated_at, rc.name, rc.description, rc.meta_schema, NULL,
		NULL, NULL, NULL, NULL FROM resource_categories AS rc WHERE rc.id = ANY(CAST($%d AS bigint[]))`,
	`SELECT 4, s.id, s.created_at, s.updated_at, s.name, s.slug, s.meta, NULL,
		NULL, NULL, NULL, NULL FROM series AS s WHERE s.id = ANY(CAST($%d AS bigint[]))`,
}

// relatedText is the statement that reads the kinds of the bits of mask
// (bit i for relatedKinds[i]), their lists of IDs as $1, $2... in that
// order.
func relatedText(mask int) string {
	var b strings.Builder
	n := 0
	for i, branch := range relatedKinds {
		if mask&(1<<i) == 0 {
			continue
		}
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		n++
		fmt.Fprintf(&b, branch, n)
	}
	return b.String()
}

// readRelatedAtOnce reads the entities of every kind with IDs in one
// statement.
func (l *loader) readRelatedAtOnce(ctx context.Context, q Querier, tags, groups, notes, categories, series idSet) (related, error) {
	found := newRelated(tags, groups, notes, categories, series)
	mask := 0
	var args []any
	for i, ids := range [5][]int64{tags.ids, groups.ids, notes.ids, categories.ids, series.ids} {
		if len(ids) > 0 {
			mask |= 1 << i
			args = append(args, l.sql.idList(ids))
		}
	}
	if mask == 0 {
		return found, nil
	}
	rows, err := q.QueryContext(ctx, l.sql.related[mask], args...)
	if err != nil {
		return found, err
	}
	// note reorders a row's values into the layout of the notes
	// statement: owner, start, end, type.
	var note [10]any
	err = scanAll(rows, 12, func(v []any) error {
		row := v[1:]
		switch asInt64(v[0]) {
		case 0:
			return found.addTag(row[:6])
		case 1:
			return found.addGroup(row[:9])
		case 2:
			copy(note[:6], row[:6])
			note[6], note[7], note[8], note[9] = row[7], row[9], row[10], row[8]
			return found.addNote(note[:])
		case 3:
			return found.addCategory(row[:6])
		default:
			return found.addSeries(row[:6])
		}
	})
	return found, err
}
