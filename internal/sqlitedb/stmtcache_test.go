package sqlitedb

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A connection's cached statement must give the right rows when the same
// text runs again while its first rows are still open (a nested read in
// one transaction), after an error, and across more texts than it keeps.
func TestStatementCacheServesRepeatsAndNestedQueries(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	exec(t, db.Writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	for i := range 10 {
		if _, err := db.Writer.DB.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, ?)", i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Reader.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = "SELECT id, v FROM t WHERE id >= ? ORDER BY id LIMIT 3"
	outer, err := tx.QueryContext(ctx, q, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var id int
		var v string
		if err := outer.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		// The same text while the outer rows are open.
		var inner string
		if err := tx.QueryRowContext(ctx, q, id+5).Scan(new(int), &inner); err != nil {
			t.Fatal(err)
		}
		got = append(got, v+"/"+inner)
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"v2/v7", "v3/v8", "v4/v9"}, got); diff != "" {
		t.Errorf("nested queries (-want +got):\n%s", diff)
	}
	// An error leaves the statement usable.
	if _, err := tx.QueryContext(ctx, "SELECT no_such_column FROM t WHERE id = ?", 1); err == nil {
		t.Error("a bad query succeeded")
	}
	for i := range 2 * maxConnStmts {
		var v string
		text := fmt.Sprintf("SELECT v FROM t WHERE id = ? AND %d = %d", i, i)
		if err := tx.QueryRowContext(ctx, text, i%10).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint("v", i%10); v != want {
			t.Fatalf("%s: got %q, want %q", text, v, want)
		}
	}
	var v string
	if err := tx.QueryRowContext(ctx, q, 9).Scan(new(int), &v); err != nil || v != "v9" {
		t.Errorf("after the cache filled: %q, %v", v, err)
	}
}
