package versions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// Upload stores the content of r as a new version of the resource, with
// comment, and makes it current. The content is streamed to the blob store,
// never held in memory. If the resource does not exist nothing is stored;
// if anything fails, no row is written and the blob is removed unless
// something else refers to it.
func (v *Versioner) Upload(ctx context.Context, resourceID int64, r io.Reader, comment string) (*resources.Version, error) {
	up, err := v.Stage(ctx, resourceID, r)
	if err != nil {
		return nil, err
	}
	defer v.store.Release(ctx, up)
	return v.Add(ctx, resourceID, up, comment)
}

// Stage checks that the resource exists and streams r into the blob store,
// for callers that learn the comment only after the content (a multipart
// body whose comment field follows the file). Pass the Upload to Add, then
// release it with resources.Store.Release whatever Add returned.
func (v *Versioner) Stage(ctx context.Context, resourceID int64, r io.Reader) (*resources.Upload, error) {
	const op = "versions.Stage"
	if err := resourceExists(ctx, v.store.ReadDB(), resourceID); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	up, err := v.store.Stage(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return up, nil
}

// Add appends a version of the resource for staged content, with comment,
// and makes it current. up must not have been released yet.
func (v *Versioner) Add(ctx context.Context, resourceID int64, up *resources.Upload, comment string) (*resources.Version, error) {
	const op = "versions.Add"
	if up == nil {
		return nil, errs.E(op, errs.Invalid, "no content given")
	}
	out, err := v.store.AppendVersion(ctx, resourceID, up.Content(), comment)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// Restore appends a new version of the resource that points at the blob of
// one of its older versions, and makes it current; history is not
// rewritten. An empty comment becomes "Restored from version N". Restoring
// the current version appends a copy of it all the same.
func (v *Versioner) Restore(ctx context.Context, resourceID, versionID int64, comment string) (*resources.Version, error) {
	const op = "versions.Restore"
	var out *resources.Version
	err := dbtx.Write(ctx, v.store.DB(), func(ctx context.Context, tx dbtx.Tx) error {
		old, err := versionOf(ctx, tx, resourceID, versionID)
		if err != nil {
			return err
		}
		if strings.TrimSpace(comment) == "" {
			comment = fmt.Sprintf("Restored from version %d", old.VersionNumber)
		}
		out, err = resources.AppendVersionTx(ctx, tx, resourceID, contentOf(old), comment)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// Delete removes one version of the resource, then its blob if nothing else
// refers to it. The current version, which is also the only one of a
// resource with a single version, cannot be deleted (resources.ErrConflict);
// a version of another resource is resources.ErrInvalid; an unknown resource
// or version is resources.ErrNotFound, so deleting twice fails the second
// time.
func (v *Versioner) Delete(ctx context.Context, resourceID, versionID int64) error {
	const op = "versions.Delete"
	var hash blobstore.Hash
	err := dbtx.Write(ctx, v.store.DB(), func(ctx context.Context, tx dbtx.Tx) error {
		old, err := versionOf(ctx, tx, resourceID, versionID)
		if err != nil {
			return err
		}
		var (
			current *int64
			count   int
		)
		err = tx.NewRaw(`SELECT r.current_version_id, (SELECT count(*) FROM resource_versions WHERE resource_id = r.id)
			FROM resources AS r WHERE r.id = ?`, resourceID).Scan(ctx, &current, &count)
		if err != nil {
			return err
		}
		switch {
		case count <= 1:
			return errs.Errorf("", errs.Conflict, "version %d (number %d) is the only version of resource %d", old.ID, old.VersionNumber, resourceID)
		case current != nil && *current == old.ID:
			// Named by the ID the caller gave, its number beside it.
			return errs.Errorf("", errs.Conflict, "version %d (number %d) is the current version of resource %d; upload or restore another version first", old.ID, old.VersionNumber, resourceID)
		}
		if _, err := tx.NewDelete().Table("resource_versions").Where("id = ?", old.ID).Exec(ctx); err != nil {
			return err
		}
		hash = old.Hash
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	v.store.RemoveUnreferencedBlobs(ctx, []blobstore.Hash{hash})
	return nil
}

// resourceExists fails with a *resources.NotFoundError unless the resource
// exists.
func resourceExists(ctx context.Context, db bun.IDB, resourceID int64) error {
	var exists bool
	if err := db.NewRaw(`SELECT EXISTS (SELECT 1 FROM resources WHERE id = ?)`, resourceID).Scan(ctx, &exists); err != nil {
		return err
	}
	if !exists {
		return &resources.NotFoundError{Entity: "resource", ID: resourceID}
	}
	return nil
}

// versionOf returns the version, checking that the resource exists and that
// the version is one of its own.
func versionOf(ctx context.Context, db bun.IDB, resourceID, versionID int64) (*resources.Version, error) {
	if err := resourceExists(ctx, db, resourceID); err != nil {
		return nil, err
	}
	out := new(resources.Version)
	err := db.NewSelect().Model(out).Where("v.id = ?", versionID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &resources.NotFoundError{Entity: "version", ID: versionID}
	}
	if err != nil {
		return nil, err
	}
	if out.ResourceID != resourceID {
		return nil, errs.Errorf("", errs.Invalid, "version %d belongs to resource %d, not to resource %d", versionID, out.ResourceID, resourceID)
	}
	return out, nil
}

// contentOf is what a version records of its content.
func contentOf(v *resources.Version) resources.Content {
	return resources.Content{Hash: v.Hash, Size: v.FileSize, ContentType: v.ContentType, Width: v.Width, Height: v.Height}
}
