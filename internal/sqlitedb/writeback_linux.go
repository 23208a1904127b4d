package sqlitedb

import (
	"os"

	"golang.org/x/sys/unix"
)

// walWriteback starts the kernel writing the WAL's pages to disk as they
// are committed, without waiting for them. Under synchronous=NORMAL
// commits leave the WAL in the page cache, and the checkpoint's fsync
// then wrote all 16 MiB at once: every sync of the disk behind it (a
// small upload's, into the pack) waited for the burst.
type walWriteback struct{ f *os.File }

// openWALWriteback opens the WAL of the database at path, which an open
// connection has created; nil if it cannot, which only loses the early
// writes.
func openWALWriteback(path string) *walWriteback {
	f, err := os.Open(path + "-wal")
	if err != nil {
		return nil
	}
	return &walWriteback{f}
}

// start asks for the writing of every dirty page of the WAL. The pages
// are the file's, whichever descriptor names them.
func (w *walWriteback) start() {
	if w != nil {
		_ = unix.SyncFileRange(int(w.f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	}
}

func (w *walWriteback) Close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
}
