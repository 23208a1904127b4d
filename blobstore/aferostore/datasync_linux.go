package aferostore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

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
// to do. A single file needs no such hint.
func syncData(fds map[int]struct{}) error {
	if len(fds) > 1 {
		for fd := range fds {
			unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE) // a hint; fdatasync is the sync
		}
	}
	var errs []error
	for fd := range fds {
		if err := unix.Fdatasync(fd); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openAnon opens a new anonymous file (O_TMPFILE) in TempDir of the host,
// or returns nil where there is none: no LocalDir, or a filesystem or
// kernel without O_TMPFILE, or no /proc to name it by (see linkAnon).
func (s *Store) openAnon() *os.File {
	if s.LocalDir == "" || s.noAnon.Load() {
		return nil
	}
	if !s.tempMade.Load() {
		if err := s.fs.MkdirAll(TempDir, dirPerm); err != nil {
			return nil
		}
		s.tempMade.Store(true)
	}
	f, err := s.openAnonIn(TempDir)
	if errors.Is(err, fs.ErrNotExist) {
		s.tempMade.Store(false) // TempDir was removed; the named file path makes it again
	}
	return f
}

// openAnonIn opens a new anonymous file in dir, a directory of the store,
// which must exist (fs.ErrNotExist otherwise). It returns nil and no
// error where the host makes no anonymous files there (see openAnon).
func (s *Store) openAnonIn(dir string) (*os.File, error) {
	if s.LocalDir == "" || s.noAnon.Load() {
		return nil, nil
	}
	f, err := os.OpenFile(filepath.Join(s.LocalDir, filepath.FromSlash(dir)), os.O_RDWR|unix.O_TMPFILE, 0o600)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	default: // EOPNOTSUPP, EISDIR (no O_TMPFILE), EINVAL...
		s.noAnon.Store(true)
		return nil, nil
	}
	if !s.procChecked.Load() {
		if _, err := os.Stat(procFD(f)); err != nil {
			f.Close()
			s.noAnon.Store(true)
			return nil, nil
		}
		s.procChecked.Store(true)
	}
	return f, nil
}

// procFD is the name of f in /proc.
func procFD(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// linkAnon gives the anonymous file f the host name dst. A file already
// at dst is fs.ErrExist; a missing directory fs.ErrNotExist. Linking by
// the /proc name needs no privilege, unlike AT_EMPTY_PATH.
func linkAnon(f *os.File, dst string) error {
	if err := unix.Linkat(unix.AT_FDCWD, procFD(f), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: procFD(f), New: dst, Err: err}
	}
	return nil
}

// syncHostDir syncs the entries of the host directory dir, opened and
// closed by descriptor: an *os.File costs a poller registration, a
// finalizer and more system calls, for each sync of each upload. It
// reports false when dir cannot be opened, for the caller to try the
// afero.Fs.
func syncHostDir(dir string) bool {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Fsync(fd)
	unix.Close(fd)
	return true
}
