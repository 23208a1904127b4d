package resources

import "context"

// ReadOneStatement reads the resource id as Get does on SQLite, with its
// relations nested in its row, but without falling back to the other
// statements when that fails: a test can tell that the single statement
// serves Get. On PostgreSQL, which has no such statement, it reports
// false.
func (s *Store) ReadOneStatement(ctx context.Context, id int64) (*Resource, bool, error) {
	if s.load.sql.packedFull == "" {
		return nil, false, nil
	}
	rs, err := s.load.readFull(ctx, s.rdb.DB, id)
	if err != nil || len(rs) == 0 {
		return nil, true, err
	}
	rs[0].Normalize()
	return rs[0], true, nil
}

// ReadManyBothWays reads the resources ids as ReadMany does on SQLite,
// with the packed statement, and with the plain one that PostgreSQL and
// SQLite's fallback use, without falling back from either. On
// PostgreSQL, which has no packed statement, it reports false.
func (s *Store) ReadManyBothWays(ctx context.Context, ids []int64) (packed, plain []*Resource, ok bool, err error) {
	if s.load.sql.packedMany == "" {
		return nil, nil, false, nil
	}
	if packed, err = s.load.readWith(ctx, s.rdb.DB, ids, true); err != nil {
		return nil, nil, true, err
	}
	plain, err = s.load.readWith(ctx, s.rdb.DB, ids, false)
	return packed, plain, true, err
}
