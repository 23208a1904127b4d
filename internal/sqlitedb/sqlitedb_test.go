package sqlitedb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// openTest opens a database in a fresh temp dir and closes it at cleanup.
func openTest(tb testing.TB, opts Options) *DB {
	tb.Helper()
	if !opts.Memory && opts.Path == "" {
		opts.Path = filepath.Join(tb.TempDir(), "stockroom.db")
	}
	db, err := Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func exec(tb testing.TB, db bun.IDB, query string, args ...any) {
	tb.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

func count(tb testing.TB, db bun.IDB, table string) int {
	tb.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

type pragmas struct {
	ForeignKeys, QueryOnly, Synchronous, TempStore int
	JournalMode                                    string
	BusyTimeout                                    int64
}

// pragmasOf reads the pragmas of n distinct connections of a pool, held at
// the same time so that the pool cannot hand out one connection twice.
func pragmasOf(tb testing.TB, db *bun.DB, n int) []pragmas {
	tb.Helper()
	ctx := context.Background()
	var got []pragmas
	var conns []bun.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		conns = append(conns, c)
		var p pragmas
		for q, dst := range map[string]any{
			"PRAGMA foreign_keys": &p.ForeignKeys,
			"PRAGMA query_only":   &p.QueryOnly,
			"PRAGMA synchronous":  &p.Synchronous,
			"PRAGMA journal_mode": &p.JournalMode,
			"PRAGMA busy_timeout": &p.BusyTimeout,
			"PRAGMA temp_store":   &p.TempStore,
		} {
			if err := c.QueryRowContext(ctx, q).Scan(dst); err != nil {
				tb.Fatalf("%s: %v", q, err)
			}
		}
		got = append(got, p)
	}
	return got
}

func repeat[T any](v T, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestPragmas(t *testing.T) {
	db := openTest(t, Options{ReaderConns: 3, BusyTimeout: 2500 * time.Millisecond})
	// synchronous: 1 is NORMAL; temp_store: 2 is MEMORY, 0 the default.
	if diff := cmp.Diff(repeat(pragmas{ForeignKeys: 1, Synchronous: 1, TempStore: 2, JournalMode: "wal", BusyTimeout: 2500}, 1), pragmasOf(t, db.Writer, 1)); diff != "" {
		t.Errorf("writer pragmas (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(repeat(pragmas{ForeignKeys: 1, QueryOnly: 1, Synchronous: 1, JournalMode: "wal", BusyTimeout: 2500}, 3), pragmasOf(t, db.Reader, 3)); diff != "" {
		t.Errorf("reader pragmas (-want +got):\n%s", diff)
	}
	if got := db.Writer.DB.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
	if got := db.Reader.DB.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("reader MaxOpenConnections = %d, want 3", got)
	}
}

func TestDefaults(t *testing.T) {
	o := withDefaults(Options{})
	if o.BusyTimeout != DefaultBusyTimeout || o.CheckpointInterval != DefaultCheckpointInterval ||
		o.ReaderConns < DefaultMinReaderConns || o.Logger == nil {
		t.Errorf("withDefaults(Options{}) = %+v", o)
	}
	if o := withDefaults(Options{CheckpointInterval: -1}); o.CheckpointInterval >= 0 {
		t.Errorf("negative CheckpointInterval became %v", o.CheckpointInterval)
	}
}

func TestDSN(t *testing.T) {
	o := withDefaults(Options{})
	w := dsn("file:///x.db", o, roleWriter)
	if want := "file:///x.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_pragma=temp_store(2)&_pragma=wal_autocheckpoint(0)"; w != want {
		t.Errorf("writer DSN = %q, want %q", w, want)
	}
	// The writer checkpoints as it commits whenever the checkpointer
	// does not do it in the background.
	for _, o := range []Options{{SyncFull: true}, {CheckpointInterval: -1}, {CheckpointFrames: -1}} {
		if w := dsn("file:///x.db", withDefaults(o), roleWriter); strings.Contains(w, "wal_autocheckpoint") {
			t.Errorf("writer DSN of %+v = %q, want SQLite's automatic checkpoint", o, w)
		}
	}
	if c := dsn("file:///x.db", o, roleCheckpointer); strings.Contains(c, "query_only") || !strings.Contains(c, "synchronous(NORMAL)") {
		t.Errorf("checkpointer DSN = %q", c)
	}
	if r := dsn("file:///x.db", o, roleReader); !strings.HasSuffix(r, "&_pragma=query_only(1)&_pragma=mmap_size(1073741824)&_pragma=cache_size(-65536)") || strings.Contains(r, "_txlock") {
		t.Errorf("reader DSN = %q", r)
	}
	o.NoMmap = true
	if r := dsn("file:///x.db", o, roleReader); !strings.HasSuffix(r, "&_pragma=query_only(1)&_pragma=cache_size(-65536)") {
		t.Errorf("reader DSN without mmap = %q", r)
	}
}

func TestFileURIEscapes(t *testing.T) {
	// A '?' or '#' in a directory name must not start the query.
	dir := filepath.Join(t.TempDir(), "odd?name #1 %20")
	path := filepath.Join(dir, "db.sqlite")
	db := openTest(t, Options{Path: path})
	exec(t, db.Writer, "CREATE TABLE t (x)")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
}

func TestOpenCreatesParentDirectories(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "c", "stockroom.db")
	openTest(t, Options{Path: path})
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(context.Background(), Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open without Path = %v, want ErrInvalid", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(context.Background(), Options{Path: filepath.Join(file, "db.sqlite")}); err == nil {
		db.Close()
		t.Errorf("Open under a regular file succeeded")
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(context.Background(), Options{Path: notDB}); err == nil {
		db.Close()
		t.Errorf("Open of a non-database file succeeded")
	}
}

func TestVerifyRejectsMissingPragmas(t *testing.T) {
	// A DSN the driver did not understand (another driver, a typo) leaves
	// SQLite's defaults in place; Open must notice instead of carrying on.
	path := filepath.Join(t.TempDir(), "plain.db")
	sqldb, err := sql.Open(sqliteshim.ShimName, path)
	if err != nil {
		t.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1) // the PRAGMA below must reach the connection verify reads
	plain := bun.NewDB(sqldb, sqlitedialect.New())
	defer plain.Close()
	err = verify(context.Background(), plain, withDefaults(Options{Path: path}), false)
	if err == nil || !strings.Contains(err.Error(), "foreign_keys") {
		t.Errorf("verify(plain connection) = %v, want a foreign_keys error", err)
	}
	exec(t, plain, "PRAGMA foreign_keys = ON")
	err = verify(context.Background(), plain, withDefaults(Options{Path: path}), false)
	if err == nil || !strings.Contains(err.Error(), "journal_mode") {
		t.Errorf("verify(rollback journal) = %v, want a journal_mode error", err)
	}
}

func TestReaderCannotWrite(t *testing.T) {
	db := openTest(t, Options{})
	exec(t, db.Writer, "CREATE TABLE t (x INTEGER)")
	exec(t, db.Writer, "INSERT INTO t VALUES (1)")
	ctx := context.Background()
	for _, q := range []string{"INSERT INTO t VALUES (2)", "DELETE FROM t", "CREATE TABLE u (y)", "DROP TABLE t"} {
		if _, err := db.Reader.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "readonly") {
			t.Errorf("reader %s: err = %v, want a read-only error", q, err)
		}
	}
	if n := count(t, db.Reader, "t"); n != 1 {
		t.Errorf("count = %d, want 1", n)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	for _, memory := range []bool{false, true} {
		db := openTest(t, Options{Memory: memory})
		exec(t, db.Writer, "CREATE TABLE parent (id INTEGER PRIMARY KEY)")
		exec(t, db.Writer, "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))")
		if _, err := db.Writer.ExecContext(context.Background(), "INSERT INTO child (parent_id) VALUES (42)"); err == nil {
			t.Errorf("memory=%v: insert with a dangling foreign key succeeded", memory)
		}
	}
}

func TestReadersSeeCommittedDataWhileWriterIsInATransaction(t *testing.T) {
	db := openTest(t, Options{ReaderConns: 4})
	exec(t, db.Writer, "CREATE TABLE t (x INTEGER)")
	exec(t, db.Writer, "INSERT INTO t VALUES (1)")
	ctx := context.Background()

	tx, err := db.Writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := 2; i <= 10; i++ {
		exec(t, tx, "INSERT INTO t VALUES (?)", i)
	}
	if n := count(t, tx, "t"); n != 10 {
		t.Fatalf("inside the tx count = %d, want 10", n)
	}

	// In WAL mode readers neither block nor see the open transaction.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var n int
			if err := db.Reader.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
				errs <- err
			} else if n != 1 {
				errs <- errors.New("reader saw uncommitted rows")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db.Reader, "t"); n != 10 {
		t.Errorf("after commit reader count = %d, want 10", n)
	}
}

// readThenWrite runs n transactions, each of which reads the current
// maximum and inserts the next number: the pattern that fails with
// "database is locked" under deferred transactions.
func readThenWrite(ctx context.Context, db *bun.DB, n int) error {
	for range n {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var last int
			if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(n), 0) FROM seq").Scan(&last); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO seq (n) VALUES (?)", last+1)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func checkSeq(tb testing.TB, db *bun.DB, want int) {
	tb.Helper()
	var n, maxN, distinct int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*), max(n), count(DISTINCT n) FROM seq").Scan(&n, &maxN, &distinct); err != nil {
		tb.Fatal(err)
	}
	if n != want || maxN != want || distinct != want {
		tb.Errorf("seq has %d rows, max %d, %d distinct; want %d of each (lost or interleaved updates)", n, maxN, distinct, want)
	}
}

func TestConcurrentWriteTransactions(t *testing.T) {
	db := openTest(t, Options{})
	exec(t, db.Writer, "CREATE TABLE seq (n INTEGER NOT NULL UNIQUE)")
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() { errs <- readThenWrite(ctx, db.Writer, 200) })
	}
	// Readers keep reading meanwhile.
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for range 2 {
		rg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := db.Reader.QueryRowContext(ctx, "SELECT count(*) FROM seq").Scan(&n); err != nil {
					t.Errorf("reader: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	checkSeq(t, db.Reader, 400)
}

// Two DBs on one file stand in for two processes: each has its own writer
// connection, so only BEGIN IMMEDIATE and busy_timeout keep them apart.
func TestTwoWritersOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openTest(t, Options{Path: path})
	b := openTest(t, Options{Path: path})
	exec(t, a.Writer, "CREATE TABLE seq (n INTEGER NOT NULL UNIQUE)")
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, db := range []*DB{a, b} {
		wg.Go(func() { errs <- readThenWrite(ctx, db.Writer, 100) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	checkSeq(t, b.Reader, 200)
}

func TestMemory(t *testing.T) {
	a := openTest(t, Options{Memory: true})
	b := openTest(t, Options{Memory: true})
	if diff := cmp.Diff(repeat(pragmas{ForeignKeys: 1, Synchronous: 2, TempStore: 2, JournalMode: "memory", BusyTimeout: 10000}, 1), pragmasOf(t, a.Writer, 1)); diff != "" {
		t.Errorf("writer pragmas (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(repeat(pragmas{ForeignKeys: 1, QueryOnly: 1, Synchronous: 2, JournalMode: "memory", BusyTimeout: 10000}, 2), pragmasOf(t, a.Reader, 2)); diff != "" {
		t.Errorf("reader pragmas (-want +got):\n%s", diff)
	}

	exec(t, a.Writer, "CREATE TABLE t (x INTEGER)")
	exec(t, a.Writer, "INSERT INTO t VALUES (1), (2)")
	if n := count(t, a.Reader, "t"); n != 2 {
		t.Errorf("reader count = %d, want 2", n)
	}
	if _, err := b.Reader.ExecContext(context.Background(), "SELECT * FROM t"); err == nil {
		t.Errorf("second memory database sees the first one's table")
	}
	exec(t, b.Writer, "CREATE TABLE t (y TEXT)")
	if n := count(t, b.Reader, "t"); n != 0 {
		t.Errorf("second database count = %d, want 0", n)
	}
	if _, err := a.Reader.ExecContext(context.Background(), "INSERT INTO t VALUES (3)"); err == nil {
		t.Errorf("memory reader could write")
	}

	// Drop every pooled connection: the database must survive.
	for _, p := range []*bun.DB{a.Writer, a.Reader} {
		p.DB.SetMaxIdleConns(0)
		p.DB.SetMaxIdleConns(1)
	}
	if got := a.Writer.DB.Stats().OpenConnections + a.Reader.DB.Stats().OpenConnections; got != 0 {
		t.Fatalf("%d pooled connections still open", got)
	}
	if n := count(t, a.Reader, "t"); n != 2 {
		t.Errorf("after the pools closed their connections count = %d, want 2", n)
	}
}

func TestMemoryConcurrentUse(t *testing.T) {
	db := openTest(t, Options{Memory: true})
	exec(t, db.Writer, "CREATE TABLE seq (n INTEGER NOT NULL UNIQUE)")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 2 {
		wg.Go(func() { errs <- readThenWrite(ctx, db.Writer, 100) })
		wg.Go(func() {
			for range 100 {
				var n int
				if err := db.Reader.QueryRowContext(ctx, "SELECT count(*) FROM seq").Scan(&n); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkSeq(t, db.Reader, 200)
}

func TestCloseTruncatesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stockroom.db")
	db, err := Open(context.Background(), Options{Path: path, CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db.Writer, "CREATE TABLE t (x BLOB)")
	for range 50 {
		exec(t, db.Writer, "INSERT INTO t VALUES (randomblob(4096))")
	}
	if n := count(t, db.Reader, "t"); n != 50 {
		t.Fatalf("count = %d", n)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("WAL before Close: %v, %v; want a non-empty file", fi, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.Reader.ExecContext(context.Background(), "SELECT 1"); err == nil {
		t.Errorf("reader usable after Close")
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL after Close is %d bytes, want 0 or absent", fi.Size())
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Error(err)
	}

	// Everything reached the main file.
	db = openTest(t, Options{Path: path})
	if n := count(t, db.Reader, "t"); n != 50 {
		t.Errorf("after reopen count = %d, want 50", n)
	}
}

// syncBuffer is a bytes.Buffer safe for the checkpointer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCheckpointer: the checkpointer checkpoints what is left after an
// interval, on its own connection or (SyncFull) on the writer.
func TestCheckpointer(t *testing.T) {
	t.Run("background", func(t *testing.T) { testCheckpointer(t, false) })
	t.Run("writer", func(t *testing.T) { testCheckpointer(t, true) })
}

func testCheckpointer(t *testing.T, syncFull bool) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db := openTest(t, Options{CheckpointInterval: 10 * time.Millisecond, Logger: logger, SyncFull: syncFull})
	if background := db.checkpointer != nil; background == syncFull {
		t.Fatalf("checkpoints in the background: %v, with SyncFull %v", background, syncFull)
	}
	exec(t, db.Writer, "CREATE TABLE t (x BLOB)")
	for range 20 {
		exec(t, db.Writer, "INSERT INTO t VALUES (randomblob(1000))")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "mode=PASSIVE") {
		if time.Now().After(deadline) {
			t.Fatalf("no passive checkpoint logged; logs:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "component=sqlitedb") {
		t.Errorf("logs lack the component attribute:\n%s", logs.String())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "mode=TRUNCATE busy=false") {
		t.Errorf("no clean final checkpoint logged:\n%s", logs.String())
	}
}

func TestCheckpointerDisabled(t *testing.T) {
	db := openTest(t, Options{CheckpointInterval: -1})
	if db.stopCheckpointer != nil {
		t.Errorf("checkpointer started although disabled")
	}
	if mem := openTest(t, Options{Memory: true}); mem.stopCheckpointer != nil {
		t.Errorf("checkpointer started for a memory database")
	}
}

// TestSyncFull: SyncFull sets synchronous=FULL (2) on the writer and every
// reader.
func TestSyncFull(t *testing.T) {
	db := openTest(t, Options{ReaderConns: 2, SyncFull: true})
	for _, p := range append(pragmasOf(t, db.Writer, 1), pragmasOf(t, db.Reader, 2)...) {
		if p.Synchronous != 2 {
			t.Errorf("PRAGMA synchronous = %d, want 2 (FULL)", p.Synchronous)
		}
	}
}

// autocheckpoint reads the writer's PRAGMA wal_autocheckpoint.
func autocheckpoint(tb testing.TB, db *DB) int {
	tb.Helper()
	var n int
	if err := db.Writer.QueryRowContext(context.Background(), "PRAGMA wal_autocheckpoint").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestWriterDoesNotCheckpoint: by default the writer's automatic
// checkpoint is off and the checkpointer has a connection of its own;
// with SyncFull the writer keeps SQLite's.
func TestWriterDoesNotCheckpoint(t *testing.T) {
	db := openTest(t, Options{})
	if n := autocheckpoint(t, db); n != 0 {
		t.Errorf("writer's wal_autocheckpoint = %d, want 0", n)
	}
	if db.checkpointer == nil || db.wal == nil {
		t.Errorf("no background checkpointer")
	}
	full := openTest(t, Options{SyncFull: true})
	if n := autocheckpoint(t, full); n != 1000 {
		t.Errorf("writer's wal_autocheckpoint with SyncFull = %d, want 1000", n)
	}
	if full.checkpointer != nil || full.writeback != nil {
		t.Errorf("background checkpointer with SyncFull")
	}
}

// TestWALIndexFrames: the frames read off the WAL index are those that
// SQLite's checkpoint reports, before and after it copies them.
func TestWALIndexFrames(t *testing.T) {
	// The checkpointer never finds enough to do.
	db := openTest(t, Options{CheckpointInterval: time.Hour, CheckpointFrames: 1 << 30})
	exec(t, db.Writer, "CREATE TABLE t (x BLOB)")
	for range 10 {
		exec(t, db.Writer, "INSERT INTO t VALUES (randomblob(6000))")
	}
	total, copied, err := db.wal.frames()
	if err != nil {
		t.Fatal(err)
	}
	if total < 20 || copied != 0 {
		t.Errorf("before a checkpoint: %d frames, %d copied; want 20 or more, none copied", total, copied)
	}
	st, err := db.checkpoint(context.Background(), db.Writer, "PASSIVE")
	if err != nil {
		t.Fatal(err)
	}
	if st.logFrames != int(total) || st.checkpointed != int(total) {
		t.Errorf("checkpoint of %d frames reported %+v", total, st)
	}
	if total2, copied2, err := db.wal.frames(); err != nil || total2 != total || copied2 != total {
		t.Errorf("after the checkpoint: %d frames, %d copied, %v; want %d, %d", total2, copied2, err, total, total)
	}
}

// TestWALIndexUnreadable: an index of another layout is refused rather
// than misread.
func TestWALIndexUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	if _, err := openWALIndex(path); err == nil {
		t.Errorf("opened a missing WAL index")
	}
	if err := os.WriteFile(path+"-shm", make([]byte, 32768), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openWALIndex(path); err == nil || !strings.Contains(err.Error(), "version 0") {
		t.Errorf("openWALIndex of zeros: %v, want a version error", err)
	}
}

// TestBackgroundCheckpointBoundsWAL: under writes without a pause, with
// the writer never checkpointing as it commits, the checkpointer keeps
// the WAL file within a few times CheckpointFrames (here 64 frames of
// 4 KiB); left alone it would grow past 40 MiB.
func TestBackgroundCheckpointBoundsWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stockroom.db")
	db := openTest(t, Options{Path: path, CheckpointFrames: 64})
	exec(t, db.Writer, "CREATE TABLE t (x BLOB)")
	var largest int64
	start := time.Now()
	for i := range 5000 {
		exec(t, db.Writer, "INSERT INTO t VALUES (randomblob(6000))")
		if i%50 == 0 {
			fi, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			largest = max(largest, fi.Size())
		}
	}
	t.Logf("5000 commits in %v; largest WAL %d KiB", time.Since(start), largest>>10)
	if limit := int64(8 << 20); largest > limit {
		t.Errorf("WAL grew to %d bytes, want at most %d", largest, limit)
	}
}
