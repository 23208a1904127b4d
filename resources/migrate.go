package resources

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/stockroomhq/stockroom/internal/schema"
	"github.com/uptrace/bun"
)

// Migrate brings the schema of db up to date. It is safe to call on every
// open; applied steps are recorded in stockroom_migrations. The schema
// itself is kept per dialect under internal/schema.
func Migrate(ctx context.Context, db *bun.DB) error {
	return MigrateLogged(ctx, db, nil)
}

// MigrateLogged is Migrate that tells logger (when not nil) of each step
// it applies, at debug level, before and after it runs: on a large library
// a step that builds an index can take a minute, and a server that says
// nothing meanwhile looks stuck, so a server may choose to show them.
func MigrateLogged(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	const op = "resources.Migrate"
	RegisterModels(db)
	if err := schema.Migrate(ctx, db, logger); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
