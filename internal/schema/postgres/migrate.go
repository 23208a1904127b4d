// Package postgres holds Stockroom's schema for PostgreSQL as numbered
// migration steps, and the runner that applies them. It has the same tables
// and columns as the SQLite schema (internal/schema/sqlite), so that the
// same models and most of the same SQL serve both, but uses PostgreSQL's own
// means where SQLite needs side tables and triggers: trigram GIN indexes
// (pg_trgm) for substring searches, GIN over jsonb for meta, and the
// database's planner for lists (no planner tables).
package postgres

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
	{Version: 4, DDL: migrationJobs},
	{Version: 5, DDL: migrationDays},
	{Version: 6, DDL: migrationOrder},
	{Version: 7, DDL: migrationTrigramStats},
	{Version: 8, DDL: migrationTagOrder},
	{Version: 9, DDL: migrationOrderDescription},
	{Version: 10, DDL: migrationFold},
	{Version: 11, DDL: migrationOrderOriginal},
	{Version: 12, DDL: migrationMeta},
	{Version: 13, DDL: migrationCreatedRange},
	{Version: 14, DDL: migrationTagKey},
	{Version: 15, DDL: migrationNameOrder},
}

// lockKey is the advisory lock that serialises migrations when several
// servers start on one database at once.
const lockKey = 0x53746f636b // "Stock"

// Migrate brings the schema of db up to date; safe on every open and from
// several processes at once.
func Migrate(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, lockKey); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, lockKey)
	return steps.Apply(ctx, conn, "TIMESTAMPTZ", migrations, logger)
}
