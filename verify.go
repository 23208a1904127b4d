package stockroom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/uptrace/bun/dialect"
)

// VerifyOptions choose what Library.Verify checks.
type VerifyOptions struct {
	// Sample, when positive, re-hashes only this many blobs picked at
	// random (the database checks still run in full).
	Sample int
	// From, when set, starts after this hash in hash order, and Limit,
	// when positive, stops after that many blobs: together they check a
	// large store a slice at a time (VerifyReport.Next is the next From).
	From  blobstore.Hash
	Limit int
	// Rate, when positive, bounds the bytes re-hashed per second, so a
	// check can run beside a live server.
	Rate int64
	// Progress, when set, is called after each blob with the blobs done,
	// the blobs to do, and the bytes read so far.
	Progress func(done, total int, bytes int64)
}

// BlobUser is a row that refers to a blob: a resource (Version 0) or one of
// its versions.
type BlobUser struct {
	ResourceID int64
	VersionID  int64
}

// BlobProblem is a blob that is missing or whose bytes changed.
type BlobProblem struct {
	Hash blobstore.Hash
	// Missing is true when nothing is stored for Hash; otherwise its
	// content no longer hashes to Hash (a changed local file included).
	Missing bool
	Err     string
	// Users are the rows that refer to the blob; empty for a corrupt blob
	// no row refers to.
	Users []BlobUser
}

// VerifyReport is what Library.Verify found.
type VerifyReport struct {
	Checked  int   // blobs re-hashed
	Bytes    int64 // bytes read
	Problems []BlobProblem
	// Database holds the lines of the database's own check that are not
	// "ok"; DatabaseChecked is false when the dialect has no such check
	// here (see the README for PostgreSQL).
	Database        []string
	DatabaseChecked bool
	// Unreferenced counts stored blobs no row refers to (garbage for gc,
	// not an error).
	Unreferenced int
	// Next is where the next slice starts (VerifyOptions.From); zero when
	// this run reached the last hash.
	Next blobstore.Hash
}

// OK reports whether nothing is wrong.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 && len(r.Database) == 0 }

// Verify checks the library's integrity: the database's own check (PRAGMA
// integrity_check on SQLite), and the bytes of every blob the rows refer to
// and every blob stored, local files of alternative filesystems included.
// Problems are reported, not returned as errors: the error is for a check
// that could not run.
func (l *Library) Verify(ctx context.Context, opts VerifyOptions) (*VerifyReport, error) {
	const op = "stockroom.Library.Verify"
	rep := &VerifyReport{}
	db := l.Store.ReadDB()
	if db.Dialect().Name() == dialect.SQLite {
		rep.DatabaseChecked = true
		rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			if line != "ok" {
				rep.Database = append(rep.Database, line)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	users, err := blobUsers(ctx, l)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	all := make(map[blobstore.Hash]bool, len(users))
	for h := range users {
		all[h] = true
	}
	if err := l.Blobs.Walk(ctx, func(in blobstore.Info) error {
		if !all[in.Hash] {
			rep.Unreferenced++
		}
		all[in.Hash] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	hashes := make([]blobstore.Hash, 0, len(all))
	for h := range all {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, func(a, b blobstore.Hash) int { return compareHash(a, b) })
	switch {
	case opts.Sample > 0:
		rand.Shuffle(len(hashes), func(i, j int) { hashes[i], hashes[j] = hashes[j], hashes[i] })
		hashes = hashes[:min(opts.Sample, len(hashes))]
	default:
		if !opts.From.IsZero() {
			i, found := slices.BinarySearchFunc(hashes, opts.From, compareHash)
			if found {
				i++
			}
			hashes = hashes[i:]
		}
		if opts.Limit > 0 && len(hashes) > opts.Limit {
			hashes = hashes[:opts.Limit]
			rep.Next = hashes[len(hashes)-1]
		}
	}
	// Through the store's own wrapper: alternative-filesystem files are
	// found and re-hashed there.
	blobs := l.Store.Blobs()
	start := time.Now()
	for i, h := range hashes {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		size := int64(0)
		if in, err := blobs.Stat(ctx, h); err == nil {
			size = in.Size
		}
		if err := blobs.Verify(ctx, h); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %w", op, ctx.Err())
			}
			missing := errors.Is(err, blobstore.ErrNotFound)
			if !missing && !errors.Is(err, blobstore.ErrCorrupt) {
				// An unreadable file is as lost as a corrupt one.
				err = fmt.Errorf("%w: %v", blobstore.ErrCorrupt, err)
			}
			rep.Problems = append(rep.Problems, BlobProblem{Hash: h, Missing: missing, Err: err.Error(), Users: users[h]})
		}
		rep.Checked++
		rep.Bytes += size
		if opts.Progress != nil {
			opts.Progress(i+1, len(hashes), rep.Bytes)
		}
		if opts.Rate > 0 {
			// Pace between blobs: sleep until the bytes read so far fit
			// the rate.
			want := time.Duration(float64(rep.Bytes) / float64(opts.Rate) * float64(time.Second))
			if d := want - time.Since(start); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return nil, fmt.Errorf("%s: %w", op, ctx.Err())
				}
			}
		}
	}
	return rep, nil
}

func compareHash(a, b blobstore.Hash) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// blobUsers maps every hash the rows refer to onto those rows.
func blobUsers(ctx context.Context, l *Library) (map[blobstore.Hash][]BlobUser, error) {
	db := l.Store.ReadDB()
	var rows []struct {
		Hash       blobstore.Hash `bun:"hash"`
		ResourceID int64          `bun:"resource_id"`
		VersionID  int64          `bun:"version_id"`
	}
	err := db.NewRaw(`SELECT hash, id AS resource_id, 0 AS version_id FROM resources WHERE hash <> ''
		UNION ALL SELECT hash, resource_id, id AS version_id FROM resource_versions WHERE hash <> ''`).Scan(ctx, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	users := make(map[blobstore.Hash][]BlobUser, len(rows))
	for _, r := range rows {
		users[r.Hash] = append(users[r.Hash], BlobUser{ResourceID: r.ResourceID, VersionID: r.VersionID})
	}
	return users, nil
}
