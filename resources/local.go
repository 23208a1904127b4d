package resources

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/localfs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/uptrace/bun"
)

// LocalFiles is the localfs.Locator of the local_files table in db (the
// reader pool is fine; its schema must be migrated): the files recorded for
// a hash, those of a resource first, then the oldest. Give it to
// localfs.New, and the resulting store as Config.Blobs, to make AddLocal
// available.
func LocalFiles(db bun.IDB) localfs.Locator {
	return localfs.LocatorFunc(func(ctx context.Context, h blobstore.Hash) ([]localfs.Location, error) {
		var rows []struct {
			Key   string `bun:"storage_location"`
			Path  string `bun:"path"`
			Size  int64  `bun:"file_size"`
			ModNS int64  `bun:"mod_time_ns"`
			Inode int64  `bun:"inode"`
		}
		err := db.NewRaw(`SELECT storage_location, path, file_size, mod_time_ns, inode FROM local_files WHERE hash = ? ORDER BY resource_id IS NULL, created_at`, h.String()).Scan(ctx, &rows)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		locs := make([]localfs.Location, len(rows))
		for i, r := range rows {
			locs[i] = localfs.Location{Key: r.Key, Path: r.Path, Size: r.Size, ModNS: r.ModNS, Inode: uint64(r.Inode)}
		}
		return locs, nil
	})
}

// LocalInput describes a file to reference in place.
type LocalInput struct {
	// PathName is the key of the alternative filesystem.
	PathName string
	// LocalPath is the file's path inside it, relative to its root; a
	// leading "/" is its root too, never the host's.
	LocalPath string
	CreateInput
}

// AddLocal creates a resource for a file that stays where it is on an
// alternative filesystem: it is hashed and sniffed like an upload, and read
// from there whenever it is served. The same file added again returns the
// existing resource with existing true. Paths that leave the alternative
// filesystem's root (".." or symbolic links that point outside) are refused
// with ErrInvalid.
func (s *Store) AddLocal(ctx context.Context, in LocalInput) (res *Resource, existing bool, err error) {
	const op = "resources.AddLocal"
	lb, ok := s.blobs.(*localfs.Store)
	if !ok || len(lb.Keys()) == 0 {
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("no alternative filesystem is configured on this server"))
	}
	key := strings.TrimSpace(in.PathName)
	if key == "" {
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("PathName is required"))
	}
	dir, ok := lb.Root(key)
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
	f, fi, err := localfs.OpenInRoot(dir, rel, lb.AllowHardLinks)
	if err != nil {
		if errors.Is(err, localfs.ErrHardLinked) {
			return nil, false, fmt.Errorf("%s: %w", op, invalidf("LocalPath %q has other hard links, which may lead outside %q; the server does not allow them", rel, key))
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, fmt.Errorf("%s: %w", op, &NotFoundError{Entity: "local file", Slug: key + ":" + rel})
		}
		if errors.Is(err, localfs.ErrNotRegular) {
			return nil, false, fmt.Errorf("%s: %w", op, invalidf("LocalPath %q is not a regular file", rel))
		}
		// Anything else is a path that leaves the root (a symbolic link
		// out of it) or one that cannot be read; neither says more.
		return nil, false, fmt.Errorf("%s: %w", op, invalidf("LocalPath %q cannot be opened inside %q: it may point outside it", rel, key))
	}
	defer f.Close()
	ident := localfs.IdentOf(fi)
	head := make([]byte, probe.HeadSize)
	h, size, err := hashReader(ctx, f, head)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", op, err)
	}
	up := &Upload{Hash: h, Size: size}
	up.ContentType = probe.Sniff(head[:min(int64(len(head)), size)])
	if probe.IsImage(up.ContentType) {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			if w, hh, ok := probe.Dimensions(f, up.ContentType); ok {
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
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
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
			key, rel, h.String(), size, id, now(), ident.ModNS, int64(ident.Inode))
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
	// A leading slash is the root of the alternative filesystem, as in the
	// spec's own example ("/data/existing-file.pdf"), never the host's.
	rel := filepath.FromSlash(strings.TrimLeft(p, `/\`))
	if filepath.IsAbs(rel) || filepath.VolumeName(rel) != "" {
		return "", invalidf("LocalPath %q is outside the alternative filesystem", p)
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
