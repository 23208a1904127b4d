// Package schema brings a database's schema up to date with the migrations
// of its dialect. Each dialect keeps its DDL and numbered steps in a
// package of its own below this one (sqlite, postgres); this package only chooses.
package schema

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/stockroomhq/stockroom/internal/schema/postgres"
	"github.com/stockroomhq/stockroom/internal/schema/sqlite"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Migrate applies the steps of db's dialect that db lacks, logging each at
// debug level to logger when it is not nil. A dialect without a schema is
// an error that names it.
func Migrate(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	switch name := db.Dialect().Name(); name {
	case dialect.SQLite:
		return sqlite.Migrate(ctx, db, logger)
	case dialect.PG:
		return postgres.Migrate(ctx, db, logger)
	default:
		return fmt.Errorf("no schema for the %s dialect yet", name)
	}
}
