// Package versions keeps the history of every resource's file. Versioner
// lists and reads the versions that resources.Store writes (version 1 on
// every create), uploads new ones, restores, deletes and cleans up old ones,
// and compares two of them.
//
// The rules it keeps:
//
//   - Every change appends: an upload or a restore becomes version max+1 and
//     the current one, and the resource's Hash, Location, FileSize,
//     ContentType, Width and Height follow it (resources.AppendVersionTx).
//     A restore points at the old blob; no bytes are copied.
//   - The current version is never deleted, by Delete or by a cleanup.
//   - Blobs are shared between resources and versions: one is removed only
//     once the transaction that dropped its last reference has committed, and
//     never while an upload has it pinned (resources.Store.RemoveUnreferencedBlobs).
//   - A version named together with a resource must belong to it: a version
//     of another resource is invalid input (resources.ErrInvalid), not a
//     missing one.
//
// Errors wrap the kinds of package resources (ErrNotFound, ErrInvalid,
// ErrConflict), so that callers and the HTTP layer compare them with
// errors.Is.
package versions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom/resources"
)

// Versioner reads and changes the version history of resources. It is safe
// for concurrent use once its fields are set.
type Versioner struct {
	// Now tells the time that cleanups measure ages against; nil means
	// time.Now. Set it before first use.
	Now func() time.Time

	store *resources.Store
}

// New returns a Versioner over the store's database and blobs.
func New(store *resources.Store) *Versioner { return &Versioner{store: store} }

func (v *Versioner) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// List returns the versions of a resource, newest first.
func (v *Versioner) List(ctx context.Context, resourceID int64) ([]*resources.Version, error) {
	const op = "versions.List"
	db := v.store.ReadDB()
	var exists bool
	if err := db.NewRaw(`SELECT EXISTS (SELECT 1 FROM resources WHERE id = ?)`, resourceID).Scan(ctx, &exists); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !exists {
		return nil, fmt.Errorf("%s: %w", op, &resources.NotFoundError{Entity: "resource", ID: resourceID})
	}
	out := []*resources.Version{}
	err := db.NewSelect().Model(&out).Where("v.resource_id = ?", resourceID).OrderExpr("v.version_number DESC").Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// Get returns one version by its ID.
func (v *Versioner) Get(ctx context.Context, versionID int64) (*resources.Version, error) {
	const op = "versions.Get"
	out := new(resources.Version)
	err := v.store.ReadDB().NewSelect().Model(out).Where("v.id = ?", versionID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, &resources.NotFoundError{Entity: "version", ID: versionID})
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}
