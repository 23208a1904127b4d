package stockroom

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// BackupReport counts what Library.Backup did.
type BackupReport struct {
	Blobs   int   // blobs the snapshot refers to
	Copied  int   // of them, copied now
	Bytes   int64 // bytes copied
	Present int   // already in the destination from an earlier backup
	// Local counts blobs that are files of alternative filesystems,
	// which stay where they are and are not copied.
	Local int
	// Gone lists blobs the snapshot refers to that were removed before
	// they could be copied (their rows were deleted meanwhile) or that
	// are corrupt; verify of the backup reports them too.
	Gone []blobstore.Hash
}

// Backup writes a consistent copy of the library into the folder dest, laid
// out as a data folder (stockroom.db and files/), so that "stockroom verify"
// and "stockroom serve" work on it as they are. The database is a snapshot
// taken with VACUUM INTO while writers go on; then every blob the snapshot
// refers to is copied unless dest has it already, so a second backup into
// the same folder copies only new blobs. Only SQLite databases are backed
// up this way; PostgreSQL is backed up with its own tools.
func (l *Library) Backup(ctx context.Context, dest string) (*BackupReport, error) {
	const op = "stockroom.Library.Backup"
	db := l.Store.ReadDB()
	if db.Dialect().Name() != dialect.SQLite {
		return nil, fmt.Errorf("%s: the database is %s: back it up with its own tools", op, db.Dialect().Name())
	}
	if err := os.MkdirAll(filepath.Join(dest, filesDirName), 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	final := filepath.Join(dest, dbFileName)
	tmp := final + ".new"
	os.Remove(tmp)
	if err := vacuumInto(ctx, db.DB, tmp); err != nil {
		return nil, fmt.Errorf("%s: snapshot: %w", op, err)
	}
	if err := syncFile(tmp); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	snap, err := sql.Open(sqliteshim.ShimName, "file:"+tmp+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	hashes, local, err := snapshotHashes(ctx, snap)
	snap.Close()
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("%s: reading the snapshot: %w", op, err)
	}
	rep := &BackupReport{Blobs: len(hashes)}
	dst := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), filepath.Join(dest, filesDirName)))
	// Copies wait mostly on fsync: several at once.
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		work     = make(chan blobstore.Hash)
	)
	for range backupWorkers {
		wg.Go(func() {
			for h := range work {
				res, err := l.copyBlob(ctx, dst, h, local[h])
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case res == copyPresent:
					rep.Present++
				case res == copyLocal:
					rep.Local++
				case res == copyGone:
					rep.Gone = append(rep.Gone, h)
				default:
					rep.Copied++
					rep.Bytes += int64(res)
				}
				mu.Unlock()
			}
		})
	}
	for _, h := range hashes {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		work <- h
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return rep, fmt.Errorf("%s: %w", op, firstErr)
	}
	// The database goes in last: a backup interrupted before this keeps
	// the previous snapshot, whose blobs are all still there.
	if err := os.Rename(tmp, final); err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	return rep, syncDir(dest)
}

// vacuumInto writes a snapshot of the database to file with VACUUM INTO,
// which reads in one transaction: consistent while the writer commits. It
// runs on a reader, not to hold up writes, which must leave query_only
// for it (query_only refuses VACUUM INTO) and is discarded if it cannot
// become read-only again.
func vacuumInto(ctx context.Context, db *sql.DB, file string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only = 0"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", file)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA query_only = 1"); rerr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

const backupWorkers = 8

// Results of copyBlob other than the bytes copied.
const (
	copyPresent = -1 - iota // in the destination already
	copyLocal               // a file of an alternative filesystem
	copyGone                // removed since the snapshot, or corrupt
)

// copyBlob copies blob h into dst unless it is there, and returns the bytes
// copied or one of the copy constants.
func (l *Library) copyBlob(ctx context.Context, dst *aferostore.Store, h blobstore.Hash, local bool) (int64, error) {
	if _, err := dst.Stat(ctx, h); err == nil {
		return copyPresent, nil
	}
	f, err := l.Blobs.Open(ctx, h)
	if errors.Is(err, blobstore.ErrNotFound) {
		if local {
			return copyLocal, nil
		}
		return copyGone, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	res, err := dst.Put(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("copying %s: %w", h, err)
	}
	if res.Hash != h {
		// The source is corrupt: keep its bytes out of the backup.
		dst.Remove(ctx, res.Hash)
		return copyGone, nil
	}
	return res.Size, nil
}

// snapshotHashes lists the blobs the rows of a database refer to, and
// which of them are files of alternative filesystems.
func snapshotHashes(ctx context.Context, db *sql.DB) ([]blobstore.Hash, map[blobstore.Hash]bool, error) {
	var hashes []blobstore.Hash
	rows, err := db.QueryContext(ctx, `SELECT hash FROM resources WHERE hash <> '' UNION SELECT hash FROM resource_versions WHERE hash <> ''`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var h blobstore.Hash
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, nil, err
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	local := map[blobstore.Hash]bool{}
	rows, err = db.QueryContext(ctx, `SELECT DISTINCT hash FROM local_files`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h blobstore.Hash
		if err := rows.Scan(&h); err != nil {
			return nil, nil, err
		}
		local[h] = true
	}
	return hashes, local, rows.Err()
}

// Restore copies the backup in the folder src (see Library.Backup) into
// the data folder dataDir, which must be empty or not exist yet: restoring
// over a library would mix two of them. Run it with no server on dataDir.
func Restore(ctx context.Context, src, dataDir string) error {
	const op = "stockroom.Restore"
	if _, err := os.Stat(filepath.Join(src, dbFileName)); err != nil {
		return fmt.Errorf("%s: %s holds no backup: %w", op, src, err)
	}
	if list, err := os.ReadDir(dataDir); err == nil && len(list) > 0 {
		return fmt.Errorf("%s: %s is not empty: restore into an empty folder", op, dataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		// Leftovers of an interrupted backup are not part of it.
		if rel == dbFileName+".new" || rel == filepath.Join(filesDirName, aferostore.TempDir) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(dataDir, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		return copyFile(p, to)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return syncDir(dataDir)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes the entries of dir durable; best effort where a directory
// cannot be synced.
func syncDir(dir string) error {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
