package aferostore

import (
	"errors"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// fdOf returns the descriptor of a host file under f, if it has one.
func fdOf(f afero.File) (int, bool) {
	if b, ok := f.(*afero.BasePathFile); ok {
		f = b.File
	}
	if h, ok := f.(interface{ Fd() uintptr }); ok {
		return int(h.Fd()), true
	}
	return 0, false
}

// syncData makes the data of the files fds durable. It starts the
// writeback of all of them before waiting on any, so that their blocks are
// allocated together and, on a journaling filesystem, one commit records
// them all: the fdatasyncs after the first then mostly find nothing left
// to do.
func syncData(fds map[int]struct{}) error {
	for fd := range fds {
		unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE) // a hint; fdatasync is the sync
	}
	var errs []error
	for fd := range fds {
		if err := unix.Fdatasync(fd); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
