package resources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// Config holds what a Store needs. DB and Blobs are required.
type Config struct {
	// DB is where writes go. With SQLite it should be a single connection
	// whose transactions begin IMMEDIATE (see internal/sqlitedb).
	DB *bun.DB
	// ReadDB serves reads; nil means DB.
	ReadDB *bun.DB
	// Blobs holds file content.
	Blobs blobstore.Store
	// AllowDuplicates lets identical content become separate resources that
	// share one blob. By default an upload of stored content is a
	// *DuplicateError naming the existing resource.
	AllowDuplicates bool
	// Logger receives warnings about work done after a commit (blob removal).
	// Nil means slog.Default().
	Logger *slog.Logger
	// SweptBlobs says a garbage collector runs (stockroom.Library.GC):
	// deletes of several resources and merges then leave the blobs they
	// freed to it instead of removing them inside the request.
	SweptBlobs bool
	// Stamp, when set, names the state of the database that a read
	// transaction begun now would see (two reads with the same stamp
	// see the same data, whoever wrote), or reports false when it cannot
	// tell: internal/sqlitedb's DB.Stamp. With it, ReadManyJSON keeps
	// the JSON of the resources it reads for reads of the same state.
	Stamp func() (string, bool)
}

// Store creates, reads, edits and deletes resources and their entities. It is
// safe for concurrent use.
type Store struct {
	db, rdb         *bun.DB
	blobs           blobstore.Store
	allowDuplicates bool
	log             *slog.Logger
	swept           bool

	// pinMu guards pins, the blobs that uploads in flight have written
	// but not yet committed rows for. Removal holds it per blob, from the
	// pin check to the removal, so a blob cannot be pinned and removed at
	// once.
	pinMu sync.Mutex
	pins  map[blobstore.Hash]int

	load *loader

	// creates groups the transactions of concurrent uploads (CreateMany)
	// into one, so that they share a commit.
	creates *dbtx.Group

	stamp func() (string, bool)
	// rendered keeps the JSON of resources for ReadManyJSON.
	rendered renderedCache
}

// New returns a Store over cfg. The schema must already be migrated
// (Migrate).
func New(cfg Config) (*Store, error) {
	if cfg.DB == nil || cfg.Blobs == nil {
		return nil, errors.New("resources.New: DB and Blobs are required")
	}
	RegisterModels(cfg.DB)
	rdb := cfg.ReadDB
	if rdb == nil {
		rdb = cfg.DB
	} else {
		RegisterModels(rdb)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Store{
		db:              cfg.DB,
		rdb:             rdb,
		blobs:           cfg.Blobs,
		allowDuplicates: cfg.AllowDuplicates,
		swept:           cfg.SweptBlobs,
		log:             log.With("component", "resources"),
		pins:            make(map[blobstore.Hash]int),
		load:            newLoader(cfg.DB),
		creates:         dbtx.NewGroup(cfg.DB),
		stamp:           cfg.Stamp,
	}, nil
}

// DB returns the writer database, for packages that build on Store
// (versions, query) and must share its transactions.
func (s *Store) DB() *bun.DB { return s.db }

// ReadDB returns the database that serves reads.
func (s *Store) ReadDB() *bun.DB { return s.rdb }

// Blobs returns the blob store that holds the files.
func (s *Store) Blobs() blobstore.Store { return s.blobs }

// Logger returns the Store's logger, for services built on it (mediasvc,
// intake) that log under it by default.
func (s *Store) Logger() *slog.Logger { return s.log }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Upload is file content written to the blob store and pinned there until
// Release, so that it cannot be removed before the rows that refer to it are
// committed.
type Upload struct {
	Hash        blobstore.Hash
	Size        int64
	ContentType string
	Width       int
	Height      int
	// EXIF holds the file's EXIF facts (see probe.EXIF.Meta), stored in
	// a new resource's Meta under probe.MetaKey; nil when none.
	EXIF     map[string]any
	released bool
	// stored is set once committed rows refer to the blob, so that
	// Release need not ask whether any does.
	stored bool
}

// Stage streams r into the blob store, detects its content type and image
// dimensions, and pins the blob. Every Upload must be released with Release
// once the rows that use it have been committed (or not).
func (s *Store) Stage(ctx context.Context, r io.Reader) (*Upload, error) {
	const op = "resources.Stage"
	if rv, ok := s.blobs.(blobstore.Receiver); ok {
		up, err := s.stageReceived(ctx, rv, r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return up, nil
	}
	// A small file is described from the copy kept while storing it
	// rather than read back from the store.
	kept := keepPool.Get().(*keeper)
	kept.b, kept.over = kept.b[:0], false
	defer keepPool.Put(kept)
	res, err := s.blobs.Put(ctx, io.TeeReader(r, kept))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Between Put finding the content stored and the pin, a removal may
	// have taken the blob; the pin holds from here on, so check once.
	s.pinMu.Lock()
	s.pins[res.Hash]++
	_, statErr := s.blobs.Stat(ctx, res.Hash)
	s.pinMu.Unlock()
	up := &Upload{Hash: res.Hash, Size: res.Size}
	if statErr != nil {
		s.Release(ctx, up)
		if errors.Is(statErr, blobstore.ErrNotFound) {
			return nil, errs.E(op, errs.Conflict, "identical content was being deleted at the same moment; retry the upload")
		}
		return nil, fmt.Errorf("%s: %w", op, statErr)
	}
	var small io.ReadSeeker
	if !kept.over && int64(len(kept.b)) == res.Size {
		small = bytes.NewReader(kept.b)
	}
	if err := s.describe(ctx, up, small); err != nil {
		s.Release(ctx, up)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return up, nil
}

// keepSize is the size up to which Stage keeps a copy of a file.
const keepSize = 64 << 10

var keepPool = sync.Pool{New: func() any { return &keeper{b: make([]byte, 0, keepSize)} }}

// keeper is an io.Writer that keeps what is written to it while that fits
// in keepSize bytes, and nothing once it does not.
type keeper struct {
	b    []byte
	over bool
}

func (k *keeper) Write(p []byte) (int, error) {
	switch {
	case k.over:
	case len(k.b)+len(p) <= keepSize:
		k.b = append(k.b, p...)
	default:
		k.b, k.over = k.b[:0], true
	}
	return len(p), nil
}

// stageReceived is Stage on a store that keeps a local copy of the content
// before storing it (object storage). The content is described from that
// copy and pinned before the store looks for it, so Stage needs neither
// the Stat nor the reads of the stored blob: two requests to the service
// (HEAD, PUT) instead of five.
func (s *Store) stageReceived(ctx context.Context, rv blobstore.Receiver, r io.Reader) (*Upload, error) {
	rc, err := rv.Receive(ctx, r)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	up := &Upload{Hash: rc.Hash(), Size: rc.Size()}
	if err := describeContent(rc.NewReader(), up); err != nil {
		return nil, err
	}
	// A removal of the same content runs under pinMu: it either ended
	// before the pin, and Store finds nothing and stores the content
	// again, or waits until the Upload is released.
	s.pinMu.Lock()
	s.pins[up.Hash]++
	s.pinMu.Unlock()
	if _, err := rc.Store(ctx); err != nil {
		// Nothing was stored, so unpin without looking for a blob to
		// remove (the service may be down).
		s.pinMu.Lock()
		if s.pins[up.Hash]--; s.pins[up.Hash] <= 0 {
			delete(s.pins, up.Hash)
		}
		s.pinMu.Unlock()
		return nil, err
	}
	return up, nil
}

// Release unpins u and removes its blob when no row refers to it. It is
// idempotent. After CreateMany has committed rows for u it only unpins:
// should those rows be deleted meanwhile, the blob is left to gc.
func (s *Store) Release(ctx context.Context, u *Upload) {
	if u == nil || u.released {
		return
	}
	u.released = true
	s.pinMu.Lock()
	if s.pins[u.Hash]--; s.pins[u.Hash] <= 0 {
		delete(s.pins, u.Hash)
	}
	s.pinMu.Unlock()
	if u.stored {
		return
	}
	// The request may be gone; the clean-up must still run.
	s.removeIfUnreferenced(context.WithoutCancel(ctx), u.Hash)
}

// removeIfUnreferenced removes blob h if no resource or version refers to it
// and no in-flight upload has pinned it. It runs after commits; a failure
// leaves garbage for gc, never a dangling row, so it is logged rather than
// returned.
func (s *Store) removeIfUnreferenced(ctx context.Context, h blobstore.Hash) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if s.pins[h] > 0 {
		return
	}
	referenced, err := s.blobReferenced(ctx, h)
	if err != nil {
		s.log.Warn("checking blob references", "hash", h, "err", err)
		return
	}
	if referenced {
		return
	}
	if err := s.blobs.Remove(ctx, h); err != nil {
		s.log.Warn("removing unreferenced blob", "hash", h, "err", err)
	}
}

// blobReferenced reports whether any resource or version refers to hash.
// It runs after every upload, so its arguments are bound (see write.go).
func (s *Store) blobReferenced(ctx context.Context, hash blobstore.Hash) (bool, error) {
	var referenced bool
	err := s.db.DB.QueryRowContext(ctx, s.load.writeSQL.referenced, hash, hash).Scan(&referenced)
	return referenced, err
}
