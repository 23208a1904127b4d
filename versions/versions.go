// Package versions keeps the history of every resource's file: Versioner
// lists and reads the versions that resources.Store writes (version 1 on
// every create). Uploading, restoring, deleting, cleaning up and comparing
// versions build on it.
package versions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stockroomhq/stockroom/resources"
)

// Versioner reads and changes the version history of resources. It is safe
// for concurrent use.
type Versioner struct {
	store *resources.Store
}

// New returns a Versioner over the store's database and blobs.
func New(store *resources.Store) *Versioner { return &Versioner{store: store} }

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
