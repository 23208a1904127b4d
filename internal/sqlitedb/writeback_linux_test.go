package sqlitedb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dirtyPages counts the pages of the file at path that the page cache
// holds unwritten.
func dirtyPages(tb testing.TB, path string) uint64 {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var st unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{}, &st, 0); err != nil {
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			tb.Skipf("no cachestat (Linux 6.5): %v", err)
		}
		tb.Fatal(err)
	}
	return st.Dirty
}

// TestWALWrittenEarly: the checkpointer has the WAL's pages written as
// they are committed, long before a checkpoint would sync them (the
// kernel by itself waits some 30 s) and before it checkpoints at all.
func TestWALWrittenEarly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stockroom.db")
	db := openTest(t, Options{Path: path, CheckpointInterval: time.Hour, CheckpointFrames: 1 << 30})
	exec(t, db.Writer, "CREATE TABLE t (x BLOB)")
	for range 200 {
		exec(t, db.Writer, "INSERT INTO t VALUES (randomblob(6000))")
	}
	if _, copied, err := db.wal.frames(); err != nil || copied != 0 {
		t.Fatalf("frames copied: %d, %v; want none", copied, err)
	}
	wal := path + "-wal"
	deadline := time.Now().Add(10 * time.Second)
	for dirtyPages(t, wal) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d pages of the WAL still unwritten after 10 s", dirtyPages(t, wal))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
