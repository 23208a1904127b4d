package resources

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
// The DDL is SQLite's; a PostgreSQL list will sit beside it, selected by the
// dialect, when that backend arrives. Never edit an applied step: add one.
type migration struct {
	version int
	ddl     string
}

var sqliteMigrations = []migration{
	{1, migrationCore},
	{2, migrationSearch},
	{3, migrationMedia},
	{4, migrationIntake},
	{5, migrationSort},
	{6, migrationLocalIdentity},
}

// migrationCore is the core schema: resources, versions, the entities and
// the join tables.
const migrationCore = `CREATE TABLE categories (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE "groups" (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		url TEXT NOT NULL DEFAULT '',
		meta TEXT NOT NULL DEFAULT '{}',
		owner_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL
	);
	CREATE INDEX groups_owner_id ON "groups"(owner_id);
	CREATE INDEX groups_category_id ON "groups"(category_id);
	CREATE INDEX groups_name ON "groups"(name);
	CREATE TABLE tags (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL UNIQUE,
		description TEXT NOT NULL DEFAULT '',
		meta TEXT NOT NULL DEFAULT '{}'
	);
	CREATE TABLE resource_categories (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		meta_schema TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE series (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		slug TEXT NOT NULL UNIQUE,
		meta TEXT NOT NULL DEFAULT '{}'
	);
	CREATE TABLE notes (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		meta TEXT NOT NULL DEFAULT '{}',
		owner_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		start_date TIMESTAMP,
		end_date TIMESTAMP
	);
	CREATE INDEX notes_owner_id ON notes(owner_id);
	CREATE TABLE resources (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL DEFAULT '',
		description TEXT NOT NULL DEFAULT '',
		original_name TEXT NOT NULL DEFAULT '',
		original_location TEXT NOT NULL DEFAULT '',
		hash TEXT NOT NULL,
		hash_type TEXT NOT NULL,
		location TEXT NOT NULL,
		storage_location TEXT,
		meta TEXT NOT NULL DEFAULT '{}',
		width INTEGER NOT NULL DEFAULT 0,
		height INTEGER NOT NULL DEFAULT 0,
		file_size INTEGER NOT NULL DEFAULT 0,
		category TEXT NOT NULL DEFAULT '',
		content_type TEXT NOT NULL DEFAULT '',
		content_category TEXT NOT NULL DEFAULT '',
		owner_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		resource_category_id INTEGER REFERENCES resource_categories(id) ON DELETE SET NULL,
		series_id INTEGER REFERENCES series(id) ON DELETE SET NULL,
		current_version_id INTEGER
	);
	CREATE INDEX resources_hash ON resources(hash);
	CREATE INDEX resources_created_at ON resources(created_at, id);
	CREATE INDEX resources_owner_id ON resources(owner_id);
	CREATE INDEX resources_resource_category_id ON resources(resource_category_id);
	CREATE INDEX resources_series_id ON resources(series_id);
	CREATE INDEX resources_content_type ON resources(content_type);
	CREATE TABLE resource_versions (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		version_number INTEGER NOT NULL,
		hash TEXT NOT NULL,
		hash_type TEXT NOT NULL,
		file_size INTEGER NOT NULL,
		content_type TEXT NOT NULL DEFAULT '',
		width INTEGER NOT NULL DEFAULT 0,
		height INTEGER NOT NULL DEFAULT 0,
		location TEXT NOT NULL,
		comment TEXT NOT NULL DEFAULT '',
		created_at TIMESTAMP NOT NULL,
		UNIQUE (resource_id, version_number)
	);
	CREATE INDEX resource_versions_hash ON resource_versions(hash);
	CREATE TABLE resource_tags (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
		PRIMARY KEY (resource_id, tag_id)
	);
	CREATE INDEX resource_tags_tag ON resource_tags(tag_id, resource_id);
	CREATE TABLE groups_related_resources (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		group_id INTEGER NOT NULL REFERENCES "groups"(id) ON DELETE CASCADE,
		PRIMARY KEY (resource_id, group_id)
	);
	CREATE INDEX groups_related_resources_group ON groups_related_resources(group_id, resource_id);
	CREATE TABLE resource_notes (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
		PRIMARY KEY (resource_id, note_id)
	);
	CREATE INDEX resource_notes_note ON resource_notes(note_id, resource_id);
	CREATE TABLE group_tags (
		group_id INTEGER NOT NULL REFERENCES "groups"(id) ON DELETE CASCADE,
		tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
		PRIMARY KEY (group_id, tag_id)
	);
	CREATE INDEX group_tags_tag ON group_tags(tag_id, group_id);
	CREATE TABLE note_tags (
		note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
		tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
		PRIMARY KEY (note_id, tag_id)
	);
	CREATE INDEX note_tags_tag ON note_tags(tag_id, note_id);
	CREATE TABLE groups_related_notes (
		note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
		group_id INTEGER NOT NULL REFERENCES "groups"(id) ON DELETE CASCADE,
		PRIMARY KEY (note_id, group_id)
	);
	CREATE INDEX groups_related_notes_group ON groups_related_notes(group_id, note_id);`

// Migrate brings the schema of db up to date. It is safe to call on every
// open; applied steps are recorded in stockroom_migrations.
func Migrate(ctx context.Context, db *bun.DB) error {
	return MigrateLogged(ctx, db, nil)
}

// MigrateLogged is Migrate that tells logger (when not nil) of each step
// it applies: on a large library a step that builds an index can take a
// minute, and a server that says nothing meanwhile looks stuck.
func MigrateLogged(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	const op = "resources.Migrate"
	RegisterModels(db)
	if name := db.Dialect().Name().String(); name != "sqlite" {
		return fmt.Errorf("%s: no schema for dialect %q yet", op, name)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stockroom_migrations (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, step := range sqliteMigrations {
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
				logger.Info("updating the database schema", "step", version)
			}
			if _, err := tx.ExecContext(ctx, step.ddl); err != nil {
				return err
			}
			if logger != nil {
				logger.Info("updated the database schema", "step", version, "took", time.Since(start).Round(time.Millisecond))
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO stockroom_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UTC())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: step %d: %w", op, version, err)
		}
	}
	return nil
}
