// Package pgdb opens a PostgreSQL database for Stockroom: bun's PostgreSQL
// dialect over pgx's database/sql driver.
package pgdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// IsDSN reports whether dsn names a PostgreSQL database (a postgres:// or
// postgresql:// URL).
func IsDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database of dsn and checks that it answers. Unlike
// SQLite, one pool serves reads and writes: PostgreSQL runs concurrent
// writers itself.
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("pgdb: connecting: %w", err)
	}
	return bun.NewDB(sqldb, pgdialect.New()), nil
}
