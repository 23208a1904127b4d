package resources

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// Content describes stored bytes as a version records them.
type Content struct {
	Hash        blobstore.Hash // a blob in the store
	Size        int64
	ContentType string
	Width       int
	Height      int
}

// Content returns what u stored.
func (u *Upload) Content() Content {
	return Content{Hash: u.Hash, Size: u.Size, ContentType: u.ContentType, Width: u.Width, Height: u.Height}
}

// AppendVersion adds a version of the resource pointing at content, numbered
// after its newest version, and makes it current: the resource's Hash,
// Location, FileSize, ContentType, Width and Height follow it. The blob must
// already be stored (a staged Upload, or the blob of an older version).
func (s *Store) AppendVersion(ctx context.Context, resourceID int64, content Content, comment string) (*Version, error) {
	const op = "resources.AppendVersion"
	var v *Version
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		var err error
		v, err = AppendVersionTx(ctx, tx, resourceID, content, comment)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// AppendVersionTx is AppendVersion inside the caller's transaction.
func AppendVersionTx(ctx context.Context, tx bun.IDB, resourceID int64, content Content, comment string) (*Version, error) {
	if err := ensureExist(ctx, tx, "resources", "resource", []int64{resourceID}); err != nil {
		return nil, err
	}
	if content.Hash.IsZero() {
		return nil, invalidf("version content has no valid hash")
	}
	var last int
	if err := tx.NewRaw(`SELECT coalesce(max(version_number), 0) FROM resource_versions WHERE resource_id = ?`, resourceID).Scan(ctx, &last); err != nil {
		return nil, err
	}
	location := content.Hash.Path()
	t := now()
	v := &Version{
		ResourceID:    resourceID,
		VersionNumber: last + 1,
		Hash:          content.Hash,
		HashType:      HashType,
		FileSize:      content.Size,
		ContentType:   content.ContentType,
		Width:         content.Width,
		Height:        content.Height,
		Location:      location,
		Comment:       comment,
		CreatedAt:     t,
	}
	if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
		return nil, err
	}
	_, err := tx.NewUpdate().Table("resources").Where("id = ?", resourceID).
		Set("hash = ?", content.Hash).
		Set("location = ?", location).
		Set("file_size = ?", content.Size).
		Set("content_type = ?", content.ContentType).
		Set("width = ?", content.Width).
		Set("height = ?", content.Height).
		Set("current_version_id = ?", v.ID).
		Set("updated_at = ?", t).
		Set("updated_by = ?", ActorFrom(ctx)).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// RemoveUnreferencedBlobs removes each of the blobs that no resource or version refers to any more and no upload in flight has
// pinned. Call it after the transaction that dropped the references commits.
// It asks the database about many hashes per query (removeUnreferencedSet).
func (s *Store) RemoveUnreferencedBlobs(ctx context.Context, hashes []blobstore.Hash) {
	s.removeUnreferencedSet(context.WithoutCancel(ctx), hashes)
}
