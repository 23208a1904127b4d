// Package sqlite holds Stockroom's schema for SQLite: the tables, indexes,
// triggers and backfills, as numbered migration steps, and the runner that
// applies them. Package schema picks it for a SQLite database.
package sqlite

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/stockroomhq/stockroom/internal/schema/steps"

	"github.com/uptrace/bun"
)

// migration is one step of the schema (see steps.Step).
type migration = steps.Step

var migrations = []migration{
	{Version: 1, DDL: migrationCore},
	{Version: 2, DDL: migrationSearch},
	{Version: 3, DDL: migrationMedia},
	{Version: 4, DDL: migrationIntake},
	{Version: 5, DDL: migrationSort},
	{Version: 6, DDL: migrationParity},
	{Version: 7, DDL: migrationAccess},
	{Version: 8, DDL: migrationLocalIdentity},
	{Version: 9, DDL: migrationSparseOrder},
	{Version: 10, DDL: migrationTextPending},
	{Version: 11, DDL: migrationNameVersion},
}

// Migrate brings the schema of db up to date. It is safe to call on every
// open; applied steps are recorded by version in stockroom_migrations. It
// tells logger (when not nil), at debug level, of each step it applies: on
// a large library a step that builds an index can take a minute, and the
// server may want to say why it is busy.
//
// The steps keep the temporary files of their statements (journals,
// sorts) on disk, whatever the connection's temp_store, which Migrate
// restores: a step may rewrite or sort every row of a large library,
// which would not fit in memory.
func Migrate(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var tempStore int
	if err := conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&tempStore); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
		return err
	}
	err = steps.Apply(ctx, conn, "TIMESTAMP", migrations, logger)
	_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = "+strconv.Itoa(tempStore))
	return errors.Join(err, rerr)
}
