// Package sqlite holds Stockroom's schema for SQLite: the tables, indexes,
// triggers and backfills, as numbered migration steps, and the runner that
// applies them. Package schema picks it for a SQLite database.
package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// migration is one step of the schema. Steps are applied in order of
// version, each once, each in its own transaction; an empty step is skipped
// and not recorded, so a version can be reserved before its DDL is written.
// Never edit an applied step: add one.
type migration struct {
	version int
	ddl     string
}

var migrations = []migration{
	{1, migrationCore},
	{2, migrationSearch},
	{3, migrationMedia},
	{4, migrationIntake},
	{5, migrationSort},
	{6, migrationParity},
	{7, migrationAccess},
	{8, migrationLocalIdentity},
}

// Migrate brings the schema of db up to date. It is safe to call on every
// open; applied steps are recorded by version in stockroom_migrations. It
// tells logger (when not nil), at debug level, of each step it applies: on
// a large library a step that builds an index can take a minute, and the
// server may want to say why it is busy.
func Migrate(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stockroom_migrations (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return err
	}
	for _, step := range migrations {
		if strings.TrimSpace(step.ddl) == "" {
			continue
		}
		version := step.version
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
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
