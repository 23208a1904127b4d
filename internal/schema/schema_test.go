package schema_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/schema"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	bunschema "github.com/uptrace/bun/schema"
)

// otherDialect is SQLite's dialect under another name: a database of a
// dialect without a schema, over a real connection.
type otherDialect struct{ bunschema.Dialect }

func (otherDialect) Name() dialect.Name { return dialect.MSSQL }

func open(t *testing.T) *sqlitedb.DB {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), sqlitedb.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tables(t *testing.T, db *sqlitedb.DB) []string {
	t.Helper()
	var names []string
	err := db.Reader.NewRaw(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).Scan(context.Background(), &names)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestMigrateSQLite checks that a SQLite database gets the SQLite schema,
// its steps recorded by the numbers every existing database has, and that
// the steps are logged at debug level only: the library is quiet.
func TestMigrateSQLite(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil)) // info and above
	if err := schema.Migrate(ctx, db.Writer, logger); err != nil {
		t.Fatal(err)
	}
	var versions []int
	if err := db.Reader.NewRaw(`SELECT version FROM stockroom_migrations ORDER BY version`).Scan(ctx, &versions); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, versions); diff != "" {
		t.Errorf("recorded steps (-want +got):\n%s", diff)
	}
	if buf.Len() != 0 {
		t.Errorf("an info logger was told:\n%s", buf.String())
	}
	if got := len(tables(t, db)); got < 20 {
		t.Errorf("%d tables after Migrate", got)
	}
}

// TestMigrateUnknownDialect checks that a database of a dialect without a
// schema gets an error that names the dialect, and is left untouched.
func TestMigrateUnknownDialect(t *testing.T) {
	db := open(t)
	other := bun.NewDB(db.Writer.DB, otherDialect{db.Writer.Dialect()})
	err := schema.Migrate(context.Background(), other, nil)
	if err == nil || !strings.Contains(err.Error(), "mssql") {
		t.Fatalf("Migrate on mssql = %v, want an error naming the dialect", err)
	}
	if got := tables(t, db); len(got) != 0 {
		t.Errorf("tables after a refused Migrate: %q", got)
	}
}
