package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/internal/migratedb"
	"github.com/stockroomhq/stockroom/internal/pgdb"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
)

// runMigrateDB copies the SQLite library of a data folder into an empty
// PostgreSQL database: stockroom migrate-db -to postgres://...
// The blobs stay where they are; serve the copy with -db-type POSTGRES and
// the same -file-save-path.
func runMigrateDB(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate-db", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	dataDir := fs.String("data-dir", env("STOCKROOM_DATA_DIR", stockroom.DefaultDataDir), "the data folder of the SQLite library (STOCKROOM_DATA_DIR)")
	from := fs.String("db-dsn", "", "the SQLite database file; default <data-dir>/stockroom.db")
	to := fs.String("to", "", "the PostgreSQL database to copy into, postgres://user@host:port/database (it must hold no resources)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(out, "usage: stockroom migrate-db [flags] -to postgres://...\n\nflags:\n")
			fs.SetOutput(out)
			fs.PrintDefaults()
			return nil
		}
		return &usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case !pgdb.IsDSN(*to):
		return &usageError{"-to: want a postgres:// URL of the database to copy into"}
	}
	path := dsnPath(*from)
	if path == "" {
		path = filepath.Join(*dataDir, "stockroom.db")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("migrate-db: the SQLite library: %w", err)
	}
	src, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: path})
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	defer src.Close()
	// The copy is of the newest schema: bring an older library up first.
	if err := resources.Migrate(ctx, src.Writer); err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	dst, err := pgdb.Open(ctx, *to)
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	defer dst.Close()
	counts, err := migratedb.Copy(ctx, src.Reader, dst)
	if err != nil {
		return err
	}
	for _, t := range migratedb.Tables {
		if counts[t] > 0 {
			fmt.Fprintf(out, "%s\t%d\n", t, counts[t])
		}
	}
	fmt.Fprintf(out, "copied %d resources into PostgreSQL; the blobs stay in place\n", counts["resources"])
	return nil
}
