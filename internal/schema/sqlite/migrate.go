// Package sqlite holds Stockroom's schema for SQLite: the tables, indexes,
// triggers and backfills, as numbered migration steps, and the runner that
// applies them. Package schema picks it for a SQLite database.
package sqlite

import (
	"context"
	"log/slog"

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
}

// Migrate brings the schema of db up to date. It is safe to call on every
// open; applied steps are recorded by version in stockroom_migrations. It
// tells logger (when not nil), at debug level, of each step it applies: on
// a large library a step that builds an index can take a minute, and the
// server may want to say why it is busy.
func Migrate(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	return steps.Apply(ctx, db, "TIMESTAMP", migrations, logger)
}
