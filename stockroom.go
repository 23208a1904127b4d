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
	"path/filepath"
	"time"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/jobs"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/preview"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
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
	Jobs jobs.Config
	// DisableJobs leaves the background downloads stopped: a tool that
	// opens the data folder beside a running server (stockroom import)
	// must not run the server's queue. Library.Jobs then refuses new jobs.
	// It also leaves the media worker stopped, for the same reason.
	DisableJobs bool
	// Media configures image work: the pixel limit of decoded images and
	// the similarity threshold. Its zero value holds the defaults.
	Media resources.MediaConfig
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
	Jobs *jobs.Manager
	// Media rotates images and keeps perceptual hashes and similar pairs
	// up to date; Open starts its worker.
	Media *resources.Media
	// Previews renders previews, cached beside the blobs.
	Previews *preview.Service

	db *sqlitedb.DB
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
	dbOpts := sqlitedb.Options{Memory: opts.MemoryDB, Logger: logger.With("component", "sqlite")}
	if !opts.MemoryDB {
		dbOpts.Path = opts.DBPath
		if dbOpts.Path == "" {
			dbOpts.Path = filepath.Join(dataDir, dbFileName)
		}
	}
	fsys := opts.Fs
	localDir := ""
	if fsys == nil {
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
	db, err := sqlitedb.Open(ctx, dbOpts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := resources.MigrateLogged(ctx, db.Writer, logger); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), db.Close())
	}
	blobs := aferostore.New(fsys)
	blobs.MaxSize = opts.MaxFileSize
	blobs.LocalDir = localDir
	var storeBlobs blobstore.Store = blobs
	if len(opts.AltFS) > 0 {
		lb := resources.NewLocalBlobs(blobs, db.Reader, opts.AltFS)
		lb.AllowHardLinks = opts.AltFSAllowHardLinks
		storeBlobs = lb
	}
	store, err := resources.New(resources.Config{
		DB:              db.Writer,
		ReadDB:          db.Reader,
		Blobs:           storeBlobs,
		AllowDuplicates: opts.AllowDuplicates,
		Logger:          logger,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), db.Close())
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
	jm, err := jobs.New(jcfg)
	if err == nil && !opts.DisableJobs {
		err = jm.Start(ctx)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", op, err), db.Close())
	}
	mcfg := opts.Media
	if mcfg.Logger == nil {
		mcfg.Logger = logger
	}
	if mcfg.Budget == nil {
		mcfg.Budget = imaging.NewBudget(opts.ImageMemory)
	}
	media := resources.NewMedia(store, mcfg)
	if !opts.DisableJobs && !opts.DisableMediaWorker {
		if err := media.Start(ctx); err != nil {
			jm.Close()
			return nil, errors.Join(fmt.Errorf("%s: %w", op, err), db.Close())
		}
	}
	previews := &preview.Service{
		Blobs:         store.Blobs(),
		Derived:       blobs,
		LocalPaths:    blobs,
		MaxPixels:     media.MaxPixels(),
		Concurrency:   opts.Previews.Concurrency,
		FFmpegPath:    opts.Previews.FFmpegPath,
		FFmpegTimeout: opts.Previews.FFmpegTimeout,
		CacheSize:     opts.Previews.CacheSize,
		Budget:        media.Budget(),
		Logger:        logger.With("component", "preview"),
	}
	return &Library{
		Store:    store,
		Versions: versions.New(store),
		Query:    query.New(store),
		Blobs:    blobs,
		Fetcher:  fetcher,
		Jobs:     jm,
		Media:    media,
		Previews: previews,
		db:       db,
	}, nil
}

// Close stops the background downloads (they resume on the next Open) and
// closes the database. The Library must not be used afterwards.
func (l *Library) Close() error {
	l.Jobs.Close()
	l.Media.Close()
	return l.db.Close()
}
