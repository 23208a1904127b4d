package stockroom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/internal/procs"
)

// DefaultGCGrace is how old an unreferenced file must be before GC removes
// it: longer than any upload takes between writing its blob and committing
// its row, which another process (the server, beside "stockroom gc")
// cannot show this one.
const DefaultGCGrace = time.Hour

// GCOptions configure Library.GC.
type GCOptions struct {
	// Grace is the least age of a file GC removes; 0 means
	// DefaultGCGrace, negative means no grace (tests, a stopped server).
	Grace time.Duration
	// DryRun counts what would go and removes nothing.
	DryRun bool
}

// GCReport counts what GC removed (or, in a dry run, would remove).
type GCReport struct {
	Blobs     int   // unreferenced blobs
	BlobBytes int64 // their size
	Derived   int   // derived files (previews) of blobs no row uses
	// DerivedBytes is their size.
	DerivedBytes int64
	Parts        int // download parts of jobs that are over or gone
	PartBytes    int64
	// TempCleaned is true when the blob store's abandoned temporary files
	// were removed (not in a dry run; not every store has them).
	TempCleaned bool
}

type derivedWalker interface {
	WalkDerived(ctx context.Context, fn func(h blobstore.Hash, name string, size int64, modTime time.Time) error) error
}

type tempCleaner interface {
	CleanTemp(ctx context.Context, olderThan time.Duration) error
}

// GC removes what no row refers to and is older than the grace period:
// blobs, derived files of such blobs, abandoned temporary files of the blob
// store and download parts of jobs that no longer run. Uploads in flight in
// this process are pinned and never touched; those of another process are
// protected by the grace period.
func (l *Library) GC(ctx context.Context, opts GCOptions) (*GCReport, error) {
	const op = "stockroom.Library.GC"
	grace := opts.Grace
	if grace == 0 {
		grace = DefaultGCGrace
	}
	if grace < 0 {
		grace = 0
	}
	cutoff := time.Now().Add(-grace)
	rep := &GCReport{}
	sizes := map[blobstore.Hash]int64{}
	var old []blobstore.Hash
	if err := l.Blobs.Walk(ctx, func(in blobstore.Info) error {
		if in.ModTime.Before(cutoff) || grace == 0 {
			old = append(old, in.Hash)
			sizes[in.Hash] = in.Size
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Derived files are counted by the blob they come from; a blob that is
	// gone but has previews left is a candidate too.
	derivedSize := map[blobstore.Hash]int64{}
	derivedCount := map[blobstore.Hash]int{}
	if w, ok := l.Blobs.(derivedWalker); ok {
		if err := w.WalkDerived(ctx, func(h blobstore.Hash, _ string, size int64, t time.Time) error {
			if !t.Before(cutoff) && grace != 0 {
				return nil
			}
			if _, seen := sizes[h]; !seen && derivedCount[h] == 0 {
				old = append(old, h)
			}
			derivedSize[h] += size
			derivedCount[h]++
			return nil
		}); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	gone, err := l.Store.Unreferenced(ctx, old, !opts.DryRun)
	for _, h := range gone {
		if n, ok := sizes[h]; ok {
			rep.Blobs++
			rep.BlobBytes += n
		}
		rep.Derived += derivedCount[h]
		rep.DerivedBytes += derivedSize[h]
	}
	if err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	if c, ok := l.Blobs.(tempCleaner); ok && !opts.DryRun {
		if err := c.CleanTemp(ctx, grace); err != nil {
			return rep, fmt.Errorf("%s: %w", op, err)
		}
		rep.TempCleaned = true
	}
	if err := l.gcParts(ctx, cutoff, grace == 0, opts.DryRun, rep); err != nil {
		return rep, fmt.Errorf("%s: %w", op, err)
	}
	return rep, nil
}

// gcParts removes the download parts (job-N.part) of jobs that are over or
// no longer exist. A job that runs, waits or is paused keeps its part to
// resume from.
func (l *Library) gcParts(ctx context.Context, cutoff time.Time, all, dryRun bool, rep *GCReport) error {
	if l.downloads == nil {
		return nil
	}
	list, err := afero.ReadDir(l.downloads, "/")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, fi := range list {
		name := fi.Name()
		num, ok := strings.CutSuffix(strings.TrimPrefix(name, "job-"), ".part")
		id, perr := strconv.ParseInt(num, 10, 64)
		if fi.IsDir() || !ok || !strings.HasPrefix(name, "job-") || perr != nil {
			continue
		}
		if !all && !fi.ModTime().Before(cutoff) {
			continue
		}
		var status string
		err := l.Store.ReadDB().NewRaw(`SELECT status FROM download_jobs WHERE id = ?`, id).Scan(ctx, &status)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		switch status {
		case "pending", "downloading", "processing", "paused":
			continue
		}
		rep.Parts++
		rep.PartBytes += fi.Size()
		if dryRun {
			continue
		}
		if err := l.downloads.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// startSweeper runs GC every interval until Close.
func (l *Library) startSweeper(interval, grace time.Duration, logger *slog.Logger) {
	l.goBackground(func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for tick(ctx, t) {
			turn, ok, err := l.claimSweep(ctx)
			if err != nil {
				if ctx.Err() == nil {
					logger.Warn("claiming the sweep", "err", err)
				}
				continue
			}
			if !ok {
				continue // another server of the database sweeps now
			}
			procs.Begin()
			rep, err := l.GC(ctx, GCOptions{Grace: grace})
			procs.End()
			turn.Release()
			if err != nil && ctx.Err() == nil {
				logger.Warn("sweeping unreferenced files", "err", err)
			}
			if rep != nil && rep.Blobs+rep.Derived+rep.Parts > 0 {
				logger.Info("swept unreferenced files", "blobs", rep.Blobs, "bytes", rep.BlobBytes, "previews", rep.Derived, "parts", rep.Parts)
			}
		}
	})
}

// claimSweep takes this server's turn to sweep: of several servers on one
// PostgreSQL database only one sweeps at a time, and the others skip
// their turn rather than walk the same files. ok is false when another
// server holds it.
func (l *Library) claimSweep(ctx context.Context) (*dbtx.Turn, bool, error) {
	if l.pg == nil {
		return &dbtx.Turn{}, true, nil
	}
	return dbtx.TryTurn(ctx, l.pg, dbtx.SweepTurn)
}
