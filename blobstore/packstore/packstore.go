// Package packstore keeps small blobs in one SQLite file, in front of a
// store of files that keeps the rest.
//
// Why: a small blob made durable as a file of its own costs the disk two
// cache flushes (the file's data, then the journal commit that names it),
// and grouping such files saves journal commits but not flushes, since
// each file's data is flushed on its own. A commit to a write-ahead log
// that is overwritten in place costs one flush, and one commit covers
// every Put that arrived while the one before ran (group commit). On a
// disk without FUA that halves the wait of a small upload, and with
// several clients it is shared.
//
// The pack is its own database, synchronous=FULL: a Put that returns is
// on disk, as a file of the store behind would be. It knows bytes only;
// which blob belongs to which resource is recorded elsewhere.
package packstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
)

// DefaultSmall is the largest content a Store keeps in its pack unless
// Options say otherwise. A page of thumbnails, an icon, a short document
// fit; photographs go to the files.
const DefaultSmall = 64 << 10

// FileName is the usual name of the pack in the folder of the files
// (the Walk of aferostore skips it: it is not a blob's path).
const FileName = "smallblobs.db"

// ErrClosed reports a call made after Close.
var ErrClosed = errors.New("packstore: closed")

// Large is the store behind the pack: the files of a folder, with their
// derived files and host paths (aferostore.Store with a LocalDir). Its
// Walk must visit blobs in ascending hash order, as aferostore's does.
type Large interface {
	blobstore.Store
	blobstore.DerivedStore
	blobstore.LocalPather
	// WalkDerived lists the derived files (for gc).
	WalkDerived(ctx context.Context, fn func(h blobstore.Hash, name string, size int64, modTime time.Time) error) error
	// CleanTemp removes what interrupted Puts left (for gc and serve).
	CleanTemp(ctx context.Context, olderThan time.Duration) error
}

// Options configure Open.
type Options struct {
	// Small is the largest content kept in the pack; larger content goes
	// to the store behind. Zero means DefaultSmall; negative, that no
	// new content goes into the pack, which still serves what it holds
	// (a folder that was given up on packing).
	Small int
	// MaxSize is the largest content Put accepts into the pack, as
	// aferostore.Store.MaxSize (the store behind bounds its own). Zero
	// means no limit.
	MaxSize int64
	// Logger receives the pack database's background reports. Nil
	// discards them.
	Logger *slog.Logger
}

var (
	_ blobstore.Store        = (*Store)(nil)
	_ blobstore.DerivedStore = (*Store)(nil)
	_ blobstore.LocalPather  = (*Store)(nil)
)

// Store is a blobstore.Store that keeps content of up to Options.Small
// bytes in a SQLite file and passes the rest to a Large store. Blobs the
// store behind already holds, of any size (stored before there was a
// pack), are found there and never copied. A Store is safe for concurrent
// use; Close it after use. The store behind stays the caller's.
type Store struct {
	large   Large
	small   int
	maxSize int64

	db   *sqlitedb.DB
	read *sql.DB // the pool of read-only connections

	insert, remove *sql.Stmt // on the writer

	// writes carries Puts and Removes to the committer, which commits
	// every one waiting in a single transaction. Unbuffered: a write the
	// committer received is one it commits.
	writes chan *write
	quit   chan struct{}
	done   chan struct{}
	// syncNormal is set while the writer commits with
	// synchronous=NORMAL (see commit); the committer's alone.
	syncNormal bool

	bufs sync.Pool // *[]byte of small+1 bytes

	recent recent

	closeOnce sync.Once
	closeErr  error

	// beforeCommit, when set (by tests), is called with each batch's
	// size before it is committed.
	beforeCommit func(n int)
}

// write is one Put or Remove waiting for the committer.
type write struct {
	hash    blobstore.Hash
	data    []byte // the content of a Put; nil for a Remove
	created bool
	err     error
	done    chan struct{}
}

// schema makes the pack. Columns before data keep a Stat, and Walk, on
// the row's first page; data spills to overflow pages read only by Open.
const schema = `CREATE TABLE IF NOT EXISTS blob (
	hash  BLOB    NOT NULL PRIMARY KEY,
	size  INTEGER NOT NULL,
	mtime INTEGER NOT NULL, -- Unix nanoseconds
	data  BLOB    NOT NULL
)`

// Open opens (creating when needed) the pack at path, in front of large.
func Open(ctx context.Context, path string, large Large, o Options) (*Store, error) {
	const op = "packstore.Open"
	if o.Small == 0 {
		o.Small = DefaultSmall
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: path, SyncFull: true, NoMmap: true, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s := &Store{
		large: large, small: o.Small, maxSize: o.MaxSize,
		db: db, read: db.Reader.DB,
		writes: make(chan *write), quit: make(chan struct{}), done: make(chan struct{}),
	}
	s.bufs.New = func() any { b := make([]byte, max(s.small, 0)+1); return &b }
	w := db.Writer.DB
	if _, err = w.ExecContext(ctx, schema); err == nil {
		if s.insert, err = w.PrepareContext(ctx, `INSERT INTO blob (hash, size, mtime, data) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`); err == nil {
			s.remove, err = w.PrepareContext(ctx, `DELETE FROM blob WHERE hash = ?`)
		}
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), db.Close())
	}
	go s.commitLoop()
	return s, nil
}

// Close stops the committer, after the writes it took, and closes the
// pack. Calls after it fail with ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.done
		s.insert.Close()
		s.remove.Close()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("packstore.Close: %w", err)
		}
	})
	return s.closeErr
}

// Put implements blobstore.Putter. Content of up to Options.Small bytes is
// read whole, looked for in the store behind, and otherwise committed to
// the pack together with the other Puts waiting meanwhile; longer content
// streams on to the store behind.
func (s *Store) Put(ctx context.Context, r io.Reader) (blobstore.PutResult, error) {
	const op = "packstore.Put"
	if err := ctx.Err(); err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s: %w", op, err)
	}
	if s.small < 0 {
		return s.large.Put(ctx, r)
	}
	buf := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(buf)
	n, err := blobstore.Fill(blobstore.ContextReader(ctx, r), *buf)
	switch {
	case err == io.EOF:
	case err != nil:
		return blobstore.PutResult{}, fmt.Errorf("%s: %w", op, err)
	default:
		return s.large.Put(ctx, io.MultiReader(bytes.NewReader((*buf)[:n]), r))
	}
	content := (*buf)[:n]
	if s.maxSize > 0 && int64(n) > s.maxSize {
		return blobstore.PutResult{}, &errs.Error{Op: op, Msg: fmt.Sprintf("the file is larger than the %d bytes this server stores", s.maxSize), Err: blobstore.ErrTooLarge}
	}
	res := blobstore.PutResult{Hash: sha256.Sum256(content), Size: int64(n)}
	switch _, err := s.large.Stat(ctx, res.Hash); {
	case err == nil:
		return res, nil
	case !errors.Is(err, blobstore.ErrNotFound):
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	w, err := s.send(ctx, res.Hash, content)
	if err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	res.Created = w.created
	return res, nil
}

// send hands a write to the committer and waits for its commit. Once the
// committer has it, the commit is waited for even if ctx ends: it is
// short, and the caller must learn whether it happened.
func (s *Store) send(ctx context.Context, h blobstore.Hash, data []byte) (*write, error) {
	w := &write{hash: h, data: data, done: make(chan struct{})}
	select {
	case s.writes <- w:
	case <-s.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	<-w.done
	return w, w.err
}

// maxBatch bounds the writes of one commit, and so the memory they hold.
const maxBatch = 256

// commitLoop commits writes until Close: each transaction takes every
// write that is waiting when the one before ends.
func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*write, 0, maxBatch)
	for {
		select {
		case w := <-s.writes:
			batch = append(batch[:0], w)
		case <-s.quit:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case w := <-s.writes:
				batch = append(batch, w)
			default:
				break more
			}
		}
		if s.beforeCommit != nil {
			s.beforeCommit(len(batch))
		}
		now := time.Now()
		err := s.commit(batch, now)
		if err == nil {
			s.recent.note(batch, now)
		}
		for _, w := range batch {
			if err != nil {
				w.err, w.created = err, false
			}
			close(w.done)
		}
		clear(batch)
	}
}

// commit writes a batch in one transaction: all of it, or none.
//
// A batch of removals alone commits without waiting for the disk
// (synchronous=NORMAL, whose commit the next synced one covers): a
// removal that a power loss undoes leaves garbage for gc, nothing worse,
// and gc removes blobs one at a time, which at one flush each took it
// minutes on a large library.
func (s *Store) commit(batch []*write, now time.Time) error {
	ctx := context.Background()
	removals := true
	for _, w := range batch {
		removals = removals && w.data == nil
	}
	if removals != s.syncNormal {
		mode := "FULL"
		if removals {
			mode = "NORMAL"
		}
		// Should the pool replace its connection, the new one is FULL:
		// at worst a removal waits for the disk, never a Put not.
		if _, err := s.db.Writer.DB.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
			return err
		}
		s.syncNormal = removals
	}
	tx, err := s.db.Writer.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	insert, remove := tx.StmtContext(ctx, s.insert), tx.StmtContext(ctx, s.remove)
	for _, w := range batch {
		if w.data == nil {
			_, err = remove.ExecContext(ctx, w.hash[:])
		} else {
			var res sql.Result
			if res, err = insert.ExecContext(ctx, w.hash[:], len(w.data), now.UnixNano(), w.data); err == nil {
				var n int64
				n, err = res.RowsAffected()
				w.created = n == 1
			}
		}
		if err != nil {
			return errors.Join(err, tx.Rollback())
		}
	}
	return tx.Commit()
}

// Open implements blobstore.Opener. A blob of the pack is read whole.
func (s *Store) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	var data []byte
	switch err := s.read.QueryRowContext(ctx, `SELECT data FROM blob WHERE hash = ?`, h[:]).Scan(&data); {
	case errors.Is(err, sql.ErrNoRows):
		return s.large.Open(ctx, h)
	case err != nil:
		return nil, fmt.Errorf("packstore.Open %s: %w", h, err)
	}
	return memFile{bytes.NewReader(data)}, nil
}

// memFile is a blob of the pack, read.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// Stat implements blobstore.Stater.
func (s *Store) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	info, ok, err := s.stat(ctx, h)
	switch {
	case err != nil:
		return blobstore.Info{}, fmt.Errorf("packstore.Stat %s: %w", h, err)
	case !ok:
		return s.large.Stat(ctx, h)
	}
	return info, nil
}

// stat describes blob h if the pack holds it.
func (s *Store) stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, bool, error) {
	if info, ok := s.recent.get(h); ok {
		return info, true, nil
	}
	var size, mtime int64
	switch err := s.read.QueryRowContext(ctx, `SELECT size, mtime FROM blob WHERE hash = ?`, h[:]).Scan(&size, &mtime); {
	case errors.Is(err, sql.ErrNoRows):
		return blobstore.Info{}, false, nil
	case err != nil:
		return blobstore.Info{}, false, err
	}
	return blobstore.Info{Hash: h, Size: size, ModTime: time.Unix(0, mtime)}, true, nil
}

// Remove implements blobstore.Remover: from the pack, and from the store
// behind with its derived files.
func (s *Store) Remove(ctx context.Context, h blobstore.Hash) error {
	const op = "packstore.Remove"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	// No look first: deleting what the pack lacks writes nothing, and a
	// look would begin a read, which after every commit rereads pages.
	if _, err := s.send(ctx, h, nil); err != nil {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	return s.large.Remove(ctx, h)
}

// walkPage is how many blobs of the pack Walk reads at a time: no read
// transaction stays open while fn runs.
var walkPage = 512

// Walk implements blobstore.Walker: the blobs of the pack and of the store
// behind, merged in ascending hash order (both walk in that order). Put
// never packs what the store behind holds, but a blob in both (a file
// copied in by hand) is reported once.
func (s *Store) Walk(ctx context.Context, fn func(blobstore.Info) error) error {
	const op = "packstore.Walk"
	var (
		page []blobstore.Info // of the pack, not yet reported
		next = []byte{}       // where the pack's next page starts; nil past its end
	)
	// packed reports the pack's blobs below limit (all when nil), and
	// whether the pack holds limit itself.
	packed := func(limit *blobstore.Hash) (bool, error) {
		for {
			if len(page) == 0 {
				if next == nil {
					return false, nil
				}
				if err := ctx.Err(); err != nil {
					return false, err
				}
				var err error
				if page, err = s.page(ctx, next); err != nil {
					return false, err
				}
				next = nil
				if len(page) == walkPage {
					last := page[len(page)-1].Hash
					next = last[:]
				}
				continue
			}
			if limit != nil {
				if c := bytes.Compare(page[0].Hash[:], limit[:]); c >= 0 {
					return c == 0, nil
				}
			}
			info := page[0]
			page = page[1:]
			if err := fn(info); err != nil {
				return false, callerError{err}
			}
		}
	}
	err := s.large.Walk(ctx, func(info blobstore.Info) error {
		if both, err := packed(&info.Hash); err != nil || both {
			return err
		}
		if err := fn(info); err != nil {
			return callerError{err}
		}
		return nil
	})
	if err == nil {
		_, err = packed(nil)
	}
	var ce callerError
	switch {
	case errors.As(err, &ce):
		return ce.err // fn's error, unchanged
	case err != nil:
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// callerError carries the error of Walk's fn through the walk of the
// store behind, which returns it unchanged, so that Walk can too.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

// page reads the next walkPage blobs of the pack after the hash after
// (any hash sorts after the empty blob).
func (s *Store) page(ctx context.Context, after []byte) ([]blobstore.Info, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT hash, size, mtime FROM blob WHERE hash > ? ORDER BY hash LIMIT ?`, after, walkPage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []blobstore.Info
	for rows.Next() {
		var (
			key         []byte
			size, mtime int64
		)
		if err := rows.Scan(&key, &size, &mtime); err != nil {
			return nil, err
		}
		var h blobstore.Hash
		if copy(h[:], key) != blobstore.HashSize || len(key) != blobstore.HashSize {
			return nil, fmt.Errorf("a key of %d bytes is not a hash", len(key))
		}
		page = append(page, blobstore.Info{Hash: h, Size: size, ModTime: time.Unix(0, mtime)})
	}
	return page, rows.Err()
}

// Verify implements blobstore.Verifier.
func (s *Store) Verify(ctx context.Context, h blobstore.Hash) error {
	const op = "packstore.Verify"
	var data []byte
	switch err := s.read.QueryRowContext(ctx, `SELECT data FROM blob WHERE hash = ?`, h[:]).Scan(&data); {
	case errors.Is(err, sql.ErrNoRows):
		return s.large.Verify(ctx, h)
	case err != nil:
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	if got := blobstore.Hash(sha256.Sum256(data)); got != h {
		return fmt.Errorf("%s %s: %w: the pack's %d bytes hash to %s", op, h, blobstore.ErrCorrupt, len(data), got)
	}
	return nil
}

// PutDerived implements blobstore.DerivedStore: derived files are files
// of the store behind, whatever the size of their blob.
func (s *Store) PutDerived(ctx context.Context, h blobstore.Hash, name string, r io.Reader) error {
	return s.large.PutDerived(ctx, h, name, r)
}

// OpenDerived implements blobstore.DerivedStore.
func (s *Store) OpenDerived(ctx context.Context, h blobstore.Hash, name string) (blobstore.File, error) {
	return s.large.OpenDerived(ctx, h, name)
}

// RemoveDerived implements blobstore.DerivedStore.
func (s *Store) RemoveDerived(ctx context.Context, h blobstore.Hash) error {
	return s.large.RemoveDerived(ctx, h)
}

// WalkDerived lists the derived files of the store behind.
func (s *Store) WalkDerived(ctx context.Context, fn func(h blobstore.Hash, name string, size int64, modTime time.Time) error) error {
	return s.large.WalkDerived(ctx, fn)
}

// CleanTemp removes what Puts of the store behind interrupted by a crash
// left; the pack's own are undone by SQLite.
func (s *Store) CleanTemp(ctx context.Context, olderThan time.Duration) error {
	return s.large.CleanTemp(ctx, olderThan)
}

// LocalPath implements blobstore.LocalPather: a blob of the pack has no
// path of its own.
func (s *Store) LocalPath(h blobstore.Hash) (string, bool) {
	if _, ok, err := s.stat(context.Background(), h); ok || err != nil {
		return "", false
	}
	return s.large.LocalPath(h)
}

// recentSize is how many of the blobs it stored last a Store remembers.
const recentSize = 1024

// recent remembers the blobs the last commits stored, so that a Stat
// soon after their Put (resources.Stage checks each blob it pins) need not
// begin a read of the pack: every commit empties the readers' caches, so
// that read cost more than the rest of a Put. Only the committer changes
// the pack, and it notes each commit here before its writers learn of it,
// so what is remembered is what the pack holds.
type recent struct {
	mu    sync.Mutex
	infos map[blobstore.Hash]blobstore.Info
	ring  [recentSize]blobstore.Hash // what infos holds, oldest at next
	next  int
}

// note records a committed batch: the blobs it created, stored at now, are
// remembered (in place of the oldest), the blobs it removed forgotten.
func (r *recent) note(batch []*write, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.infos == nil {
		r.infos = make(map[blobstore.Hash]blobstore.Info, recentSize)
	}
	for _, w := range batch {
		switch {
		case w.data == nil:
			delete(r.infos, w.hash)
		case w.created:
			if old := r.ring[r.next]; !old.IsZero() {
				delete(r.infos, old)
			}
			r.ring[r.next] = w.hash
			r.next = (r.next + 1) % recentSize
			r.infos[w.hash] = blobstore.Info{Hash: w.hash, Size: int64(len(w.data)), ModTime: time.Unix(0, now.UnixNano())}
		}
	}
}

func (r *recent) get(h blobstore.Hash) (blobstore.Info, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info, ok := r.infos[h]
	return info, ok
}
