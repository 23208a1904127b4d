package main

import (
	"strings"
	"testing"
)

// TestPostgresFlags checks which -db-type/-db-dsn pairs are refused, and
// that a refusal names what is wrong.
func TestPostgresFlags(t *testing.T) {
	cases := []struct {
		cfg     serveConfig
		wantErr string
		sqlite  string
		pg      string
	}{
		{cfg: serveConfig{dbType: "SQLITE", dbDSN: "x.db"}, sqlite: "x.db"},
		{cfg: serveConfig{dbType: "POSTGRES", dbDSN: "postgres://u@h/db"}, pg: "postgres://u@h/db"},
		{cfg: serveConfig{dbType: "postgres", dbDSN: "postgresql://u@h/db"}, pg: "postgresql://u@h/db"},
		{cfg: serveConfig{dbType: "POSTGRES", dbDSN: ""}, wantErr: "needs -db-dsn postgres://"},
		{cfg: serveConfig{dbType: "POSTGRES", dbDSN: "x.db"}, wantErr: "needs -db-dsn postgres://"},
		{cfg: serveConfig{dbType: "SQLITE", dbDSN: "postgres://u@h/db"}, wantErr: "add -db-type POSTGRES"},
		{cfg: serveConfig{dbType: "POSTGRES", dbDSN: "postgres://u@h/db", memoryDB: true}, wantErr: "-memory-db"},
		{cfg: serveConfig{dbType: "POSTGRES", dbDSN: "postgres://u@h/db", ephemeral: true}, wantErr: "-ephemeral"},
	}
	for _, c := range cases {
		err := c.cfg.checkPostgres()
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", c.cfg, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%+v: error %v, want one saying %q", c.cfg, err, c.wantErr)
		case c.wantErr == "":
			if got := c.cfg.sqlitePath(); got != c.sqlite {
				t.Errorf("%+v: sqlitePath %q, want %q", c.cfg, got, c.sqlite)
			}
			if got := c.cfg.postgresDSN(); got != c.pg {
				t.Errorf("%+v: postgresDSN %q, want %q", c.cfg, got, c.pg)
			}
		}
	}
}
