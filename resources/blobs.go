package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
)

// BlobInfo describes stored content as the rows that refer to it know it.
type BlobInfo struct {
	Hash        blobstore.Hash
	Size        int64
	ContentType string
	ModTime     time.Time
}

// OpenBlob opens stored content by its hex hash for serving. Content that no
// resource or version refers to is reported as not found, so that garbage
// awaiting collection is never served.
func (s *Store) OpenBlob(ctx context.Context, hex string) (blobstore.File, BlobInfo, error) {
	const op = "resources.OpenBlob"
	h, err := blobstore.ParseHash(hex)
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("%s: %w", op, invalidf("bad hash %q", hex))
	}
	return s.openBlob(ctx, op, h, hex)
}

// OpenContent is OpenBlob for a hash already parsed, such as a Resource's
// or a Version's.
func (s *Store) OpenContent(ctx context.Context, h blobstore.Hash) (blobstore.File, BlobInfo, error) {
	return s.openBlob(ctx, "resources.OpenContent", h, h.String())
}

// openBlob opens h; hex is how the caller named it, for errors.
func (s *Store) openBlob(ctx context.Context, op string, h blobstore.Hash, hex string) (blobstore.File, BlobInfo, error) {
	info := BlobInfo{Hash: h}
	err := s.rdb.NewRaw(`SELECT content_type, created_at FROM (
		SELECT content_type, created_at FROM resources WHERE hash = ?
		UNION ALL SELECT content_type, created_at FROM resource_versions WHERE hash = ?) AS b LIMIT 1`, h, h).
		Scan(ctx, &info.ContentType, &info.ModTime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, BlobInfo{}, fmt.Errorf("%s: %w", op, &NotFoundError{Entity: "file", Slug: hex})
	}
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	f, err := s.blobs.Open(ctx, h)
	if errors.Is(err, blobstore.ErrNotFound) {
		return nil, BlobInfo{}, fmt.Errorf("%s: %w", op, &NotFoundError{Entity: "file", Slug: hex})
	}
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	if info.Size, err = s.sizeOf(ctx, f, h); err != nil {
		f.Close()
		return nil, BlobInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	return f, info, nil
}

// sizeOf returns the length of f, the open blob h: from f itself when it
// knows it (an object store's file learnt it opening, and asking the
// store again would cost another request), else from the store.
func (s *Store) sizeOf(ctx context.Context, f blobstore.File, h blobstore.Hash) (int64, error) {
	if sized, ok := f.(interface{ Size() int64 }); ok {
		return sized.Size(), nil
	}
	st, err := s.blobs.Stat(ctx, h)
	return st.Size, err
}
