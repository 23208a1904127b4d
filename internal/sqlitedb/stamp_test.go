package sqlitedb

import (
	"context"
	"testing"
	"time"
)

// TestStamp: a Stamp holds while nothing commits, and changes with every
// commit, whether of this DB's writer or of another process's connection,
// and across a checkpoint that restarts the WAL.
func TestStamp(t *testing.T) {
	ctx := context.Background()
	for _, sync := range []string{"normal", "full"} {
		t.Run(sync, func(t *testing.T) {
			opts := Options{CheckpointInterval: time.Hour, CheckpointFrames: 1 << 30}
			if sync == "full" {
				opts.SyncFull = true
			}
			db := openTest(t, opts)
			stamp := func() string {
				t.Helper()
				s, ok := db.Stamp()
				if !ok {
					t.Fatal("no stamp")
				}
				return s
			}
			exec(t, db.Writer, "CREATE TABLE t (x)")
			seen := map[string]string{}
			note := func(what string) {
				t.Helper()
				s := stamp()
				if prev, ok := seen[s]; ok {
					t.Fatalf("after %s: the stamp of %q", what, prev)
				}
				seen[s] = what
			}
			note("create")
			before := stamp()
			var n int
			if err := db.Reader.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if s := stamp(); s != before {
				t.Fatal("a read changed the stamp")
			}
			for i := range 3 {
				exec(t, db.Writer, "INSERT INTO t VALUES (?)", i)
				note("insert")
			}
			// Another process's commit: a DB of its own on the same file.
			other, err := Open(ctx, Options{Path: db.opts.Path, CheckpointInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			exec(t, other.Writer, "UPDATE t SET x = x + 1")
			note("another process's update")
			if err := other.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := db.checkpoint(ctx, db.Writer, "TRUNCATE"); err != nil {
				t.Fatal(err)
			}
			exec(t, db.Writer, "INSERT INTO t VALUES (9)")
			note("insert after the WAL restarted")
		})
	}
}

// TestStampNone: an in-memory database has no stamp, nor has a closed one.
func TestStampNone(t *testing.T) {
	if _, ok := openTest(t, Options{Memory: true}).Stamp(); ok {
		t.Error("in-memory database: a stamp")
	}
	db, err := Open(context.Background(), Options{Path: t.TempDir() + "/x.db"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := db.Stamp(); !ok {
		t.Fatal("no stamp while open")
	}
	db.Close()
	if _, ok := db.Stamp(); ok {
		t.Error("a stamp after Close")
	}
}
