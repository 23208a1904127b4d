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
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// migration is one step of the schema, applied once, in its own
// transaction. Never edit an applied step: add one.
type migration struct {
	version int
	ddl     string
}

var migrations = []migration{
	{1, migrationCore},
	{2, migrationSearch},
	{3, migrationMedia},
	{4, migrationJobs},
	{5, migrationDays},
	{6, migrationOrder},
	{7, migrationTrigramStats},
	{8, migrationTagOrder},
	{9, migrationOrderDescription},
	{10, migrationFold},
	{11, migrationOrderOriginal},
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
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stockroom_migrations (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return err
	}
	for _, step := range migrations {
		if strings.TrimSpace(step.ddl) == "" {
			continue
		}
		version := step.version
		err := conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM stockroom_migrations WHERE version = ?`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			start := time.Now()
			if logger != nil {
				logger.Debug("updating the database schema", "step", version)
			}
			if _, err := tx.ExecContext(ctx, step.ddl); err != nil {
				return err
			}
			if logger != nil {
				logger.Debug("updated the database schema", "step", version, "took", time.Since(start).Round(time.Millisecond))
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO stockroom_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UTC())
			return err
		})
		if err != nil {
			return fmt.Errorf("step %d: %w", version, err)
		}
	}
	return nil
}
