package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"github.com/stockroomhq/stockroom/blobstore"
)

// derivedPrefix is the folder of the derived files of blob h:
// prefix/derived/ab/cd/<hash>/.
func (s *Store) derivedPrefix(h blobstore.Hash) string {
	return s.prefix + DerivedDir + "/" + h.Path() + "/"
}

// PutDerived implements blobstore.DerivedStore. The content is staged in
// TempDir, then uploaded with one PUT, which replaces the key atomically.
func (s *Store) PutDerived(ctx context.Context, h blobstore.Hash, name string, r io.Reader) error {
	const op = "s3store.PutDerived"
	if !blobstore.ValidDerivedName(name) {
		return fmt.Errorf("%s %q: %w", op, name, blobstore.ErrInvalidName)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	st, err := s.stage(ctx, r)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer st.Close()
	key := s.derivedPrefix(h) + name
	if _, err := s.upload(ctx, key, st, false); err != nil {
		return s.fail(ctx, op, key, err)
	}
	return nil
}

// OpenDerived implements blobstore.DerivedStore.
func (s *Store) OpenDerived(ctx context.Context, h blobstore.Hash, name string) (blobstore.File, error) {
	const op = "s3store.OpenDerived"
	if !blobstore.ValidDerivedName(name) {
		return nil, fmt.Errorf("%s %q: %w", op, name, blobstore.ErrInvalidName)
	}
	return s.open(ctx, op, s.derivedPrefix(h)+name)
}

// RemoveDerived implements blobstore.DerivedStore: it lists the derived
// files of h and deletes them one by one. Remove calls it too.
func (s *Store) RemoveDerived(ctx context.Context, h blobstore.Hash) error {
	const op = "s3store.RemoveDerived"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.removeDerived(ctx, op, h)
}

func (s *Store) removeDerived(ctx context.Context, op string, h blobstore.Hash) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := s.derivedPrefix(h)
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if obj.Err != nil {
			return s.fail(ctx, op, dir, obj.Err)
		}
		if err := s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			if err := s.fail(ctx, op, obj.Key, err); !errors.Is(err, blobstore.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}
