package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/uptrace/bun"
)

// bulkKind is what the bulk operations need to know of an entity kind.
type bulkKind struct {
	table, name string
	tags        *linkSpec // the entity's tag links; nil when it has none
	groups      *linkSpec // the entity's related groups; nil when none
}

var bulkKinds = map[Entity]bulkKind{
	EntityGroup: {table: `"groups"`, name: "group", tags: &groupLinks[0]},
	EntityNote:  {table: "notes", name: "note", tags: &noteLinks[0], groups: &noteLinks[1]},
	EntityTag:   {table: "tags", name: "tag"},
}

func bulkKindOf(e Entity, op string) (bulkKind, error) {
	k, ok := bulkKinds[e]
	if !ok {
		return bulkKind{}, fmt.Errorf("%s: %w", op, invalidf("no bulk edits of a %s", e))
	}
	return k, nil
}

// AddEntityTags puts the tags on every group or note of ids (e says which),
// in one transaction: if any of them or any tag does not exist, the error
// is a *NotFoundError and nothing changes. Links that exist stay once.
func (s *Store) AddEntityTags(ctx context.Context, e Entity, ids, tagIDs []int64) error {
	return s.bulkLinks(ctx, "resources.AddEntityTags", e, ids, tagIDs, func(k bulkKind) *linkSpec { return k.tags }, true)
}

// RemoveEntityTags takes the tags off every group or note of ids, with the
// same all-or-nothing rule as AddEntityTags.
func (s *Store) RemoveEntityTags(ctx context.Context, e Entity, ids, tagIDs []int64) error {
	return s.bulkLinks(ctx, "resources.RemoveEntityTags", e, ids, tagIDs, func(k bulkKind) *linkSpec { return k.tags }, false)
}

// AddEntityGroups relates the groups to every note of ids, with the same
// all-or-nothing rule as AddEntityTags. Owners do not change.
func (s *Store) AddEntityGroups(ctx context.Context, e Entity, ids, groupIDs []int64) error {
	return s.bulkLinks(ctx, "resources.AddEntityGroups", e, ids, groupIDs, func(k bulkKind) *linkSpec { return k.groups }, true)
}

func (s *Store) bulkLinks(ctx context.Context, op string, e Entity, ids, others []int64, spec func(bulkKind) *linkSpec, add bool) error {
	k, err := bulkKindOf(e, op)
	if err != nil {
		return err
	}
	link := spec(k)
	switch {
	case link == nil:
		return fmt.Errorf("%s: %w", op, invalidf("a %s has no such links", k.name))
	case len(ids) == 0:
		return fmt.Errorf("%s: %w", op, invalidf("no %s ID given", k.name))
	case len(others) == 0:
		return fmt.Errorf("%s: %w", op, invalidf("no %s ID given", link.entity))
	}
	ids, others = distinctIDs(ids), distinctIDs(others)
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, k.table, k.name, ids); err != nil {
			return err
		}
		if err := ensureExist(ctx, tx, link.otherTable, link.entity, others); err != nil {
			return err
		}
		if add {
			if err := insertLinks(ctx, tx, *link, ids, others); err != nil {
				return err
			}
		} else {
			for chunk := range chunks(ids) {
				for set := range chunks(others) {
					if _, err := tx.NewDelete().Table(link.table).
						Where(link.ownCol+" IN (?)", bun.In(chunk)).
						Where(link.otherCol+" IN (?)", bun.In(set)).Exec(ctx); err != nil {
						return err
					}
				}
			}
		}
		return touch(ctx, tx, k.table, ids)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// touch sets UpdatedAt of the rows ids of table to now.
func touch(ctx context.Context, tx bun.IDB, table string, ids []int64) error {
	t := now()
	for chunk := range chunks(ids) {
		if _, err := tx.NewUpdate().TableExpr(table).Set("updated_at = ?", t).Where("id IN (?)", bun.In(chunk)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// AddEntityMeta merges patch into the meta of every group or note of ids
// as a JSON merge patch (RFC 7396; a null member removes the key), in one
// transaction, with the all-or-nothing rule of AddEntityTags. patch must
// be a JSON object.
func (s *Store) AddEntityMeta(ctx context.Context, e Entity, ids []int64, patch Meta) error {
	const op = "resources.AddEntityMeta"
	k, err := bulkKindOf(e, op)
	if err != nil {
		return err
	}
	if patch == nil {
		return fmt.Errorf("%s: %w", op, invalidf("no Meta given"))
	}
	if len(ids) == 0 {
		return fmt.Errorf("%s: %w", op, invalidf("no %s ID given", k.name))
	}
	p, err := ParseMeta(patch)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	po, err := decodeObject(p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ids = distinctIDs(ids)
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, k.table, k.name, ids); err != nil {
			return err
		}
		return patchMeta(ctx, tx, k.table, ids, func(obj map[string]any) map[string]any {
			return mergePatch(obj, po).(map[string]any)
		})
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// patchMeta rewrites the meta of the rows ids of table with edit, in Go so
// that the SQL is the same for every database, and writes each chunk back
// with one UPDATE. UpdatedAt is set.
func patchMeta(ctx context.Context, tx bun.IDB, table string, ids []int64, edit func(map[string]any) map[string]any) error {
	type row struct {
		ID   int64 `bun:"id"`
		Meta Meta  `bun:"meta"`
	}
	t := now()
	for chunk := range chunks(ids) {
		var rows []row
		if err := tx.NewRaw(fmt.Sprintf(`SELECT id, meta FROM %s WHERE id IN (?)`, table), bun.In(chunk)).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if len(rows) == 0 {
			continue
		}
		var sb strings.Builder
		args := make([]any, 0, 2*len(rows)+2)
		fmt.Fprintf(&sb, `UPDATE %s SET meta = CASE id`, table)
		for _, r := range rows {
			obj, err := decodeObject(r.Meta)
			if err != nil {
				return fmt.Errorf("meta of %d: %w", r.ID, err)
			}
			b, err := encodeObject(edit(obj))
			if err != nil {
				return err
			}
			sb.WriteString(" WHEN ? THEN ?")
			args = append(args, r.ID, string(b))
		}
		sb.WriteString(" ELSE meta END, updated_at = ? WHERE id IN (?)")
		args = append(args, t, bun.In(chunk))
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// mergePatch applies the JSON merge patch (RFC 7396) patch to target.
func mergePatch(target any, patch any) any {
	po, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	to, ok := target.(map[string]any)
	if !ok {
		to = map[string]any{}
	}
	for k, v := range po {
		if v == nil {
			delete(to, k)
			continue
		}
		to[k] = mergePatch(to[k], v)
	}
	return to
}

// DeleteEntities deletes every group, note or tag of ids in one
// transaction, or none of them if any is unknown. What refers to them is
// cleared by the schema's foreign keys: resources, notes and child groups
// lose their owner, links go; nothing else is deleted.
func (s *Store) DeleteEntities(ctx context.Context, e Entity, ids []int64) error {
	const op = "resources.DeleteEntities"
	k, err := bulkKindOf(e, op)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("%s: %w", op, invalidf("no %s ID given", k.name))
	}
	ids = distinctIDs(ids)
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, k.table, k.name, ids); err != nil {
			return err
		}
		return deleteIn(ctx, tx, k.table, ids)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

func deleteIn(ctx context.Context, tx bun.IDB, table string, ids []int64) error {
	for chunk := range chunks(ids) {
		if _, err := tx.NewDelete().TableExpr(table).Where("id IN (?)", bun.In(chunk)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// checkMerge validates the IDs of a merge and returns the losers without
// repeats.
func checkMerge(ctx context.Context, tx bun.IDB, k bulkKind, winner int64, losers []int64) ([]int64, error) {
	if winner <= 0 {
		return nil, invalidf("a winning %s ID is required", k.name)
	}
	if len(losers) == 0 {
		return nil, invalidf("at least one losing %s ID is required", k.name)
	}
	losers = distinctIDs(losers)
	if slices.Contains(losers, winner) {
		return nil, invalidf("%s %d cannot be both winner and loser", k.name, winner)
	}
	if err := ensureExist(ctx, tx, k.table, k.name, append([]int64{winner}, losers...)); err != nil {
		return nil, err
	}
	return losers, nil
}

// moveLinks links winner to whatever the losers are linked to in table
// (own is the column of the merged entity, other the linked one's).
func moveLinks(ctx context.Context, tx bun.IDB, table, own, other string, winner int64, losers []int64) error {
	for chunk := range chunks(losers) {
		q := fmt.Sprintf(`INSERT INTO %s (%s, %s) SELECT DISTINCT ?, %s FROM %s WHERE %s IN (?) ON CONFLICT DO NOTHING`,
			table, own, other, other, table, own)
		if _, err := tx.ExecContext(ctx, q, winner, bun.In(chunk)); err != nil {
			return err
		}
	}
	return nil
}

// mergeMetaOf gives winner, in table, the keys of the losers' meta it
// lacks (its own values win), as Merge does for resources.
func mergeMetaOf(ctx context.Context, tx bun.IDB, table string, winner int64, losers []int64) error {
	var metas []Meta
	for chunk := range chunks(losers) {
		var part []Meta
		if err := tx.NewRaw(fmt.Sprintf(`SELECT meta FROM %s WHERE id IN (?) ORDER BY id`, table), bun.In(chunk)).Scan(ctx, &part); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		metas = append(metas, part...)
	}
	return patchMeta(ctx, tx, table, []int64{winner}, func(obj map[string]any) map[string]any {
		for _, m := range metas {
			if lo, err := decodeObject(m); err == nil {
				fillMissing(obj, lo)
			}
		}
		return obj
	})
}

// MergeGroups merges the groups losers into winner in one transaction: the
// winner gains their tags, their related resources and notes, and what
// they own (resources, notes, child groups); their meta fills keys the
// winner lacks; then the losers are deleted. A child of a loser that is
// the winner or one of its ancestors is left without a parent rather than
// made into a cycle.
func (s *Store) MergeGroups(ctx context.Context, winner int64, losers []int64) error {
	const op = "resources.MergeGroups"
	k := bulkKinds[EntityGroup]
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		losers, err := checkMerge(ctx, tx, k, winner, losers)
		if err != nil {
			return err
		}
		for _, l := range []struct{ table, other string }{
			{"group_tags", "tag_id"}, {"groups_related_resources", "resource_id"}, {"groups_related_notes", "note_id"},
		} {
			if err := moveLinks(ctx, tx, l.table, "group_id", l.other, winner, losers); err != nil {
				return err
			}
		}
		// The winner and its ancestors must not become children of the
		// winner.
		up := []int64{winner}
		seen := map[int64]bool{winner: true}
		for cur := winner; ; {
			var owner sql.NullInt64
			if err := tx.NewSelect().TableExpr(`"groups"`).Column("owner_id").Where("id = ?", cur).Scan(ctx, &owner); err != nil {
				return err
			}
			if !owner.Valid || seen[owner.Int64] {
				break
			}
			cur = owner.Int64
			seen[cur] = true
			up = append(up, cur)
		}
		t := now()
		for chunk := range chunks(losers) {
			for _, table := range []string{"resources", "notes"} {
				if _, err := tx.NewUpdate().TableExpr(table).Set("owner_id = ?", winner).Set("updated_at = ?", t).
					Where("owner_id IN (?)", bun.In(chunk)).Exec(ctx); err != nil {
					return err
				}
			}
			if _, err := tx.NewUpdate().TableExpr(`"groups"`).Set("owner_id = ?", winner).Set("updated_at = ?", t).
				Where("owner_id IN (?)", bun.In(chunk)).Where("id NOT IN (?)", bun.In(up)).Exec(ctx); err != nil {
				return err
			}
		}
		if err := mergeMetaOf(ctx, tx, k.table, winner, losers); err != nil {
			return err
		}
		return deleteIn(ctx, tx, k.table, losers)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// MergeTags merges the tags losers into winner in one transaction: every
// resource, group and note that has a loser gets the winner instead, the
// losers' meta fills keys the winner lacks, and the losers are deleted.
func (s *Store) MergeTags(ctx context.Context, winner int64, losers []int64) error {
	const op = "resources.MergeTags"
	k := bulkKinds[EntityTag]
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		losers, err := checkMerge(ctx, tx, k, winner, losers)
		if err != nil {
			return err
		}
		for _, l := range []struct{ table, own string }{
			{"resource_tags", "resource_id"}, {"group_tags", "group_id"}, {"note_tags", "note_id"},
		} {
			for chunk := range chunks(losers) {
				q := fmt.Sprintf(`INSERT INTO %s (%s, tag_id) SELECT DISTINCT %s, ? FROM %s WHERE tag_id IN (?) ON CONFLICT DO NOTHING`,
					l.table, l.own, l.own, l.table)
				if _, err := tx.ExecContext(ctx, q, winner, bun.In(chunk)); err != nil {
					return err
				}
			}
		}
		if err := mergeMetaOf(ctx, tx, k.table, winner, losers); err != nil {
			return err
		}
		return deleteIn(ctx, tx, k.table, losers)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// EntityMetaKeys returns the distinct top-level keys of the meta of every
// group or note, sorted. It reads each meta once, in Go, so that it works
// the same on every database; groups and notes are far fewer than
// resources, whose keys come from an index (query.MetaKeys).
func (s *Store) EntityMetaKeys(ctx context.Context, e Entity) ([]string, error) {
	const op = "resources.EntityMetaKeys"
	k, err := bulkKindOf(e, op)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, fmt.Sprintf(`SELECT meta FROM %s WHERE meta <> '{}'`, k.table))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var m Meta
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		obj, err := decodeObject(m)
		if err != nil {
			continue // not an object: no keys to offer
		}
		for key := range obj {
			set[key] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	keys := make([]string, 0, len(set))
	for key := range set {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys, nil
}

// RemoveSeries takes the resource id out of its series; a resource in no
// series is left as it is.
func (s *Store) RemoveSeries(ctx context.Context, id int64) (*Resource, error) {
	const op = "resources.RemoveSeries"
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		return updateRow(ctx, tx, "resources", "resource", id, func(q *bun.UpdateQuery) { q.Set("series_id = NULL") })
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s.Get(ctx, id)
}
