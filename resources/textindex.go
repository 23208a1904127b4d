package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/internal/procs"
)

// DefaultTextBatch is the number of resources IndexText indexes in one
// transaction when given no bound.
const DefaultTextBatch = 1000

// textColumns are the columns of resources that have a trigram table in
// SQLite, and their tables; a resource's empty values are left out of
// all but the name's, as the triggers do.
var textColumns = []struct{ col, table string }{
	{"name", "resources_name_fts"},
	{"description", "resources_description_fts"},
	{"original_name", "resources_original_name_fts"},
	{"original_location", "resources_original_location_fts"},
}

// IndexText adds to SQLite's trigram tables up to max (DefaultTextBatch
// when max <= 0) of the resources inserted since it last ran, the oldest
// first, in one transaction, and reports how many it added. Inserts file
// new resources for it rather than index them themselves (the full-text
// tables cost an upload a third of its writes one row at a time, a
// fraction of that in batches), and searches find filed resources all
// the same, only by checking each; the server runs it in the background.
// With PostgreSQL, which indexes as it inserts, it does nothing. It is
// safe to run concurrently with anything, in any number of processes.
func (s *Store) IndexText(ctx context.Context, max int) (int, error) {
	const op = "resources.IndexText"
	if s.db.Dialect().Name() != dialect.SQLite {
		return 0, nil
	}
	// A look on the reader first: the writer is not taken while nothing
	// is filed, which is nearly always.
	var one int64
	switch err := s.rdb.QueryRowContext(ctx, "SELECT id FROM resources_text_pending LIMIT 1").Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	// Work for procs.Govern from here, not the look: the look runs every
	// quarter of a second and would keep a server on every CPU.
	procs.Begin()
	defer procs.End()
	n, err := IndexText(ctx, s.db, max)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// IndexText is Store.IndexText on the database db (whose writes go
// through it, as a Store's do), for a writer that has no Store, such as
// a generator of test libraries that must leave nothing filed.
func IndexText(ctx context.Context, db *bun.DB, max int) (int, error) {
	if db.Dialect().Name() != dialect.SQLite {
		return 0, nil
	}
	if max <= 0 {
		max = DefaultTextBatch
	}
	var n int
	err := dbtx.Write(ctx, db, func(ctx context.Context, tx dbtx.Tx) error {
		var last sql.NullInt64
		// Bound arguments: the texts recur and are prepared once.
		if err := tx.SQL().QueryRowContext(ctx, `SELECT max(id), count(*) FROM
			(SELECT id FROM resources_text_pending ORDER BY id LIMIT ?)`, max).Scan(&last, &n); err != nil {
			return err
		}
		if !last.Valid {
			return nil
		}
		// A filed resource is in none of the tables (see the schema's
		// step migrationTextPending), so these add and never repeat.
		for _, c := range textColumns {
			q := "INSERT INTO " + c.table + "(rowid, " + c.col + ") SELECT r.id, r." + c.col +
				" FROM resources_text_pending AS p JOIN resources AS r ON r.id = p.id WHERE p.id <= ?"
			if c.col != "name" {
				q += " AND r." + c.col + " <> ''"
			}
			if _, err := tx.SQL().ExecContext(ctx, q+" ORDER BY p.id", last.Int64); err != nil {
				return err
			}
		}
		_, err := tx.SQL().ExecContext(ctx, "DELETE FROM resources_text_pending WHERE id <= ?", last.Int64)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
