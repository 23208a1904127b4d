package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/stockroomhq/stockroom/internal/placeholders"
)

// chunkSize bounds the bound parameters of one statement, well inside
// SQLite's variable limit.
const chunkSize = 400

// linkSpec describes one many-to-many join table seen from one side.
type linkSpec struct {
	table      string // join table
	ownCol     string // column holding the owning entity's ID
	otherCol   string // column holding the linked entity's ID
	otherTable string // table of the linked entity, to check IDs exist
	entity     string // name of the linked entity, for errors
}

var (
	tagLink   = func(table, own string) linkSpec { return linkSpec{table, own, "tag_id", "tags", "tag"} }
	groupLink = func(table, own string) linkSpec { return linkSpec{table, own, "group_id", `"groups"`, "group"} }
	noteLink  = func(table, own string) linkSpec { return linkSpec{table, own, "note_id", "notes", "note"} }

	// resourceLinks are the sets of a resource, in the order tags, groups, notes.
	resourceLinks = []linkSpec{
		tagLink("resource_tags", "resource_id"),
		groupLink("groups_related_resources", "resource_id"),
		noteLink("resource_notes", "resource_id"),
	}
	groupLinks = []linkSpec{tagLink("group_tags", "group_id")}
	// noteLinks are the sets of a note: tags, groups, resources.
	noteLinks = []linkSpec{
		tagLink("note_tags", "note_id"),
		groupLink("groups_related_notes", "note_id"),
		{"resource_notes", "note_id", "resource_id", "resources", "resource"},
	}
)

// replaceLinks sets, for each spec, the linked IDs of entity id to sets[i].
// A nil set leaves that relation as it is; an empty one clears it. The IDs
// must exist (checked by the caller with checkRefs or here).
func replaceLinks(ctx context.Context, tx bun.IDB, specs []linkSpec, id int64, sets ...[]int64) error {
	for i, spec := range specs {
		if i >= len(sets) || sets[i] == nil {
			continue
		}
		if err := ensureExist(ctx, tx, spec.otherTable, spec.entity, sets[i]); err != nil {
			return err
		}
		if err := execBound(ctx, tx, fmt.Sprintf(`DELETE FROM %s WHERE %s = ?`, spec.table, spec.ownCol), id); err != nil {
			return err
		}
		if err := insertLinks(ctx, tx, spec, []int64{id}, sets[i]); err != nil {
			return err
		}
	}
	return nil
}

// insertLinks links every owner to every other ID, skipping pairs that exist.
func insertLinks(ctx context.Context, tx bun.IDB, spec linkSpec, owners, others []int64) error {
	pairs := make([][2]int64, 0, len(owners)*len(others))
	for _, o := range owners {
		for _, x := range others {
			pairs = append(pairs, [2]int64{o, x})
		}
	}
	for start := 0; start < len(pairs); start += chunkSize {
		end := min(start+chunkSize, len(pairs))
		var sb strings.Builder
		fmt.Fprintf(&sb, `INSERT INTO %s (%s, %s) VALUES `, spec.table, spec.ownCol, spec.otherCol)
		args := make([]any, 0, 2*(end-start))
		for i, p := range pairs[start:end] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?)")
			args = append(args, p[0], p[1])
		}
		sb.WriteString(" ON CONFLICT DO NOTHING")
		if err := execBound(ctx, tx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// ensureExist returns a *NotFoundError for the first of ids missing from
// table.
func ensureExist(ctx context.Context, db bun.IDB, table, entity string, ids []int64) error {
	found, err := foundIDs(ctx, db, table, ids)
	if err != nil {
		return err
	}
	if len(found) == len(ids) {
		return nil
	}
	have := make(map[int64]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for _, id := range ids {
		if !have[id] {
			return notFound(entity, id)
		}
	}
	return nil
}

// foundIDs returns those of ids that table has, with one statement per
// table whatever the number of IDs (their list is its one argument).
func foundIDs(ctx context.Context, db bun.IDB, table string, ids []int64) ([]int64, error) {
	r, err := querierFor(db)
	if err != nil {
		return nil, err
	}
	pg := isPostgres(db)
	text := placeholders.For(pg, "SELECT id FROM "+table+" WHERE "+idsIn(pg, "id"))
	rows, err := r.QueryContext(ctx, text, idList(pg, ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found = append(found, id)
	}
	return found, rows.Err()
}

// execBound runs text, written with ? placeholders, on db through
// database/sql with its arguments bound: the text is the same whatever
// the values, and its statement is prepared once per connection, where
// bun writes the values into the text, which is then parsed anew.
func execBound(ctx context.Context, db bun.IDB, text string, args ...any) error {
	r, err := querierFor(db)
	if err != nil {
		return err
	}
	_, err = r.ExecContext(ctx, placeholders.For(isPostgres(db), text), args...)
	return err
}

func isPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// checkRefs verifies that the single references (owner, resource category,
// series; nil or 0 means none) and the linked sets all exist.
func checkRefs(ctx context.Context, db bun.IDB, owner, resourceCategory, series *int64, tags, groups, notes []int64) error {
	singles := []struct {
		id            *int64
		table, entity string
	}{
		{owner, `"groups"`, "group"},
		{resourceCategory, "resource_categories", "resource category"},
		{series, "series", "series"},
	}
	for _, s := range singles {
		if s.id != nil && *s.id != 0 {
			if err := ensureExist(ctx, db, s.table, s.entity, []int64{*s.id}); err != nil {
				return err
			}
		}
	}
	for _, set := range []struct {
		ids           []int64
		table, entity string
	}{{tags, "tags", "tag"}, {groups, `"groups"`, "group"}, {notes, "notes", "note"}} {
		if err := ensureExist(ctx, db, set.table, set.entity, set.ids); err != nil {
			return err
		}
	}
	return nil
}
