// Package dbtest opens the databases of tests: SQLite in a temporary
// folder by default, or PostgreSQL when STOCKROOM_TEST_POSTGRES names a
// server (postgres://user@host:port/database). The same tests then run on
// either backend:
//
//	go test ./...                                            # SQLite
//	STOCKROOM_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test go test ./...
//
// Each PostgreSQL test gets a schema of its own in that database, dropped
// when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// EnvPostgres is the environment variable naming the PostgreSQL server of
// the tests.
const EnvPostgres = "STOCKROOM_TEST_POSTGRES"

// DB is an open test database: Writer takes writes, Reader reads. On
// PostgreSQL both are one pool.
type DB struct {
	Writer, Reader *bun.DB
	// Stamp is sqlitedb's DB.Stamp for resources.Config; nil on
	// PostgreSQL.
	Stamp func() (string, bool)
}

// OnPostgres reports that the tests run on PostgreSQL.
func OnPostgres() bool { return os.Getenv(EnvPostgres) != "" }

// Open opens an empty database for tb on the backend of the run, closed
// (and on PostgreSQL dropped) when tb ends. The schema is not migrated.
func Open(tb testing.TB) DB {
	tb.Helper()
	if OnPostgres() {
		db := openPostgres(tb, DSN(tb))
		return DB{Writer: db, Reader: db}
	}
	db, err := sqlitedb.Open(context.Background(), sqlitedb.Options{Path: filepath.Join(tb.TempDir(), "test.db")})
	if err != nil {
		tb.Fatalf("sqlitedb.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return DB{Writer: db.Writer, Reader: db.Reader, Stamp: db.Stamp}
}

// SkipOnPostgres skips a test of something only SQLite has (its planner,
// FTS5 tables, PRAGMAs, the database file), saying why.
func SkipOnPostgres(tb testing.TB, why string) {
	tb.Helper()
	if OnPostgres() {
		tb.Skip("SQLite only: " + why)
	}
}

// Postgres opens an empty PostgreSQL database for a test that needs one
// whatever the backend of the run; without STOCKROOM_TEST_POSTGRES the
// test is skipped.
func Postgres(tb testing.TB) *bun.DB {
	tb.Helper()
	return openPostgres(tb, DSN(tb))
}

// LibraryDSN is the DSN for stockroom.Options.PostgresDSN on PostgreSQL
// runs (an empty schema of tb's own), and "" on SQLite runs.
func LibraryDSN(tb testing.TB) string {
	tb.Helper()
	if !OnPostgres() {
		return ""
	}
	return DSN(tb)
}

var extOnce sync.Once

// DSN creates an empty schema for tb and returns the URL of the test
// server that uses it; without STOCKROOM_TEST_POSTGRES tb is skipped.
// The schema is dropped when tb ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		tb.Skipf("PostgreSQL test skipped: set %s to a server's URL (postgres://user@host:port/database) to run it", EnvPostgres)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	ctx := context.Background()
	// pg_trgm lives in public, shared by the schemas of all tests; the
	// lock keeps packages that start at once from racing to create it.
	var extErr error
	extOnce.Do(func() {
		_, extErr = admin.ExecContext(ctx, `SELECT pg_advisory_lock(7001);
			CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
			SELECT pg_advisory_unlock(7001)`)
	})
	if extErr != nil {
		tb.Fatalf("dbtest: creating pg_trgm: %v", extErr)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			tb.Logf("dbtest: dropping schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("dbtest: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", name+",public")
	if q.Get("sslmode") == "" && (strings.HasPrefix(u.Host, "127.0.0.1") || strings.HasPrefix(u.Host, "localhost")) {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(tb testing.TB, dsn string) *bun.DB {
	tb.Helper()
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	sqldb.SetMaxOpenConns(8)
	db := bun.NewDB(sqldb, pgdialect.New())
	// Registered before the schema's Cleanup runs (cleanups run last
	// first), so the pool is closed before its schema is dropped.
	tb.Cleanup(func() { db.Close() })
	return db
}

// Tables scans into names the tables of db's schema (not the database's
// own), on either backend.
func Tables(ctx context.Context, db bun.IDB, names *[]string) error {
	if db.Dialect().Name() == dialect.PG {
		return db.NewRaw(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`).Scan(ctx, names)
	}
	return db.NewRaw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).Scan(ctx, names)
}
