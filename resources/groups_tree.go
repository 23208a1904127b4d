package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/uptrace/bun"
)

// GroupParents returns the group id followed by its ancestors, nearest
// first: its parent, the parent's parent, up to a group without one. A
// cycle in stored data (which SaveGroup refuses to make) ends the chain.
func (s *Store) GroupParents(ctx context.Context, id int64) ([]*Group, error) {
	const op = "resources.GroupParents"
	var out []*Group
	// One read transaction, so that the chain is one snapshot.
	err := s.rdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var chain []int64
		seen := map[int64]bool{}
		for cur := id; cur != 0 && !seen[cur]; {
			seen[cur] = true
			var owner sql.NullInt64
			err := tx.NewSelect().TableExpr(`"groups"`).Column("owner_id").Where("id = ?", cur).Scan(ctx, &owner)
			if errors.Is(err, sql.ErrNoRows) && cur == id {
				return notFound("group", id)
			}
			if err != nil {
				return err
			}
			chain = append(chain, cur)
			cur = owner.Int64
		}
		var groups []*Group
		err := tx.NewSelect().Model(&groups).Where("g.id IN (?)", bun.In(chain)).
			Relation("Owner").Relation("Category").Relation("Tags").Scan(ctx)
		if err != nil {
			return err
		}
		byID := make(map[int64]*Group, len(groups))
		for _, g := range groups {
			byID[g.ID] = g
		}
		out = make([]*Group, 0, len(chain))
		for _, gid := range chain {
			out = append(out, byID[gid])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// GroupTreeNode is one group in a tree view: its direct children are
// counted, not loaded. JSON field names follow the reference (camelCase).
type GroupTreeNode struct {
	ID           int64  `bun:"id" json:"id"`
	Name         string `bun:"name" json:"name"`
	CategoryName string `bun:"category_name" json:"categoryName"`
	ChildCount   int    `bun:"child_count" json:"childCount"`
	OwnerID      *int64 `bun:"owner_id" json:"ownerId"`
}

// Defaults and bounds of GroupChildren's limit.
const (
	DefaultTreeLimit = 50
	MaxTreeLimit     = 1000
)

// GroupChildren returns the direct children of the group parent, or the
// groups without a parent when parent is 0, by name then ID, at most limit
// of them (0 means DefaultTreeLimit; capped at MaxTreeLimit). An unknown
// parent is a *NotFoundError.
func (s *Store) GroupChildren(ctx context.Context, parent int64, limit int) ([]GroupTreeNode, error) {
	const op = "resources.GroupChildren"
	switch {
	case limit < 0:
		return nil, fmt.Errorf("%s: %w", op, invalidf("limit %d must not be negative", limit))
	case limit == 0:
		limit = DefaultTreeLimit
	}
	limit = min(limit, MaxTreeLimit)
	if parent != 0 {
		if err := ensureExist(ctx, s.rdb, `"groups"`, "group", []int64{parent}); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	q := s.rdb.NewSelect().TableExpr(`"groups" AS g`).
		ColumnExpr("g.id, g.name, g.owner_id").
		ColumnExpr("coalesce(c.name, '') AS category_name").
		ColumnExpr(`(SELECT count(*) FROM "groups" AS ch WHERE ch.owner_id = g.id) AS child_count`).
		Join("LEFT JOIN categories AS c ON c.id = g.category_id").
		OrderExpr("g.name ASC, g.id ASC").Limit(int64(limit))
	if parent == 0 {
		q = q.Where("g.owner_id IS NULL")
	} else {
		q = q.Where("g.owner_id = ?", parent)
	}
	nodes := []GroupTreeNode{}
	if err := q.Scan(ctx, &nodes); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return nodes, nil
}

// CloneGroup creates a copy of the group id: its name, description, URL,
// meta, parent, category and tags. The resources and notes it owns or is
// related to become related to the copy too; none of them is copied or
// changes owner.
func (s *Store) CloneGroup(ctx context.Context, id int64) (*Group, error) {
	const op = "resources.CloneGroup"
	var clone int64
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		orig, err := getEntity[Group](ctx, tx, "g", "group", id)
		if err != nil {
			return err
		}
		t := now()
		g := &Group{CreatedAt: t, UpdatedAt: t, Name: orig.Name, Description: orig.Description, URL: orig.URL,
			Meta: orEmpty(orig.Meta), OwnerID: orig.OwnerID, CategoryID: orig.CategoryID}
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return err
		}
		clone = g.ID
		for _, stmt := range []string{
			`INSERT INTO group_tags (group_id, tag_id) SELECT ?, tag_id FROM group_tags WHERE group_id = ?`,
			`INSERT INTO groups_related_resources (group_id, resource_id) SELECT ?, resource_id FROM groups_related_resources WHERE group_id = ?`,
			`INSERT INTO groups_related_resources (group_id, resource_id) SELECT ?, id FROM resources WHERE owner_id = ? ON CONFLICT DO NOTHING`,
			`INSERT INTO groups_related_notes (group_id, note_id) SELECT ?, note_id FROM groups_related_notes WHERE group_id = ?`,
			`INSERT INTO groups_related_notes (group_id, note_id) SELECT ?, id FROM notes WHERE owner_id = ? ON CONFLICT DO NOTHING`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, clone, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[Group](ctx, s.db, "g", "group", clone, groupRelations...)
}
