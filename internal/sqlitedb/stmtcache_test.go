package sqlitedb

import (
	"context"
	"fmt"
	"strings"
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

// Prepared counts a text with arguments once per connection; one without
// arguments on its first two runs, kept from the second; one that holds a
// ; on every run; and texts without arguments that do not repeat never
// take a place in the cache.
func TestPreparedCountsParses(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	exec(t, db.Writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	run := func(text string, args ...any) int64 {
		t.Helper()
		before := Prepared()
		for i := range 5 {
			if _, err := db.Writer.DB.ExecContext(ctx, text, args...); err != nil {
				t.Fatalf("%s (%d): %v", text, i, err)
			}
		}
		return Prepared() - before
	}
	if n := run("INSERT OR REPLACE INTO t (id, v) VALUES (?, ?)", 1, "a"); n != 1 {
		t.Errorf("5 execs of a text with arguments prepared %d statements, want 1", n)
	}
	if n := run("INSERT OR REPLACE INTO t (id, v) VALUES (2, 'b')"); n != 2 {
		t.Errorf("5 execs of a text without arguments prepared %d statements, want 2", n)
	}
	if n := run("INSERT OR REPLACE INTO t (id, v) VALUES (3, 'c'); INSERT OR REPLACE INTO t (id, v) VALUES (4, 'd')"); n != 5 {
		t.Errorf("5 execs of two statements in one text prepared %d statements, want 5", n)
	}
	long := "INSERT OR REPLACE INTO t (id, v) VALUES (5, '" + strings.Repeat("x", maxRecurringText) + "')"
	if n := run(long); n != 5 {
		t.Errorf("5 execs of a text longer than %d bytes prepared %d statements, want 5", maxRecurringText, n)
	}
	if got := count(t, db.Writer, "t"); got != 5 {
		t.Errorf("%d rows, want 4", got)
	}
	// Texts without arguments that each run once, more than the cache
	// and the memory of single runs hold: none is kept.
	for i := range maxConnStmts + maxSeenOnce + 10 {
		var v int
		if err := db.Writer.DB.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&v); err != nil || v != i {
			t.Fatalf("SELECT %d: %d, %v", i, v, err)
		}
	}
	conn, err := db.Writer.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c := dc.(*cachingConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.stmts) != 2 {
			t.Errorf("the connection keeps %d statements, want the 2 that recurred", len(c.stmts))
		}
		if len(c.seenOnce) > maxSeenOnce {
			t.Errorf("the connection remembers %d texts run once, over %d", len(c.seenOnce), maxSeenOnce)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
