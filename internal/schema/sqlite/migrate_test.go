package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
)

// TestMigrateUpgrades checks that a database at an earlier step (as a
// library created by an older release is) gets exactly the steps it lacks,
// each logged at debug level before and after, and that the steps it had
// are neither run again nor recorded twice.
func TestMigrateUpgrades(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	all := migrations
	migrations = all[:3]
	err = Migrate(ctx, db.Writer, nil)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	// A row the backfills of steps 4 and 5 must leave alone, and that a
	// second run of step 1 would fail on (its tables exist).
	if _, err := db.Writer.ExecContext(ctx, `INSERT INTO resources (created_at, updated_at, name, original_name, hash, hash_type, location)
		VALUES ('2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', 'old', 'old.txt', 'h', 'SHA256', 'l')`); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "took" {
			return slog.Attr{}
		}
		return a
	}}))
	if err := Migrate(ctx, db.Writer, logger); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	var steps []int
	for _, m := range migrations {
		steps = append(steps, m.Version)
	}
	for _, v := range steps[3:] {
		fmt.Fprintf(&want, "level=DEBUG msg=\"updating the database schema\" step=%d\n", v)
		fmt.Fprintf(&want, "level=DEBUG msg=\"updated the database schema\" step=%d\n", v)
	}
	if diff := cmp.Diff(want.String(), buf.String()); diff != "" {
		t.Errorf("log of the upgrade (-want +got):\n%s", diff)
	}
	var versions []int
	if err := db.Reader.NewRaw(`SELECT version FROM stockroom_migrations ORDER BY version`).Scan(ctx, &versions); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(steps, versions); diff != "" {
		t.Errorf("recorded steps (-want +got):\n%s", diff)
	}
	// Step 5 backfilled the original name of the existing row.
	var n int
	if err := db.Reader.NewRaw(`SELECT count(*) FROM resources_original_name_fts WHERE resources_original_name_fts MATCH 'old'`).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows of the original-name index match the existing row, want 1", n)
	}
}

// TestMigrateKeepsTemporaryFilesOnDisk checks that the steps run with
// temp_store FILE, where a step that rewrites every row of a large
// library keeps its journal, and that the writer gets back its
// temp_store MEMORY afterwards.
func TestMigrateKeepsTemporaryFilesOnDisk(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all := migrations
	migrations = append(all[:len(all):len(all)], migration{Version: 1000,
		DDL: `CREATE TABLE temp_store_seen AS SELECT temp_store FROM pragma_temp_store`})
	err = Migrate(ctx, db.Writer, nil)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	var during, after int
	if err := db.Writer.QueryRowContext(ctx, `SELECT temp_store FROM temp_store_seen`).Scan(&during); err != nil {
		t.Fatal(err)
	}
	if err := db.Writer.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	// 1 is FILE, 2 MEMORY.
	if during != 1 || after != 2 {
		t.Errorf("temp_store %d during the steps and %d after them, want 1 and 2", during, after)
	}
}
