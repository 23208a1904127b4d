package sqlitedb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteTempFiles counts the open files of the process that are SQLite
// temporary files: SQLite deletes them as it opens them, so only /proc
// still names them.
func sqliteTempFiles(tb testing.TB) int {
	tb.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("no /proc to list open files: %v", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(filepath.Base(target), "etilqs_") {
			n++
		}
	}
	return n
}

// TestWriterJournalsInMemory checks that a statement of a write
// transaction that changes some hundreds of KB of pages, more than an
// upload does, keeps its journal in memory, where SQLite's default would
// have it in a temporary file past 64 KiB.
func TestWriterJournalsInMemory(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	// Rows of about 1 KB in a table with a unique index, so that an
	// UPDATE of many rows needs a statement journal (it may fail halfway
	// on the constraint).
	exec(t, db.Writer, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`)
	exec(t, db.Writer, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
		INSERT INTO t (id, v) SELECT i, i || '-' || hex(randomblob(500)) FROM n`)
	tx, err := db.Writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// A first statement, so that the second runs in a transaction that
	// has written already, and journals what it changes.
	exec(t, tx, `UPDATE t SET v = v || 'a' WHERE id = 1`)
	exec(t, tx, `UPDATE t SET v = v || 'b' WHERE id <= 300`)
	if got := sqliteTempFiles(t); got != 0 {
		t.Errorf("%d SQLite temporary files open in the transaction, want none", got)
	}
}
