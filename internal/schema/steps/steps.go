// Package steps applies a dialect's numbered schema steps and records them
// in stockroom_migrations; internal/schema/sqlite and internal/schema/postgres
// each hold their steps and call Apply.
package steps

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Step is one step of a schema. Steps are applied in order, each once, each
// in its own transaction; an empty step is skipped and not recorded, so a
// version can be reserved before its DDL is written. Never edit an applied
// step: add one.
type Step struct {
	Version int
	DDL     string
}

// Apply brings the schema of db (a database, or one connection of it) up
// to date with list. timestamp is the dialect's type of applied_at. It
// tells logger (when not nil), at debug level, of each step it applies: on
// a large library a step that builds an index can take a minute, and the
// server may want to say why it is busy.
func Apply(ctx context.Context, db bun.IDB, timestamp string, list []Step, logger *slog.Logger) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stockroom_migrations (
		version INTEGER PRIMARY KEY, applied_at `+timestamp+` NOT NULL)`); err != nil {
		return err
	}
	for _, step := range list {
		if strings.TrimSpace(step.DDL) == "" {
			continue
		}
		version := step.Version
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
			if _, err := tx.ExecContext(ctx, step.DDL); err != nil {
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
