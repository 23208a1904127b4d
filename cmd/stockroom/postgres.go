package main

import (
	"fmt"
	"strings"

	"github.com/stockroomhq/stockroom/internal/pgdb"
)

// postgres reports that the server keeps its library in PostgreSQL.
func (c *serveConfig) postgres() bool { return strings.EqualFold(c.dbType, "POSTGRES") }

// checkPostgres refuses a PostgreSQL server without a database URL, and
// the settings that only mean something for SQLite.
func (c *serveConfig) checkPostgres() error {
	if !c.postgres() {
		if pgdb.IsDSN(c.dbDSN) {
			return &usageError{fmt.Sprintf("-db-dsn %q is a PostgreSQL URL; add -db-type POSTGRES", c.dbDSN)}
		}
		return nil
	}
	switch {
	case !pgdb.IsDSN(c.dbDSN):
		return &usageError{"-db-type POSTGRES needs -db-dsn postgres://user@host:port/database"}
	case c.memoryDB:
		return &usageError{"-memory-db keeps a SQLite database in memory; it cannot be used with -db-type POSTGRES"}
	case c.ephemeral:
		return &usageError{"-ephemeral keeps a SQLite database in memory; it cannot be used with -db-type POSTGRES"}
	}
	return nil
}

// sqlitePath is the SQLite file of -db-dsn; "" for PostgreSQL.
func (c *serveConfig) sqlitePath() string {
	if c.postgres() {
		return ""
	}
	return dsnPath(c.dbDSN)
}

// postgresDSN is the PostgreSQL URL of -db-dsn; "" for SQLite.
func (c *serveConfig) postgresDSN() string {
	if !c.postgres() {
		return ""
	}
	return c.dbDSN
}
