package dbtx_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

func newDB(t *testing.T) dbtest.DB {
	t.Helper()
	db := dbtest.Open(t)
	if _, err := db.Writer.ExecContext(context.Background(), "CREATE TABLE dbtx_t (id BIGINT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return db
}

func values(t *testing.T, db dbtest.DB) []string {
	t.Helper()
	var vs []string
	if err := db.Writer.NewRaw("SELECT v FROM dbtx_t ORDER BY id").Scan(context.Background(), &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func insert(ctx context.Context, tx dbtx.Tx, id int, v string) error {
	// One statement through bun and one with bound arguments.
	if _, err := tx.NewRaw("INSERT INTO dbtx_t (id, v) VALUES (?, ?)", id, v).Exec(ctx); err != nil {
		return err
	}
	text := "UPDATE dbtx_t SET v = v || ? WHERE id = ?"
	if dbtest.OnPostgres() {
		text = "UPDATE dbtx_t SET v = v || $1 WHERE id = $2"
	}
	_, err := tx.SQL().ExecContext(ctx, text, "!", id)
	return err
}

// A write that returns nil is committed; one that fails or panics leaves
// nothing, and the connection goes back to the pool outside any
// transaction: the next writes commit.
func TestWriteCommitsOrRollsBack(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	if err := dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error { return insert(ctx, tx, 1, "a") }); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("failed")
	err := dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error {
		if err := insert(ctx, tx, 2, "b"); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Errorf("a failing write returned %v, want its error", err)
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the write's panic", p)
			}
		}()
		dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error {
			if err := insert(ctx, tx, 3, "c"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	// A statement that fails inside the transaction.
	err = dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error {
		if err := insert(ctx, tx, 4, "d"); err != nil {
			return err
		}
		return insert(ctx, tx, 1, "duplicate")
	})
	if err == nil {
		t.Error("a write whose statement failed succeeded")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := dbtx.Write(canceled, db.Writer, func(ctx context.Context, tx dbtx.Tx) error { return insert(ctx, tx, 5, "e") }); !errors.Is(err, context.Canceled) {
		t.Errorf("a write with a cancelled context returned %v, want context.Canceled", err)
	}
	for i := range 3 {
		if err := dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error { return insert(ctx, tx, 10+i, fmt.Sprint(i)) }); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"a!", "0!", "1!", "2!"}, values(t, db)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// Writes of a Group that wait for one another share a transaction, and
// one that fails fails alone.
func TestGroupWrites(t *testing.T) {
	db := newDB(t)
	g := dbtx.NewGroup(db.Writer)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			errs[i] = g.Write(ctx, func(ctx context.Context, tx dbtx.Tx) error {
				if i%5 == 4 {
					if err := insert(ctx, tx, 100+i, "doomed"); err != nil {
						return err
					}
					return fmt.Errorf("write %d fails", i)
				}
				return insert(ctx, tx, i, fmt.Sprint(i))
			})
		})
	}
	wg.Wait()
	var want []string
	for i, err := range errs {
		if (err != nil) != (i%5 == 4) {
			t.Errorf("write %d: %v", i, err)
		}
		if i%5 != 4 {
			want = append(want, fmt.Sprint(i, "!"))
		}
	}
	if diff := cmp.Diff(want, values(t, db)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestWriteStartsNoGoroutines: a write transaction whose context cannot be
// cancelled (a Group's) starts no goroutine. A database/sql Tx watched
// its own context with one, and every query in it with another.
func TestWriteStartsNoGoroutines(t *testing.T) {
	dbtest.SkipOnPostgres(t, "pgx watches contexts in its own way")
	db := newDB(t)
	ctx := context.WithoutCancel(context.Background())
	write := func(i int) {
		err := dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error {
			var n int
			if err := tx.SQL().QueryRowContext(ctx, "SELECT count(*) FROM dbtx_t WHERE id < ?", i).Scan(&n); err != nil {
				return err
			}
			return insert(ctx, tx, i, fmt.Sprint(n))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	const rounds = 10
	before := goroutinesCreated()
	for i := range rounds {
		write(i + 1)
	}
	// Below one per round: another part of the process may start one.
	if n := goroutinesCreated() - before; n >= rounds {
		t.Errorf("%d write transactions started %d goroutines, want none", rounds, n)
	}
}

func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestWriteCancelledAroundBegin cancels writes at every moment around
// their BEGIN: however it ends, the connection goes back to the pool
// outside a transaction, so the next write can begin (a connection left
// inside one would fail every later BEGIN, and keep a checkpoint from
// ending).
func TestWriteCancelledAroundBegin(t *testing.T) {
	db := newDB(t)
	bg := context.Background()
	writes := 400
	if dbtest.OnPostgres() {
		writes = 80 // each costs PostgreSQL a round trip or two
	}
	for i := range writes {
		ctx, cancel := context.WithTimeout(bg, time.Duration(i%40)*time.Microsecond)
		dbtx.Write(ctx, db.Writer, func(ctx context.Context, tx dbtx.Tx) error { return insert(ctx, tx, 1000+i, "x") })
		cancel()
		if err := dbtx.Write(bg, db.Writer, func(context.Context, dbtx.Tx) error { return nil }); err != nil {
			t.Fatalf("after write %d was cancelled: %v", i, err)
		}
	}
}

// TestRollbackWithoutTransaction: a ROLLBACK that finds no transaction
// keeps the connection, with its cache and statements (a temporary table
// lives as long as its connection); one inside a transaction ends it.
func TestRollbackWithoutTransaction(t *testing.T) {
	dbtest.SkipOnPostgres(t, "SQLite's single writer connection is what is kept")
	db := newDB(t)
	ctx := context.Background()
	conn, err := db.Writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE conn_marker (x)"); err != nil {
		t.Fatal(err)
	}
	dbtx.Rollback(ctx, conn.Conn)
	conn.Close()
	if _, err := db.Writer.ExecContext(ctx, "SELECT count(*) FROM temp.conn_marker"); err != nil {
		t.Errorf("the connection was discarded: %v", err)
	}
	if conn, err = db.Writer.Conn(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	dbtx.Rollback(ctx, conn.Conn)
	conn.Close()
	if err := dbtx.Write(ctx, db.Writer, func(context.Context, dbtx.Tx) error { return nil }); err != nil {
		t.Errorf("a write after the rollback: %v", err)
	}
}
