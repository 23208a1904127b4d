package versions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// CleanupOptions choose the old versions a cleanup deletes. The current
// version of a resource is never a candidate. At least one criterion must
// be given; when both are, a version is deleted only if both allow it.
type CleanupOptions struct {
	// KeepLast keeps the KeepLast newest versions of each resource, the
	// current one counting as one of them. Zero means no count criterion.
	KeepLast int
	// OlderThanDays keeps every version created less than OlderThanDays
	// days (of 24 hours) ago. Zero means no age criterion.
	OlderThanDays int
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool
}

// CleanupResult lists the versions a cleanup of one resource deleted (or,
// in a dry run, would delete), in ascending ID order.
type CleanupResult struct {
	DeletedVersionIDs []int64 `json:"deletedVersionIds"`
	Count             int     `json:"count"`
}

// BulkCleanupOptions are CleanupOptions applied to every resource, or to
// the resources of one owner.
type BulkCleanupOptions struct {
	CleanupOptions
	// OwnerID, when not zero, limits the cleanup to the resources owned by
	// that group.
	OwnerID int64
}

// BulkCleanupResult lists the versions a bulk cleanup deleted (or would
// delete) by resource ID, each list in ascending order; resources that
// lost nothing are absent.
type BulkCleanupResult struct {
	DeletedByResource map[int64][]int64 `json:"deletedByResource"`
	TotalDeleted      int               `json:"totalDeleted"`
}

// Cleanup deletes the old versions of one resource that opts select, in one
// transaction, then the blobs nothing refers to any more.
//
// The work is set-based: one query selects the candidates, one statement
// deletes them, and the blob references are checked a few hundred hashes per
// query, however many versions go.
func (v *Versioner) Cleanup(ctx context.Context, resourceID int64, opts CleanupOptions) (*CleanupResult, error) {
	const op = "versions.Cleanup"
	found, err := v.cleanup(ctx, opts,
		func(ctx context.Context, db bun.IDB) error { return resourceExists(ctx, db, resourceID) },
		func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("v.resource_id = ?", resourceID) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := &CleanupResult{DeletedVersionIDs: make([]int64, 0, len(found))}
	for _, c := range found {
		out.DeletedVersionIDs = append(out.DeletedVersionIDs, c.ID)
	}
	out.Count = len(out.DeletedVersionIDs)
	return out, nil
}

// CleanupAll is Cleanup over every resource, or over the resources of
// opts.OwnerID (which must exist), in one transaction.
func (v *Versioner) CleanupAll(ctx context.Context, opts BulkCleanupOptions) (*BulkCleanupResult, error) {
	const op = "versions.CleanupAll"
	if opts.OwnerID < 0 {
		return nil, errs.E(op, errs.Invalid, "ownerId must be a positive group ID")
	}
	owner := opts.OwnerID
	found, err := v.cleanup(ctx, opts.CleanupOptions,
		func(ctx context.Context, db bun.IDB) error {
			if owner == 0 {
				return nil
			}
			var exists bool
			if err := db.NewRaw(`SELECT EXISTS (SELECT 1 FROM "groups" WHERE id = ?)`, owner).Scan(ctx, &exists); err != nil {
				return err
			}
			if !exists {
				return &resources.NotFoundError{Entity: "group", ID: owner}
			}
			return nil
		},
		func(q *bun.SelectQuery) *bun.SelectQuery {
			if owner == 0 {
				return q
			}
			return q.Where("r.owner_id = ?", owner)
		})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := &BulkCleanupResult{DeletedByResource: map[int64][]int64{}, TotalDeleted: len(found)}
	for _, c := range found {
		out.DeletedByResource[c.ResourceID] = append(out.DeletedByResource[c.ResourceID], c.ID)
	}
	return out, nil
}

// candidate is a version a cleanup deletes.
type candidate struct {
	ID         int64          `bun:"id"`
	ResourceID int64          `bun:"resource_id"`
	Hash       blobstore.Hash `bun:"hash"`
}

// cleanup validates opts, checks the scope with exists, then selects the
// candidates within scope and, unless this is a dry run, deletes them in
// the same transaction and removes the blobs left unreferenced after the
// commit. The candidates come back ordered by resource, then ID.
func (v *Versioner) cleanup(ctx context.Context, opts CleanupOptions,
	exists func(context.Context, bun.IDB) error,
	scope func(*bun.SelectQuery) *bun.SelectQuery,
) ([]candidate, error) {
	switch {
	case opts.KeepLast < 0 || opts.OlderThanDays < 0:
		return nil, errs.E("", errs.Invalid, "keepLast and olderThanDays must not be negative")
	case opts.KeepLast == 0 && opts.OlderThanDays == 0:
		return nil, errs.E("", errs.Invalid, "give keepLast or olderThanDays (or both) to choose the versions to delete")
	case opts.OlderThanDays > maxDays:
		return nil, errs.Errorf("", errs.Invalid, "olderThanDays must be at most %d", maxDays)
	}
	cutoff := v.now().UTC().Add(-time.Duration(opts.OlderThanDays) * 24 * time.Hour)
	var found []candidate
	run := func(ctx context.Context, db bun.IDB) error {
		if err := exists(ctx, db); err != nil {
			return err
		}
		err := candidates(db, scope, opts, cutoff).
			ColumnExpr("c.id, c.resource_id, c.hash").
			OrderExpr("c.resource_id, c.id").
			Scan(ctx, &found)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if opts.DryRun || len(found) == 0 {
			return nil
		}
		res, err := db.NewDelete().Table("resource_versions").
			Where("id IN (?)", candidates(db, scope, opts, cutoff).ColumnExpr("c.id")).
			Exec(ctx)
		if err != nil {
			return err
		}
		// The transaction holds the write lock, so the statement deletes
		// exactly what the select found; anything else is a bug.
		if n, err := res.RowsAffected(); err == nil && n != int64(len(found)) {
			return fmt.Errorf("cleanup deleted %d versions, expected %d", n, len(found))
		}
		return nil
	}
	if opts.DryRun {
		if err := run(ctx, v.store.ReadDB()); err != nil {
			return nil, err
		}
		return found, nil
	}
	if err := dbtx.Write(ctx, v.store.DB(), func(ctx context.Context, tx dbtx.Tx) error { return run(ctx, tx) }); err != nil {
		return nil, err
	}
	hashes := make([]blobstore.Hash, len(found))
	for i, c := range found {
		hashes[i] = c.Hash
	}
	v.store.RemoveUnreferencedBlobs(ctx, hashes)
	return found, nil
}

// maxDays bounds olderThanDays so that the cutoff stays a valid time.
const maxDays = 1_000_000

// candidates selects, as the derived table c, the versions within scope that
// opts allow deleting. Each version is ranked within its resource, the
// current version first, then by version number descending: keepLast keeps
// the lowest ranks. Resources without a current version lose nothing.
func candidates(db bun.IDB, scope func(*bun.SelectQuery) *bun.SelectQuery, opts CleanupOptions, cutoff time.Time) *bun.SelectQuery {
	ranked := db.NewSelect().
		TableExpr("resource_versions AS v").
		Join("JOIN resources AS r ON r.id = v.resource_id").
		ColumnExpr("v.id, v.resource_id, v.hash, v.created_at, r.current_version_id AS current_id").
		ColumnExpr(`ROW_NUMBER() OVER (PARTITION BY v.resource_id
			ORDER BY CASE WHEN v.id = r.current_version_id THEN 0 ELSE 1 END, v.version_number DESC) AS keep_rank`)
	ranked = scope(ranked)
	q := db.NewSelect().TableExpr("(?) AS c", ranked).
		Where("c.current_id IS NOT NULL").
		Where("c.id <> c.current_id")
	if opts.KeepLast > 0 {
		q = q.Where("c.keep_rank > ?", opts.KeepLast)
	}
	if opts.OlderThanDays > 0 {
		// On SQLite, bun stores times as UTC text of one layout, whose
		// text order is time order; the cutoff is formatted the same way.
		q = q.Where("c.created_at < ?", cutoff.UTC())
	}
	return q
}
