// Package localfs is the blob source of the alternative filesystems
// (-alt-fs key:path): directories of the host whose files are referenced in
// place, never copied into the blob store.
//
// It knows bytes and directories only. Which local file holds which content
// is recorded by the caller (resources keeps it in its local_files table)
// and handed in as a [Locator].
package localfs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stockroomhq/stockroom/blobstore"
)

// Location is a local file recorded as holding some content: the key of its
// alternative filesystem, its slash-separated path relative to that root,
// and its size when it was added.
type Location struct {
	Key  string
	Path string
	Size int64
	// ModNS (modification time, nanoseconds since the epoch) and Inode
	// are the file's identity when it was hashed; 0 means unknown, and
	// the file is hashed again before it is served.
	ModNS int64
	Inode uint64
}

// Ident is what a local file looks like on disk: a file whose identity is
// not the one recorded may hold other bytes, even at the same size.
type Ident struct {
	Size, ModNS int64
	Inode       uint64
}

// IdentOf returns the identity of a file from its FileInfo.
func IdentOf(fi fs.FileInfo) Ident {
	_, ino, _ := fileIdent(fi)
	return Ident{Size: fi.Size(), ModNS: fi.ModTime().UnixNano(), Inode: ino}
}

// Locator tells where content is referenced in place. Locate returns the
// local files recorded for h, the preferred first, and none (no error) when
// there are none.
type Locator interface {
	Locate(ctx context.Context, h blobstore.Hash) ([]Location, error)
}

// LocatorFunc adapts a function to a Locator.
type LocatorFunc func(ctx context.Context, h blobstore.Hash) ([]Location, error)

// Locate calls f.
func (f LocatorFunc) Locate(ctx context.Context, h blobstore.Hash) ([]Location, error) {
	return f(ctx, h)
}

// Store is a blob store that also reads content referenced in place on
// alternative filesystems: directories of the host, each known by a key
// (the -alt-fs key:path of the server). A local file is never copied into
// the blob store; the Locator says where its content is, and Open, Stat and
// Verify of that content read it from there.
//
// Everything that writes or deletes goes to the wrapped store only: Put,
// Remove and Walk never touch an alternative filesystem, so deleting a
// resource (or collecting garbage) can never delete a user's file.
//
// It is safe for concurrent use when the Locator is.
type Store struct {
	blobstore.Store
	locate Locator
	roots  map[string]string
	// AllowHardLinks serves files that have other hard links. By default
	// they are refused: a hard link inside a root may be the very file of
	// somewhere outside it, which the root's owner never meant to share.
	AllowHardLinks bool

	// verified holds the identity of local files found changed on disk
	// but hashed again to the same content (the Locator is read-only).
	verifiedMu sync.Mutex
	verified   map[string]Ident
}

var _ blobstore.Store = (*Store)(nil)

// New wraps blobs with the alternative filesystems roots (key to
// directory); loc says which local files hold which content.
func New(blobs blobstore.Store, roots map[string]string, loc Locator) *Store {
	r := make(map[string]string, len(roots))
	for k, v := range roots {
		r[k] = v
	}
	return &Store{Store: blobs, locate: loc, roots: r}
}

// Keys returns the keys of the alternative filesystems.
func (l *Store) Keys() []string {
	keys := make([]string, 0, len(l.roots))
	for k := range l.roots {
		keys = append(keys, k)
	}
	return keys
}

// Root returns the directory of the alternative filesystem key.
func (l *Store) Root(key string) (string, bool) {
	dir, ok := l.roots[key]
	return dir, ok
}

// Open implements blobstore.Opener: the blob store first, then the local
// file that holds content h.
func (l *Store) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	f, err := l.Store.Open(ctx, h)
	if err == nil || !errors.Is(err, blobstore.ErrNotFound) {
		return f, err
	}
	lf, _, _, err := l.openLocal(ctx, h)
	if err != nil {
		return nil, err
	}
	return lf, nil
}

// Stat implements blobstore.Stater like Open.
func (l *Store) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	info, err := l.Store.Stat(ctx, h)
	if err == nil || !errors.Is(err, blobstore.ErrNotFound) {
		return info, err
	}
	f, fi, _, err := l.openLocal(ctx, h)
	if err != nil {
		return blobstore.Info{}, err
	}
	f.Close()
	return blobstore.Info{Hash: h, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Verify implements blobstore.Verifier: a local file is re-read and hashed.
func (l *Store) Verify(ctx context.Context, h blobstore.Hash) error {
	err := l.Store.Verify(ctx, h)
	if err == nil || !errors.Is(err, blobstore.ErrNotFound) {
		return err
	}
	f, _, _, err := l.openLocal(ctx, h)
	if err != nil {
		return err
	}
	defer f.Close()
	got, err := hashFile(ctx, f)
	if err != nil {
		return fmt.Errorf("localfs.Store.Verify: %w", err)
	}
	if got != h {
		return fmt.Errorf("localfs.Store.Verify %s: %w: the referenced local file has changed", h, blobstore.ErrCorrupt)
	}
	return nil
}

// openLocal opens the local file recorded for h, and says which it is.
func (l *Store) openLocal(ctx context.Context, h blobstore.Hash) (*os.File, fs.FileInfo, Location, error) {
	const op = "localfs.Store.Open"
	notFound := fmt.Errorf("%s %s: %w", op, h, blobstore.ErrNotFound)
	if l.locate == nil {
		return nil, nil, Location{}, notFound
	}
	rows, err := l.locate.Locate(ctx, h)
	if err != nil {
		return nil, nil, Location{}, fmt.Errorf("%s: %w", op, err)
	}
	for _, row := range rows {
		dir, ok := l.roots[row.Key]
		if !ok {
			continue
		}
		f, fi, err := OpenInRoot(dir, row.Path, l.AllowHardLinks)
		if err != nil {
			continue
		}
		changed := fmt.Errorf("%s %s: %w: the referenced local file %s:%s has changed since it was added", op, h, blobstore.ErrCorrupt, row.Key, row.Path)
		if fi.Size() != row.Size {
			f.Close()
			return nil, nil, Location{}, changed
		}
		// Same size: the same file only if its time and inode are too;
		// otherwise its bytes are hashed again before they are served
		// under h.
		id := IdentOf(fi)
		if (Ident{row.Size, row.ModNS, row.Inode}) != id && !l.isVerified(row.Key, row.Path, id) {
			got, err := hashFile(ctx, f)
			if err == nil {
				_, err = f.Seek(0, io.SeekStart)
			}
			if err != nil || got != h {
				f.Close()
				if err != nil {
					return nil, nil, Location{}, fmt.Errorf("%s %s: %w", op, h, err)
				}
				return nil, nil, Location{}, changed
			}
			l.setVerified(row.Key, row.Path, id)
		}
		return f, fi, row, nil
	}
	return nil, nil, Location{}, notFound
}

func (l *Store) isVerified(key, rel string, id Ident) bool {
	l.verifiedMu.Lock()
	defer l.verifiedMu.Unlock()
	v, ok := l.verified[key+"\x00"+rel]
	return ok && v == id
}

func (l *Store) setVerified(key, rel string, id Ident) {
	l.verifiedMu.Lock()
	defer l.verifiedMu.Unlock()
	if l.verified == nil {
		l.verified = map[string]Ident{}
	}
	l.verified[key+"\x00"+rel] = id
}

// OpenInRoot opens the regular file rel inside dir. os.Root refuses any
// name that leaves dir, through "..", an absolute path or a symbolic link
// pointing outside, atomically with the open. A name that is not a regular
// file yields an error wrapping ErrNotRegular; a file with other hard links
// ErrHardLinked unless allowLinks, since such a link may lead outside dir.
func OpenInRoot(dir, rel string, allowLinks bool) (*os.File, fs.FileInfo, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, ErrNotRegular
	}
	if links, _, ok := fileIdent(fi); ok && links > 1 && !allowLinks {
		f.Close()
		return nil, nil, ErrHardLinked
	}
	return f, fi, nil
}

var (
	// ErrNotRegular reports a name that is not a regular file (a
	// directory, a device, ...).
	ErrNotRegular = errors.New("not a regular file")
	// ErrHardLinked reports a file with other hard links.
	ErrHardLinked = errors.New("the file has other hard links")
)

// The optional capabilities of the wrapped store pass through, so that
// wrapping does not hide them.
var (
	_ blobstore.DerivedStore = (*Store)(nil)
	_ blobstore.LocalPather  = (*Store)(nil)
)

func (l *Store) derived() (blobstore.DerivedStore, error) {
	ds, ok := l.Store.(blobstore.DerivedStore)
	if !ok {
		return nil, fmt.Errorf("localfs.Store: %w: the blob store keeps no derived files", errors.ErrUnsupported)
	}
	return ds, nil
}

// PutDerived implements blobstore.DerivedStore with the wrapped store: the
// derived files of local content live in the blob store too, never beside
// the user's file.
func (l *Store) PutDerived(ctx context.Context, h blobstore.Hash, name string, r io.Reader) error {
	ds, err := l.derived()
	if err != nil {
		return err
	}
	return ds.PutDerived(ctx, h, name, r)
}

// OpenDerived implements blobstore.DerivedStore with the wrapped store.
func (l *Store) OpenDerived(ctx context.Context, h blobstore.Hash, name string) (blobstore.File, error) {
	ds, err := l.derived()
	if err != nil {
		return nil, err
	}
	return ds.OpenDerived(ctx, h, name)
}

// RemoveDerived implements blobstore.DerivedStore with the wrapped store.
func (l *Store) RemoveDerived(ctx context.Context, h blobstore.Hash) error {
	ds, err := l.derived()
	if err != nil {
		return err
	}
	return ds.RemoveDerived(ctx, h)
}

// LocalPath implements blobstore.LocalPather: the wrapped store's path when
// the blob is there, else the host path of the local file that holds h.
func (l *Store) LocalPath(h blobstore.Hash) (string, bool) {
	lp, ok := l.Store.(blobstore.LocalPather)
	if ok {
		if p, ok := lp.LocalPath(h); ok {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	f, _, loc, err := l.openLocal(context.Background(), h)
	if err != nil {
		if ok {
			return lp.LocalPath(h)
		}
		return "", false
	}
	defer f.Close()
	// f.Name() is root-relative; resolve the location openLocal used and
	// keep it only if it still lies inside its root.
	key, rel := loc.Key, loc.Path
	dir, found := l.roots[key]
	if !found {
		return "", false
	}
	p, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", false
	}
	rootReal, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", false
	}
	if r, err := filepath.Rel(rootReal, p); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return p, true
}

// hashFile hashes r to EOF, checking ctx between reads.
func hashFile(ctx context.Context, r io.Reader) (blobstore.Hash, error) {
	hasher := sha256.New()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return blobstore.Hash{}, err
		}
		m, err := r.Read(buf)
		hasher.Write(buf[:m])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return blobstore.Hash{}, err
		}
	}
	var h blobstore.Hash
	hasher.Sum(h[:0])
	return h, nil
}
