package resources

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources/ingest"
	"github.com/uptrace/bun"
)

// LocalBlobs is a blob store that also reads content referenced in place on
// alternative filesystems: directories of the host, each known by a key
// (the -alt-fs key:path of the server). A local resource's file is never
// copied into the blob store; the local_files table records where its
// content is, and Open, Stat and Verify of that content read it from there.
//
// Everything that writes or deletes goes to the wrapped store only: Put,
// Remove and Walk never touch an alternative filesystem, so deleting a
// resource (or collecting garbage) can never delete a user's file.
//
// Give a LocalBlobs as Config.Blobs to make AddLocal available. It is safe
// for concurrent use.
type LocalBlobs struct {
	blobstore.Store
	db    bun.IDB
	roots map[string]string
	// AllowHardLinks serves files that have other hard links. By default
	// they are refused: a hard link inside a root may be the very file of
	// somewhere outside it, which the root's owner never meant to share.
	AllowHardLinks bool

	// verified holds the identity of local files found changed on disk
	// but re-hashed to the same content (the reader database cannot
	// record it).
	verifiedMu sync.Mutex
	verified   map[string]localIdent
}

// localIdent is what a local file looked like when it was hashed.
type localIdent struct {
	size, modNS int64
	inode       uint64
}

func identOf(fi fs.FileInfo) localIdent {
	_, ino, _ := fileIdent(fi)
	return localIdent{size: fi.Size(), modNS: fi.ModTime().UnixNano(), inode: ino}
}

var _ blobstore.Store = (*LocalBlobs)(nil)

// NewLocalBlobs wraps blobs with the alternative filesystems roots (key to
// directory). db is where the local_files table is read (the reader pool is
// fine); its schema must be migrated.
func NewLocalBlobs(blobs blobstore.Store, db bun.IDB, roots map[string]string) *LocalBlobs {
	r := make(map[string]string, len(roots))
	for k, v := range roots {
		r[k] = v
	}
	return &LocalBlobs{Store: blobs, db: db, roots: r}
}

// Keys returns the keys of the alternative filesystems.
func (l *LocalBlobs) Keys() []string {
	keys := make([]string, 0, len(l.roots))
	for k := range l.roots {
		keys = append(keys, k)
	}
	return keys
}

// Open implements blobstore.Opener: the blob store first, then the local
// file that holds content h.
func (l *LocalBlobs) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	f, err := l.Store.Open(ctx, h)
	if err == nil || !errors.Is(err, blobstore.ErrNotFound) {
		return f, err
	}
	lf, _, err := l.openLocal(ctx, h)
	if err != nil {
		return nil, err
	}
	return lf, nil
}

// Stat implements blobstore.Stater like Open.
func (l *LocalBlobs) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	info, err := l.Store.Stat(ctx, h)
	if err == nil || !errors.Is(err, blobstore.ErrNotFound) {
		return info, err
	}
	f, fi, err := l.openLocal(ctx, h)
	if err != nil {
		return blobstore.Info{}, err
	}
	f.Close()
	return blobstore.Info{Hash: h, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Verify implements blobstore.Verifier: a local file is re-read and hashed.
func (l *LocalBlobs) Verify(ctx context.Context, h blobstore.Hash) error {
	err := l.Store.Verify(ctx, h)
	if err == nil || !errors.Is(err, blobstore.ErrNotFound) {
		return err
	}
	f, _, err := l.openLocal(ctx, h)
	if err != nil {
		return err
	}
	defer f.Close()
	got, _, err := hashReader(ctx, f, nil)
	if err != nil {
		return fmt.Errorf("resources.LocalBlobs.Verify: %w", err)
	}
	if got != h {
		return fmt.Errorf("resources.LocalBlobs.Verify %s: %w: the referenced local file has changed", h, blobstore.ErrCorrupt)
	}
	return nil
}

// openLocal opens the local file recorded for h.
func (l *LocalBlobs) openLocal(ctx context.Context, h blobstore.Hash) (*os.File, fs.FileInfo, error) {
	const op = "resources.LocalBlobs.Open"
	notFound := fmt.Errorf("%s %s: %w", op, h, blobstore.ErrNotFound)
	var rows []struct {
		Key   string `bun:"storage_location"`
		Path  string `bun:"path"`
		Size  int64  `bun:"file_size"`
		ModNS int64  `bun:"mod_time_ns"`
		Inode int64  `bun:"inode"`
	}
	err := l.db.NewRaw(`SELECT storage_location, path, file_size, mod_time_ns, inode FROM local_files WHERE hash = ? ORDER BY resource_id IS NULL, created_at`, h.String()).Scan(ctx, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	for _, row := range rows {
		dir, ok := l.roots[row.Key]
		if !ok {
			continue
		}
		f, fi, err := openInRoot(dir, row.Path, l.AllowHardLinks)
		if err != nil {
			continue
		}
		changed := fmt.Errorf("%s %s: %w: the referenced local file %s:%s has changed since it was added", op, h, blobstore.ErrCorrupt, row.Key, row.Path)
		if fi.Size() != row.Size {
			f.Close()
			return nil, nil, changed
		}
		// Same size: the same file only if its time and inode are too;
		// otherwise its bytes are hashed again before they are served
		// under h.
		id := identOf(fi)
		if (localIdent{row.Size, row.ModNS, uint64(row.Inode)}) != id && !l.isVerified(row.Key, row.Path, id) {
			got, _, err := hashReader(ctx, f, nil)
			if err == nil {
				_, err = f.Seek(0, io.SeekStart)
			}
			if err != nil || got != h {
				f.Close()
				if err != nil {
					return nil, nil, fmt.Errorf("%s %s: %w", op, h, err)
				}
				return nil, nil, changed
			}
			l.setVerified(row.Key, row.Path, id)
		}
		return f, fi, nil
	}
	return nil, nil, notFound
}

func (l *LocalBlobs) isVerified(key, rel string, id localIdent) bool {
	l.verifiedMu.Lock()
	defer l.verifiedMu.Unlock()
	v, ok := l.verified[key+"\x00"+rel]
	return ok && v == id
}

func (l *LocalBlobs) setVerified(key, rel string, id localIdent) {
	l.verifiedMu.Lock()
	defer l.verifiedMu.Unlock()
	if l.verified == nil {
		l.verified = map[string]localIdent{}
	}
	l.verified[key+"\x00"+rel] = id
}

// openInRoot opens the regular file rel inside dir. os.Root refuses any
// name that leaves dir, through "..", an absolute path or a symbolic link
// pointing outside, atomically with the open. A file with other hard links
// is refused unless allowLinks: such a link may lead outside dir.
func openInRoot(dir, rel string, allowLinks bool) (*os.File, fs.FileInfo, error) {
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
		return nil, nil, errNotRegular
	}
	if links, _, ok := fileIdent(fi); ok && links > 1 && !allowLinks {
		f.Close()
		return nil, nil, errHardLinked
	}
	return f, fi, nil
}

var (
	errNotRegular = errors.New("not a regular file")
	errHardLinked = errors.New("the file has other hard links")
)

// LocalInput describes a file to reference in place.
type LocalInput struct {
	// PathName is the key of the alternative filesystem.
	PathName string
	// LocalPath is the file's path inside it: relative to its root, or
	// absolute inside its root.
	LocalPath string
	CreateInput
}

// AddLocal creates a resource for a file that stays where it is on an
// alternative filesystem: it is hashed and sniffed like an upload, and read
// from there whenever it is served. The same file added again returns the
// existing resource with existing true. Paths that leave the alternative
// filesystem's root ("..", absolute paths elsewhere, symbolic links that
// point outside) are refused with ErrInvalid.
func (s *Store) AddLocal(ctx context.Context, in LocalInput) (res *Resource, existing bool, err error) {
	const op = "resources.AddLocal"
	lb, ok := s.blobs.(*LocalBlobs)
	if !ok || len(lb.roots) == 0 {
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("no alternative filesystem is configured on this server"))
	}
	key := strings.TrimSpace(in.PathName)
	if key == "" {
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("PathName is required"))
	}
	dir, ok := lb.roots[key]
	if !ok {
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("unknown PathName %q", key))
	}
	rel, err := localRel(dir, in.LocalPath)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	}
	if id, err := s.localResourceID(ctx, s.rdb, key, rel); err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	} else if id != 0 {
		r, err := s.getWith(ctx, s.rdb, id)
		return r, true, err
	}
	if _, err := ParseMeta(in.Meta); err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	}
	f, fi, err := openInRoot(dir, rel, lb.AllowHardLinks)
	if err != nil {
		if errors.Is(err, errHardLinked) {
			return nil, false, fmt.Errorf("%s: %w", op, invalidf("LocalPath %q has other hard links, which may lead outside %q; the server does not allow them", rel, key))
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, fmt.Errorf("%s: %w", op, &NotFoundError{Entity: "local file", Slug: key + ":" + rel})
		}
		if errors.Is(err, errNotRegular) {
			return nil, false, fmt.Errorf("%s: %w", op, invalidf("LocalPath %q is not a regular file", rel))
		}
		// Anything else is a path that leaves the root (a symbolic link
		// out of it) or one that cannot be read; neither says more.
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("LocalPath %q cannot be opened inside %q: it may point outside it", rel, key))
	}
	defer f.Close()
	ident := identOf(fi)
	head := make([]byte, ingest.HeadSize)
	h, size, err := hashReader(ctx, f, head)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	}
	up := &Upload{Hash: h, Size: size}
	up.ContentType = ingest.Sniff(head[:min(int64(len(head)), size)])
	if ingest.IsImage(up.ContentType) {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			if w, hh, ok := ingest.Dimensions(f, up.ContentType); ok {
				up.Width, up.Height = w, hh
			}
		}
	}
	name := filepath.Base(filepath.FromSlash(rel))
	cin := in.CreateInput
	if strings.TrimSpace(cin.Name) == "" {
		cin.Name = name
	}
	if cin.OriginalName == "" {
		cin.OriginalName = name
	}
	if cin.OriginalLocation == "" {
		cin.OriginalLocation = rel
	}
	var id int64
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Added by someone else since the check above?
		prev, err := s.localResourceID(ctx, tx, key, rel)
		if err != nil || prev != 0 {
			id, existing = prev, prev != 0
			return err
		}
		id, err = s.createTx(ctx, tx, NewResource{Upload: up, CreateInput: cin})
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("resources").Where("id = ?", id).
			Set("storage_location = ?", key).Set("location = ?", rel).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("resource_versions").Where("resource_id = ?", id).
			Set("location = ?", rel).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO local_files (storage_location, path, hash, file_size, resource_id, created_at, mod_time_ns, inode)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (storage_location, path) DO UPDATE SET hash = excluded.hash, file_size = excluded.file_size,
				resource_id = excluded.resource_id, created_at = excluded.created_at,
				mod_time_ns = excluded.mod_time_ns, inode = excluded.inode`,
			key, rel, h.String(), size, id, now(), ident.modNS, int64(ident.inode))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	}
	r, err := s.getWith(ctx, s.db, id)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	}
	return r, existing, nil
}

// localResourceID returns the resource that references key:rel, or 0.
func (s *Store) localResourceID(ctx context.Context, db bun.IDB, key, rel string) (int64, error) {
	var id sql.NullInt64
	err := db.NewRaw(`SELECT resource_id FROM local_files WHERE storage_location = ? AND path = ?`, key, rel).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id.Int64, err
}

// localRel turns a LocalPath into a clean slash-separated path relative to
// dir, refusing any that would leave it by name. (Symbolic links are
// checked when the file is opened.)
func localRel(dir, p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", invalidf("LocalPath is required")
	}
	if strings.ContainsRune(p, 0) {
		return "", invalidf("LocalPath contains a NUL byte")
	}
	for _, elem := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' || r == filepath.Separator }) {
		if elem == ".." {
			return "", invalidf("LocalPath %q must not contain \"..\"", p)
		}
	}
	rel := filepath.FromSlash(p)
	if filepath.IsAbs(rel) {
		absDir, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		r, err := filepath.Rel(absDir, filepath.Clean(rel))
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
			return "", invalidf("LocalPath %q is outside the alternative filesystem", p)
		}
		rel = r
	}
	rel = filepath.Clean(rel)
	if rel == "." {
		return "", invalidf("LocalPath %q names the root, not a file", p)
	}
	return filepath.ToSlash(rel), nil
}

// hashReader hashes r to EOF, copying its first len(head) bytes into head.
func hashReader(ctx context.Context, r io.Reader, head []byte) (blobstore.Hash, int64, error) {
	hasher := sha256.New()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return blobstore.Hash{}, 0, err
		}
		m, err := r.Read(buf)
		if m > 0 {
			if n < int64(len(head)) {
				copy(head[n:], buf[:m])
			}
			hasher.Write(buf[:m])
			n += int64(m)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return blobstore.Hash{}, 0, err
		}
	}
	var h blobstore.Hash
	hasher.Sum(h[:0])
	return h, n, nil
}

// The optional capabilities of the wrapped store pass through, so that
// wrapping does not hide them.
var (
	_ blobstore.DerivedStore = (*LocalBlobs)(nil)
	_ blobstore.LocalPather  = (*LocalBlobs)(nil)
)

func (l *LocalBlobs) derived() (blobstore.DerivedStore, error) {
	ds, ok := l.Store.(blobstore.DerivedStore)
	if !ok {
		return nil, fmt.Errorf("resources.LocalBlobs: %w: the blob store keeps no derived files", errors.ErrUnsupported)
	}
	return ds, nil
}

// PutDerived implements blobstore.DerivedStore with the wrapped store: the
// derived files of local content live in the blob store too, never beside
// the user's file.
func (l *LocalBlobs) PutDerived(ctx context.Context, h blobstore.Hash, name string, r io.Reader) error {
	ds, err := l.derived()
	if err != nil {
		return err
	}
	return ds.PutDerived(ctx, h, name, r)
}

// OpenDerived implements blobstore.DerivedStore with the wrapped store.
func (l *LocalBlobs) OpenDerived(ctx context.Context, h blobstore.Hash, name string) (blobstore.File, error) {
	ds, err := l.derived()
	if err != nil {
		return nil, err
	}
	return ds.OpenDerived(ctx, h, name)
}

// RemoveDerived implements blobstore.DerivedStore with the wrapped store.
func (l *LocalBlobs) RemoveDerived(ctx context.Context, h blobstore.Hash) error {
	ds, err := l.derived()
	if err != nil {
		return err
	}
	return ds.RemoveDerived(ctx, h)
}

// LocalPath implements blobstore.LocalPather: the wrapped store's path when
// the blob is there, else the host path of the local file that holds h.
func (l *LocalBlobs) LocalPath(h blobstore.Hash) (string, bool) {
	lp, ok := l.Store.(blobstore.LocalPather)
	if ok {
		if p, ok := lp.LocalPath(h); ok {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	f, _, err := l.openLocal(context.Background(), h)
	if err != nil {
		if ok {
			return lp.LocalPath(h)
		}
		return "", false
	}
	defer f.Close()
	// f.Name() is root-relative; resolve it the same way openLocal did and
	// keep it only if it still lies inside its root.
	var key, rel string
	_ = l.db.NewRaw(`SELECT storage_location, path FROM local_files WHERE hash = ? ORDER BY resource_id IS NULL, created_at LIMIT 1`, h.String()).
		Scan(context.Background(), &key, &rel)
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
