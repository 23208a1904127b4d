// Package sqlitedb opens a SQLite database for Stockroom the way it must be
// used under concurrent load: one writer connection whose transactions begin
// IMMEDIATE, a separate pool of read-only connections, WAL journaling, and a
// background WAL checkpointer.
//
// Why two pools: SQLite allows one writer at a time. With a single shared
// pool, deferred transactions that read and then write fail with "database
// is locked" when another connection wrote in between, and slow reads hold
// connections the writer needs. Funnelling every write through one
// connection serialises writers in Go instead of in SQLite's busy loop, and
// WAL lets the readers run beside it.
//
// The driver is modernc.org/sqlite (pure Go) through bun's sqliteshim; the
// DSN parameters below are that driver's.
package sqlitedb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// Defaults for the zero values of Options.
const (
	DefaultBusyTimeout        = 10 * time.Second
	DefaultCheckpointInterval = time.Minute
	// DefaultCheckpointFrames is 16 MiB of 4 KiB pages: four times
	// SQLite's own threshold, since a checkpoint copies a page that many
	// commits changed once, and off the writer its length costs no write.
	DefaultCheckpointFrames = 4000
	// DefaultMinReaderConns is the smallest default reader pool; the default
	// is the larger of this and runtime.GOMAXPROCS(0).
	DefaultMinReaderConns = 4
)

// ErrInvalid is returned by Open for unusable Options.
var ErrInvalid = errors.New("sqlitedb: invalid options")

// Options configure Open. The zero value of every field but Path (or
// Memory) is usable.
type Options struct {
	// Path is the database file. It is required unless Memory is set, and
	// its parent directory is created if missing.
	Path string

	// Memory selects an in-memory database instead of Path (which is then
	// ignored). Every Open gets its own database, shared by its writer and
	// readers and kept alive until Close. WAL does not apply: the journal
	// mode is "memory" and there is no checkpointer.
	Memory bool

	// ReaderConns is the size of the read-only pool. Zero or less means
	// max(DefaultMinReaderConns, runtime.GOMAXPROCS(0)).
	ReaderConns int

	// BusyTimeout is how long a connection waits for a lock held by another
	// connection (another process, or the readers during a checkpoint)
	// before failing with "database is locked". Zero or less means
	// DefaultBusyTimeout. It is rounded down to milliseconds.
	BusyTimeout time.Duration

	// CheckpointInterval is how often a background goroutine runs
	// PRAGMA wal_checkpoint(PASSIVE), so that the WAL does not grow without
	// bound under constant reads. Zero means DefaultCheckpointInterval;
	// a negative value disables the checkpointer (Close still checkpoints).
	CheckpointInterval time.Duration

	// CheckpointFrames is the number of frames (pages) the WAL holds
	// beyond the last checkpoint when the checkpointer copies them into
	// the database, on a connection of its own; the writer never
	// checkpoints. SQLite's automatic checkpoint runs in the commit that
	// crosses its threshold (1000 frames), so that one upload in some
	// forty waited for two fsyncs of megabytes. Zero means
	// DefaultCheckpointFrames. With SyncFull, a negative value or the
	// checkpointer disabled, the writer checkpoints as it commits, as
	// SQLite does: a WAL that the writer does not restart may grow for a
	// while, and with SyncFull a commit that grows a file costs a second
	// flush of the disk.
	CheckpointFrames int

	// Logger receives checkpoint reports and problems met in the
	// background. Nil means discard.
	Logger *slog.Logger

	// SyncFull sets synchronous=FULL: every commit is on disk before it
	// returns, so it survives a power loss. The default, NORMAL, in WAL
	// mode survives a crash of the process but may lose the last commits
	// to a power loss (never corrupting the database).
	SyncFull bool

	// NoMmap makes the readers read the file rather than map it. For a
	// file that grows at every few commits: a mapping is remapped by
	// every reader after each growth, which cost more than the reads.
	NoMmap bool
}

// DB is a SQLite database opened as one writer connection and a pool of
// read-only connections. Writer and Reader are safe for concurrent use.
type DB struct {
	// Writer is the only connection that may write (SetMaxOpenConns(1)).
	// Its transactions begin with BEGIN IMMEDIATE, so a transaction that
	// reads and then writes never fails to upgrade its lock. Reads that
	// must see the transaction's own writes, or that decide what to write,
	// belong in a Writer transaction.
	Writer *bun.DB

	// Reader is a pool of connections with PRAGMA query_only=1: every write
	// through it fails. In WAL mode its reads run concurrently with the
	// writer and see the last committed state.
	Reader *bun.DB

	opts   Options
	logger *slog.Logger

	// keep holds one connection to an in-memory database for the lifetime
	// of the DB: a shared-cache memory database vanishes when its last
	// connection closes, which the pools may do at any time.
	keep driver.Conn

	stopCheckpointer context.CancelFunc
	checkpointerDone chan struct{}
	// checkpointer is the connection of background checkpoints and
	// writeback the WAL it has written early, when the writer does not
	// checkpoint.
	checkpointer *bun.DB
	writeback    *walWriteback
	// wal is the WAL index that the checkpointer watches and Stamp reads
	// (nil in memory). Close closes it but never clears it, so that a
	// Stamp racing Close fails rather than races.
	wal *walIndex

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database described by opts, applies
// and verifies its pragmas, and starts the checkpointer. The caller must
// Close the DB.
func Open(ctx context.Context, opts Options) (*DB, error) {
	const op = "sqlitedb.Open"
	opts = withDefaults(opts)
	if !opts.Memory && opts.Path == "" {
		return nil, fmt.Errorf("%s: %w: Path is required unless Memory is set", op, ErrInvalid)
	}

	var location, abs string
	if opts.Memory {
		location = memoryURI()
	} else {
		var err error
		if abs, err = filepath.Abs(opts.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		location = fileURI(abs)
	}

	db := &DB{opts: opts, logger: opts.Logger}
	ok := false
	defer func() {
		if !ok {
			db.closePools()
		}
	}()

	if opts.Memory {
		// Hold a connection before anything else so that the database
		// outlives idle pool connections.
		conn, err := sqliteshim.Driver().Open(dsn(location, opts, roleKeeper))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		db.keep = conn
	}

	// The writer connects first, so that it is the one that switches a new
	// database to WAL.
	w := sql.OpenDB(connector{dsn(location, opts, roleWriter)})
	configurePool(w, 1)
	db.Writer = bun.NewDB(w, sqlitedialect.New())
	if err := verify(ctx, db.Writer, opts, false); err != nil {
		return nil, fmt.Errorf("%s: writer: %w", op, err)
	}

	r := sql.OpenDB(connector{dsn(location, opts, roleReader)})
	configurePool(r, opts.ReaderConns)
	db.Reader = bun.NewDB(r, sqlitedialect.New())
	if err := verify(ctx, db.Reader, opts, true); err != nil {
		return nil, fmt.Errorf("%s: reader: %w", op, err)
	}

	if !opts.Memory {
		// A read makes the writer set up the WAL index, if no connection
		// has since the file was last closed.
		var schemaVersion int
		if err := db.Writer.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&schemaVersion); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		// The checkpointer cannot do without it; without it Stamp
		// reports none, which only costs the callers their caches.
		wal, err := openWALIndex(abs)
		if err != nil && backgroundCheckpoints(opts) {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		db.wal = wal
	}
	if backgroundCheckpoints(opts) {
		c := sql.OpenDB(connector{dsn(location, opts, roleCheckpointer)})
		configurePool(c, 1)
		db.checkpointer = bun.NewDB(c, sqlitedialect.New())
		db.writeback = openWALWriteback(abs)
	}
	if !opts.Memory && opts.CheckpointInterval > 0 {
		cctx, cancel := context.WithCancel(context.Background())
		db.stopCheckpointer = cancel
		db.checkpointerDone = make(chan struct{})
		go db.checkpointLoop(cctx)
	}
	ok = true
	return db, nil
}

// Close stops the checkpointer, closes the readers, runs a final
// PRAGMA wal_checkpoint(TRUNCATE) so that the WAL file is left empty, and
// closes the writer. Rows or transactions still open on the pools should be
// finished first: a reader that is still active keeps the final checkpoint
// from truncating the WAL (which is logged, not returned). Close is
// idempotent; later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.stopCheckpointer != nil {
			db.stopCheckpointer()
			<-db.checkpointerDone
		}
		// Readers go first: a reader in the middle of a read would keep the
		// TRUNCATE checkpoint from resetting the WAL.
		var errs []error
		if db.Reader != nil {
			errs = append(errs, db.Reader.Close())
		}
		if db.Writer != nil && !db.opts.Memory {
			if _, err := db.checkpoint(context.Background(), db.Writer, "TRUNCATE"); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, db.closePools())
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("sqlitedb.Close: %w", err)
		}
	})
	return db.closeErr
}

// closePools closes whatever Open got to open, without checkpointing.
// Closing a pool twice is harmless. The pools stay in place, so that use
// after Close fails with database/sql's "database is closed" error.
func (db *DB) closePools() error {
	var errs []error
	// The WAL's files first: the last connection to close deletes the
	// WAL, which on Windows a handle still open would prevent.
	if db.wal != nil {
		errs = append(errs, db.wal.Close())
	}
	errs = append(errs, db.writeback.Close())
	if db.Reader != nil {
		errs = append(errs, db.Reader.Close())
	}
	if db.Writer != nil {
		errs = append(errs, db.Writer.Close())
	}
	if db.checkpointer != nil {
		errs = append(errs, db.checkpointer.Close())
	}
	if db.keep != nil {
		errs = append(errs, db.keep.Close())
		db.keep = nil
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero values of o.
func withDefaults(o Options) Options {
	if o.ReaderConns <= 0 {
		o.ReaderConns = max(DefaultMinReaderConns, runtime.GOMAXPROCS(0))
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.CheckpointFrames == 0 {
		o.CheckpointFrames = DefaultCheckpointFrames
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With("component", "sqlitedb")
	return o
}

// configurePool sizes a pool and keeps its connections open for good:
// pragmas are per connection, and a memory database must not lose its last
// connection.
func configurePool(db *sql.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
}

type role int

const (
	roleWriter role = iota
	roleReader
	roleKeeper
	roleCheckpointer
)

// memorySeq makes in-memory database names unique within the process; the
// random part keeps them unique across packages that might use the same
// naming scheme.
var memorySeq atomic.Uint64

// memoryURI returns a SQLite URI naming a new shared-cache memory database.
func memoryURI() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "file:stockroom-" + strconv.FormatUint(memorySeq.Add(1), 10) + "-" + hex.EncodeToString(b[:]) +
		"?mode=memory&cache=shared"
}

// fileURI returns a SQLite URI for an absolute path. The URI form keeps a
// '?' or '%' in the path from being taken for a query: modernc cuts a
// plain file name at its first '?'.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// dsn appends the driver parameters for a role to a SQLite URI.
//
// modernc applies busy_timeout first whatever the order, then the other
// _pragma values sorted by name (foreign_keys, journal_mode, query_only,
// synchronous), so query_only is set after journal_mode can convert a new
// file to WAL. They are written in the intended order anyway, busy_timeout
// before journal_mode: switching to WAL needs a lock, and without a busy
// timeout a concurrent opener fails at once with "database is locked".
func dsn(location string, o Options, r role) string {
	var q []string
	q = append(q, "_pragma=busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	if !o.Memory {
		q = append(q, "_pragma=journal_mode(WAL)")
	}
	q = append(q, "_pragma=foreign_keys(1)")
	if !o.Memory {
		if o.SyncFull {
			q = append(q, "_pragma=synchronous(FULL)")
		} else {
			q = append(q, "_pragma=synchronous(NORMAL)")
		}
	}
	switch r {
	case roleWriter:
		// Journals of statements and savepoints stay in memory: a write
		// of one resource changes some fifty pages, whose journal outgrew
		// SQLite's 64 KiB and moved to a temporary file, created and
		// deleted at every upload (on a filesystem that looks for a free
		// inode by walking the recently deleted ones, the creation cost
		// more CPU than the rest of the transaction). Such a journal
		// holds the pages one statement changes, at most a few MB for a
		// statement of the API (its ID lists are bounded); the schema's
		// steps, which may rewrite every row, keep theirs on disk (see
		// internal/schema/sqlite).
		q = append(q, "_txlock=immediate", "_pragma=temp_store(2)")
		if backgroundCheckpoints(o) {
			q = append(q, "_pragma=wal_autocheckpoint(0)")
		}
	case roleCheckpointer:
		// Like the writer's, its synchronous setting decides what a
		// checkpoint syncs; it never begins a transaction.
	case roleReader, roleKeeper:
		// Readers map the file and keep a larger page cache: list scans
		// that read rows run about twice as fast warm.
		q = append(q, "_pragma=query_only(1)")
		if !o.NoMmap {
			q = append(q, "_pragma=mmap_size(1073741824)")
		}
		q = append(q, "_pragma=cache_size(-65536)")
	}
	sep := "?"
	if strings.Contains(location, "?") {
		sep = "&"
	}
	return location + sep + strings.Join(q, "&")
}

// verify checks on one connection of the pool that the pragmas took: the
// DSN is only honoured by modernc, and an unknown parameter is silently
// ignored.
func verify(ctx context.Context, db *bun.DB, o Options, reader bool) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	var fk int
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if fk != 1 {
		return fmt.Errorf("PRAGMA foreign_keys = %d, want 1", fk)
	}

	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	want := "wal"
	if o.Memory {
		want = "memory"
	}
	if !strings.EqualFold(mode, want) {
		return fmt.Errorf("PRAGMA journal_mode = %q, want %q", mode, want)
	}

	var busy int64
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return err
	}
	if busy != o.BusyTimeout.Milliseconds() {
		return fmt.Errorf("PRAGMA busy_timeout = %d, want %d", busy, o.BusyTimeout.Milliseconds())
	}

	var tempStore int
	if err := conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&tempStore); err != nil {
		return err
	}
	if wantTempStore := 2; !reader && tempStore != wantTempStore {
		return fmt.Errorf("PRAGMA temp_store = %d, want %d", tempStore, wantTempStore)
	}

	var queryOnly int
	if err := conn.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
		return err
	}
	wantQueryOnly := 0
	if reader {
		wantQueryOnly = 1
	}
	if queryOnly != wantQueryOnly {
		return fmt.Errorf("PRAGMA query_only = %d, want %d", queryOnly, wantQueryOnly)
	}
	return nil
}
