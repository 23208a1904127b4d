package resources

import (
	"context"
	"fmt"
)

// TagByName returns the ID of the tag named exactly name, or 0 when there
// is none. It reads through the unique index on the name, so it costs the
// same whatever the number of tags (ListTags with a Name filter matches
// substrings and scans).
func (s *Store) TagByName(ctx context.Context, name string) (int64, error) {
	return s.idByName(ctx, "tags", name)
}

// GroupByName returns the ID of a group named exactly name (the lowest ID
// when several are), or 0 when there is none.
func (s *Store) GroupByName(ctx context.Context, name string) (int64, error) {
	return s.idByName(ctx, "groups", name)
}

func (s *Store) idByName(ctx context.Context, table, name string) (int64, error) {
	var ids []int64
	err := s.rdb.NewSelect().Table(table).Column("id").Where("name = ?", name).OrderExpr("id").Limit(1).Scan(ctx, &ids)
	if err != nil {
		return 0, fmt.Errorf("resources: %s by name: %w", table, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}
