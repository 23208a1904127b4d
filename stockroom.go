// Package stockroom wires Stockroom's library together for embedders: one
// call opens a database and a filesystem and returns the Store, Versioner and
// Query that work on them.
//
//	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: "assets"})
//	if err != nil { ... }
//	defer lib.Close()
//	res, err := lib.Store.Create(ctx, file, resources.CreateInput{Name: "cat.jpg"})
//
// The packages it wires (resources, versions, query, blobstore) can also be
// used one by one with a database and a blob store of your own.
package stockroom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/blobstore/localfs"
	"github.com/stockroomhq/stockroom/blobstore/packstore"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/intake"
	"github.com/stockroomhq/stockroom/internal/pgdb"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/preview"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Defaults for Options.
const (
	DefaultDataDir = "stockroom-data"
	dbFileName     = "stockroom.db"
	downloadsDir   = "downloads"
	filesDirName   = "files"
)

// Options says where Stockroom keeps its data. The zero value keeps
// everything under DefaultDataDir in the working directory.
type Options struct {
	// DataDir holds the SQLite database (stockroom.db) and, in files/, the
	// blobs. Default DefaultDataDir.
	DataDir string
	// DBPath overrides the database file. Ignored when MemoryDB is set.
	DBPath string
	// FilesDir overrides the folder of the blobs. Ignored when Fs is set.
	FilesDir string
	// Fs, when set, holds the blobs instead of the folder (its root is the
	// blob root); afero.NewMemMapFs() keeps them in memory.
	Fs afero.Fs
	// MemoryDB keeps the database in memory; it is gone on Close.
	MemoryDB bool
	// AllowDuplicates lets identical uploads become separate resources that
	// share one blob, instead of a conflict.
	AllowDuplicates bool
	// MaxFileSize bounds one stored file in bytes; 0 means no bound.
	MaxFileSize int64
	// Logger receives the library's warnings. Nil means slog.Default().
	Logger *slog.Logger
	// AltFS names the alternative filesystems (key to host directory)
	// whose files Store.AddLocal references in place.
	AltFS map[string]string
	// AltFSAllowHardLinks serves AltFS files that have other hard links;
	// by default they are refused (resources.LocalBlobs.AllowHardLinks).
	AltFSAllowHardLinks bool
	// Fetcher downloads remote resources; nil means a fetch.Fetcher with
	// its defaults, which reaches no private or special address.
	Fetcher *fetch.Fetcher
	// Jobs configures the background downloads; Open fills in its Store,
	// Fetcher, Logger and, unless set, TempFs (the downloads/ folder of
	// DataDir, or memory with MemoryDB).
	Jobs intake.Config
	// DisableJobs leaves the background downloads stopped: a tool that
	// opens the data folder beside a running server (stockroom import)
	// must not run the server's queue. Library.Jobs then refuses new jobs.
	// It also leaves the media worker stopped, for the same reason.
	DisableJobs bool
	// Media configures image work: the pixel limit of decoded images and
	// the similarity threshold. Its zero value holds the defaults.
	Media mediasvc.Config
	// ImageMemory is the memory budget, in bytes, of all image work at
	// once (previews, rotation, hashing): an image is decoded only once
	// what it costs is free, and refused when it costs more than the
	// whole budget. 0 means imaging.DefaultBudget(): an eighth of the
	// machine's memory, at most 512 MiB. Media.Budget, when set, wins.
	ImageMemory int64
	// Previews configures previews; Open fills in the blob access and,
	// unless set, MaxPixels from Media and the Logger.
	Previews PreviewOptions
	// DisableMediaWorker leaves the worker that hashes images and records
	// similar pairs stopped (Library.Media.Sync still does the work).
	DisableMediaWorker bool

	// DB, when set, is the database to use instead of the SQLite file of
	// DataDir (DBPath and MemoryDB then choose nothing). Open migrates its
	// schema and sends it both writes and reads. The caller owns it:
	// Library.Close does not close it, so close it after the Library. With
	// SQLite, give it a single connection whose transactions begin
	// IMMEDIATE (see resources.Config.DB).
	DB *bun.DB
	// Blobs, when set, holds the blobs instead of the aferostore over Fs or
	// FilesDir (Fs, FilesDir and MaxFileSize then choose nothing: bound the
	// size in the store itself). The caller owns it; Library.Close leaves it
	// alone. AltFS still wraps it, and previews are cached in it when it is
	// a blobstore.DerivedStore.
	Blobs blobstore.Store
	// PostgresDSN, when set (postgres://...), keeps the library in that
	// PostgreSQL database instead of a SQLite file (DBPath and MemoryDB
	// then choose nothing). Open connects, migrates the schema, and
	// Close disconnects. Several servers may share one database and one
	// blob store.
	PostgresDSN string
	// Password is the cost of new password hashes; zero means
	// access.DefaultPasswordParams.
	Password access.PasswordParams
	// SweepInterval, when positive (and DisableJobs unset), runs Library.GC
	// with SweepGrace that often in the background; deletes of several
	// resources and merges then leave the files they free to it instead
	// of removing them inside the request.
	SweepInterval time.Duration
	// SweepGrace is the GCOptions.Grace of the sweeper; 0 means
	// DefaultGCGrace.
	SweepGrace time.Duration
	// SyncFull makes every acknowledged write survive a power loss: the
	// SQLite database commits with synchronous=FULL (blobs are always
	// synced before their rows commit). By default (NORMAL) a crash of
	// the process loses nothing acknowledged, a power loss may lose the
	// last commits.
	SyncFull bool
	// SmallBlobsAsFiles keeps every blob of the data folder as a file of
	// its own. By default, blobs of up to packstore.DefaultSmall bytes
	// are kept in one SQLite file beside them (files/smallblobs.db),
	// which makes a small upload durable with one flush of the disk
	// instead of two, and shares it between concurrent uploads. Blobs
	// already stored either way are found either way: a folder's pack
	// is still read with this set. With PostgreSQL small blobs are
	// files anyway (servers on several machines may share the folder).
	SmallBlobsAsFiles bool
}

// PreviewOptions are the settings of Library.Previews; zero values mean
// the defaults of preview.Service.
type PreviewOptions struct {
	// Concurrency bounds the previews rendered at once; 0 means
	// GOMAXPROCS.
	Concurrency int
	// FFmpegPath is the ffmpeg binary for video previews; empty means
	// videos get a placeholder.
	FFmpegPath string
	// FFmpegTimeout bounds one ffmpeg run.
	FFmpegTimeout time.Duration
	// CacheSize caps the bytes of cached previews (least recently used
	// go first); 0 means preview.DefaultCacheSize, negative no cap.
	CacheSize int64
	// MemorySize caps the bytes of previews kept in memory in front of
	// that cache; 0 means preview.DefaultMemorySize, negative none.
	MemorySize int64
}

// Library is an open Stockroom: the store of resources and their entities,
// their version history, the list queries, and the blob store under them.
type Library struct {
	Store    *resources.Store
	Versions *versions.Versioner
	Query    *query.Query
	Blobs    blobstore.Store
	// Fetcher is the one fetcher of remote URLs.
	Fetcher *fetch.Fetcher
	// Jobs runs the background downloads; Open starts it.
	Jobs *intake.Manager
	// Media rotates images and keeps perceptual hashes and similar pairs
	// up to date; Open starts its worker.
	Media *mediasvc.Media
	// Previews renders previews, cached beside the blobs.
	Previews *preview.Service
	// Access keeps users, API tokens, sessions and the link secret; the
	// server uses it when auth is on.
	Access *access.Service

	db *sqlitedb.DB
	// downloads holds the parts of background downloads, for GC.
	downloads afero.Fs
	// stops stop the background goroutines (goBackground) and wait for
	// them.
	stops []func()
	pg    *bun.DB // the PostgreSQL database Open connected to
	// pack keeps the small blobs of the data folder; nil when there is
	// none (Options.SmallBlobsAsFiles, or blobs elsewhere).
	pack *packstore.Store
}

// Open opens (creating when needed) the database and the blob store that
// opts describe, migrates the schema, and returns the library. Close it when
// done.
func Open(ctx context.Context, opts Options) (*Library, error) {
	const op = "stockroom.Open"
	dataDir := opts.DataDir
	if dataDir == "" {
		dataDir = DefaultDataDir
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	dbOpts := sqlitedb.Options{Memory: opts.MemoryDB, Logger: logger.With("component", "sqlite"), SyncFull: opts.SyncFull}
	if !opts.MemoryDB {
		dbOpts.Path = opts.DBPath
		if dbOpts.Path == "" {
			dbOpts.Path = filepath.Join(dataDir, dbFileName)
		}
	}
	fsys := opts.Fs
	localDir := ""
	if fsys == nil && opts.Blobs == nil {
		dir := opts.FilesDir
		if dir == "" {
			dir = filepath.Join(dataDir, filesDirName)
		}
		if err := afero.NewOsFs().MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		fsys = afero.NewBasePathFs(afero.NewOsFs(), dir)
		localDir = dir
	}
	// db is the database Open opened, and so closes; nil when injected.
	var (
		db             *sqlitedb.DB
		writer, reader = opts.DB, opts.DB
	)
	var pg *bun.DB
	switch {
	case opts.DB != nil:
	case opts.PostgresDSN != "":
		var err error
		if pg, err = pgdb.Open(ctx, opts.PostgresDSN); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		writer, reader = pg, pg
	default:
		var err error
		if db, err = sqlitedb.Open(ctx, dbOpts); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		writer, reader = db.Writer, db.Reader
	}
	var pack *packstore.Store // the pack Open opened, closed with the database
	closeDB := func() error { return closeStores(pack, pg, db) }
	if err := resources.MigrateLogged(ctx, writer, logger.With("component", "schema")); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), closeDB())
	}
	blobs := opts.Blobs
	var shardsOf *aferostore.Store // the store whose shards to make ahead
	if blobs == nil {
		as := aferostore.New(fsys)
		as.MaxSize = opts.MaxFileSize
		as.LocalDir = localDir
		blobs = as
		if localDir != "" {
			shardsOf = as
			// A folder packed before is read from its pack even when
			// nothing new is to go there. With PostgreSQL the folder may
			// be shared by servers on several machines, which a SQLite
			// file in WAL mode cannot be: its small blobs stay files.
			packPath := filepath.Join(localDir, packstore.FileName)
			packOpts := packstore.Options{MaxSize: opts.MaxFileSize, Logger: logger.With("component", "packstore")}
			packNew := !opts.SmallBlobsAsFiles && writer.Dialect().Name() == dialect.SQLite
			if !packNew {
				packOpts.Small = -1
			}
			if _, serr := os.Stat(packPath); packNew || serr == nil {
				var err error
				if pack, err = packstore.Open(ctx, packPath, as, packOpts); err != nil {
					return nil, errors.Join(fmt.Errorf("%s: %w", op, err), closeDB())
				}
				blobs = pack
			}
		}
	}
	storeBlobs := blobs
	if len(opts.AltFS) > 0 {
		lb := localfs.New(blobs, opts.AltFS, resources.LocalFiles(reader))
		lb.AllowHardLinks = opts.AltFSAllowHardLinks
		storeBlobs = lb
	}
	var stamp func() (string, bool)
	if db != nil {
		stamp = db.Stamp
	}
	store, err := resources.New(resources.Config{
		DB:              writer,
		ReadDB:          reader,
		Blobs:           storeBlobs,
		AllowDuplicates: opts.AllowDuplicates,
		Logger:          logger,
		SweptBlobs:      opts.SweepInterval > 0 && !opts.DisableJobs,
		Stamp:           stamp,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), closeDB())
	}
	acc, err := access.New(access.Config{DB: writer, ReadDB: reader, Password: opts.Password})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), closeDB())
	}
	fetcher := opts.Fetcher
	if fetcher == nil {
		fetcher = &fetch.Fetcher{}
	}
	jcfg := opts.Jobs
	jcfg.Store, jcfg.Fetcher, jcfg.Logger = store, fetcher, logger
	if jcfg.TempFs == nil {
		if opts.MemoryDB {
			jcfg.TempFs = afero.NewMemMapFs()
		} else {
			// Created on the first download.
			jcfg.TempFs = afero.NewBasePathFs(afero.NewOsFs(), filepath.Join(dataDir, downloadsDir))
		}
	}
	jm, err := intake.New(jcfg)
	if err == nil && !opts.DisableJobs {
		err = jm.Start(ctx)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), closeDB())
	}
	mcfg := opts.Media
	if mcfg.Logger == nil {
		mcfg.Logger = logger
	}
	if mcfg.Budget == nil {
		mcfg.Budget = imaging.NewBudget(opts.ImageMemory)
	}
	media := mediasvc.New(store, mcfg)
	if !opts.DisableJobs && !opts.DisableMediaWorker {
		if err := media.Start(ctx); err != nil {
			jm.Close()
			return nil, errors.Join(fmt.Errorf("%s: %w", op, err), closeDB())
		}
	}
	previews := &preview.Service{
		Blobs:         store.Blobs(),
		MaxPixels:     media.MaxPixels(),
		Concurrency:   opts.Previews.Concurrency,
		FFmpegPath:    opts.Previews.FFmpegPath,
		FFmpegTimeout: opts.Previews.FFmpegTimeout,
		CacheSize:     opts.Previews.CacheSize,
		MemorySize:    opts.Previews.MemorySize,
		Budget:        media.Budget(),
		Logger:        logger.With("component", "preview"),
	}
	// The previews of local files are cached in the blob store too.
	if d, ok := blobs.(blobstore.DerivedStore); ok {
		previews.Derived = d
	}
	if p, ok := blobs.(blobstore.LocalPather); ok {
		previews.LocalPaths = p
	}
	lib := &Library{
		Access:   acc,
		Store:    store,
		Versions: versions.New(store),
		Query:    query.New(store),
		Blobs:    blobs,
		Fetcher:  fetcher,
		Jobs:     jm,
		Media:    media,
		Previews: previews,
		db:       db,
		pg:       pg,
		pack:     pack,

		downloads: jcfg.TempFs,
	}
	if opts.SweepInterval > 0 && !opts.DisableJobs {
		lib.startSweeper(opts.SweepInterval, opts.SweepGrace, logger)
	}
	if !opts.DisableJobs {
		if pg == nil { // PostgreSQL indexes text as it inserts
			lib.startTextIndexer(logger)
		}
		if shardsOf != nil {
			lib.startShardMaker(shardsOf, logger)
		}
	}
	return lib, nil
}

// Close stops the background downloads (they resume on the next Open) and
// the media worker, and closes the database Open opened; an
// Options.DB or Options.Blobs given by the caller stays open. The Library
// must not be used afterwards.
func (l *Library) Close() error {
	for _, stop := range l.stops {
		stop()
	}
	l.Jobs.Close()
	l.Media.Close()
	return closeStores(l.pack, l.pg, l.db)
}

// closeStores closes what Open opened of the pack, PostgreSQL and SQLite
// (nil when it opened none).
func closeStores(pack *packstore.Store, pg *bun.DB, db *sqlitedb.DB) error {
	var errs []error
	if pack != nil {
		errs = append(errs, pack.Close())
	}
	if pg != nil {
		errs = append(errs, pg.Close())
	}
	if db != nil {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}
