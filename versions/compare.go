package versions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// Comparison sets two versions side by side. JSON field names follow the
// versions API.
type Comparison struct {
	Version1 *resources.Version `json:"version1"`
	Version2 *resources.Version `json:"version2"`
	// SizeDelta is Version2's size minus Version1's, in bytes.
	SizeDelta int64 `json:"sizeDelta"`
	// SameHash reports identical content.
	SameHash bool `json:"sameHash"`
	// SameType reports the same content type.
	SameType bool `json:"sameType"`
	// DimensionsDiff reports a different width or height.
	DimensionsDiff bool `json:"dimensionsDiff"`
	// CrossResource reports versions of two different resources.
	CrossResource bool `json:"crossResource"`
}

func compare(a, b *resources.Version) Comparison {
	return Comparison{
		Version1:       a,
		Version2:       b,
		SizeDelta:      b.FileSize - a.FileSize,
		SameHash:       a.Hash == b.Hash,
		SameType:       a.ContentType == b.ContentType,
		DimensionsDiff: a.Width != b.Width || a.Height != b.Height,
		CrossResource:  a.ResourceID != b.ResourceID,
	}
}

// Compare compares two versions of one resource, named by their IDs (the
// same ID twice is allowed). A version of another resource is
// resources.ErrInvalid; to compare across resources use CompareAcross.
func (v *Versioner) Compare(ctx context.Context, resourceID, versionID1, versionID2 int64) (*Comparison, error) {
	const op = "versions.Compare"
	db := v.store.ReadDB()
	a, err := versionOf(ctx, db, resourceID, versionID1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	b, err := versionOf(ctx, db, resourceID, versionID2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	c := compare(a, b)
	return &c, nil
}

// VersionRef names a version by its resource and its number within that
// resource's history. Number zero means the current version.
type VersionRef struct {
	ResourceID int64
	Number     int
}

// ResourceSummary describes the resource a compared version belongs to.
type ResourceSummary struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	CurrentVersionID *int64 `json:"currentVersionId"`
	// VersionNumbers lists the numbers of the resource's versions, newest
	// first, so that a caller can offer the others for comparison.
	VersionNumbers []int `json:"versionNumbers"`
}

// CrossComparison is a Comparison of versions of any two resources (or of
// the same one), with the resources they belong to.
type CrossComparison struct {
	Comparison
	Resource1 ResourceSummary `json:"resource1"`
	Resource2 ResourceSummary `json:"resource2"`
}

// CompareAcross compares two versions named by resource and version number,
// of the same resource or of two; CrossResource tells which. An unknown
// resource or version number is resources.ErrNotFound, a negative number
// resources.ErrInvalid.
func (v *Versioner) CompareAcross(ctx context.Context, ref1, ref2 VersionRef) (*CrossComparison, error) {
	const op = "versions.CompareAcross"
	db := v.store.ReadDB()
	r1, a, err := versionByNumber(ctx, db, ref1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r2, b, err := versionByNumber(ctx, db, ref2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &CrossComparison{Comparison: compare(a, b), Resource1: *r1, Resource2: *r2}, nil
}

// versionByNumber loads the resource of ref with its version numbers, and
// the version ref names.
func versionByNumber(ctx context.Context, db bun.IDB, ref VersionRef) (*ResourceSummary, *resources.Version, error) {
	if ref.Number < 0 {
		return nil, nil, errs.Errorf("", errs.Invalid, "a version number must be positive, got %d", ref.Number)
	}
	sum := &ResourceSummary{ID: ref.ResourceID}
	err := db.NewRaw(`SELECT name, current_version_id FROM resources WHERE id = ?`, ref.ResourceID).
		Scan(ctx, &sum.Name, &sum.CurrentVersionID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, &resources.NotFoundError{Entity: "resource", ID: ref.ResourceID}
	}
	if err != nil {
		return nil, nil, err
	}
	err = db.NewRaw(`SELECT version_number FROM resource_versions WHERE resource_id = ? ORDER BY version_number DESC`, ref.ResourceID).
		Scan(ctx, &sum.VersionNumbers)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, err
	}
	if sum.VersionNumbers == nil {
		sum.VersionNumbers = []int{}
	}
	ver := new(resources.Version)
	q := db.NewSelect().Model(ver).Where("v.resource_id = ?", ref.ResourceID)
	switch {
	case ref.Number > 0:
		q = q.Where("v.version_number = ?", ref.Number)
	case sum.CurrentVersionID != nil:
		q = q.Where("v.id = ?", *sum.CurrentVersionID)
	default:
		q = q.OrderExpr("v.version_number DESC").Limit(1)
	}
	err = q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errs.Errorf("", errs.NotFound, "resource %d has no version %d", ref.ResourceID, ref.Number)
	}
	if err != nil {
		return nil, nil, err
	}
	return sum, ver, nil
}
