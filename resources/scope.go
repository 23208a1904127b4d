package resources

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// OutsideGroup returns those of ids, entities of kind e, that are not
// within the group root, in ascending order. A group is within root when it
// is root or one of its descendants (by OwnerID, the parent); a resource or
// a note when its owner group is. A resource or note without an owner is
// outside every group; IDs that do not exist are not returned (the write
// they were meant for reports them). Only resources, groups and notes
// belong to groups: any other kind is an *InvalidError.
//
// It is what a role scoped to a group (access.RoleUser) is checked with:
// one query, a recursive walk down from root, so the answer is one snapshot.
// UNION (not UNION ALL) stops the walk even on a cycle in stored data,
// which SaveGroup refuses to make.
func (s *Store) OutsideGroup(ctx context.Context, root int64, e Entity, ids []int64) ([]int64, error) {
	const op = "resources.OutsideGroup"
	var table, column string
	switch e {
	case EntityResource:
		table, column = "resources", "owner_id"
	case EntityNote:
		table, column = "notes", "owner_id"
	case EntityGroup:
		table, column = `"groups"`, "id"
	default:
		return nil, fmt.Errorf("%s: %w", op, invalidf("a %s belongs to no group", e))
	}
	out := []int64{}
	if len(ids) == 0 {
		return out, nil
	}
	// Group IDs within root; t.<column> NOT IN that set is false for NULL
	// in SQL, so an entity without an owner is picked out separately.
	q := `WITH RECURSIVE scope(id) AS (
	SELECT id FROM "groups" WHERE id = ?
	UNION
	SELECT g.id FROM "groups" AS g JOIN scope ON g.owner_id = scope.id
)
SELECT t.id FROM ` + table + ` AS t
WHERE t.id IN (?) AND (t.` + column + ` IS NULL OR t.` + column + ` NOT IN (SELECT id FROM scope))
ORDER BY t.id`
	rows, err := s.rdb.QueryContext(ctx, q, root, bun.In(ids))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}
