package aferostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/stockroomhq/stockroom/blobstore"
)

var (
	_ blobstore.DerivedStore = (*Store)(nil)
	_ blobstore.LocalPather  = (*Store)(nil)
)

// derivedDir is the folder of the derived files of blob h:
// derived/ab/cd/<hash>.
func derivedDir(h blobstore.Hash) string {
	return DerivedDir + "/" + h.Path()
}

// PutDerived implements blobstore.DerivedStore. The content is streamed into
// a temporary file in [TempDir], synced, then renamed to
// derived/ab/cd/<hash>/<name>.
func (s *Store) PutDerived(ctx context.Context, h blobstore.Hash, name string, r io.Reader) error {
	const op = "aferostore.PutDerived"
	if !blobstore.ValidDerivedName(name) {
		return fmt.Errorf("%s %q: %w", op, name, blobstore.ErrInvalidName)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	tmp, _, err := s.spool(ctx, r, nil, nil, false)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	committed := false
	defer func() { tmp.done(committed) }()
	dir := derivedDir(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := s.fs.Rename(tmp.name, path.Join(dir, name)); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	committed = true
	return nil
}

// OpenDerived implements blobstore.DerivedStore.
func (s *Store) OpenDerived(ctx context.Context, h blobstore.Hash, name string) (blobstore.File, error) {
	const op = "aferostore.OpenDerived"
	if !blobstore.ValidDerivedName(name) {
		return nil, fmt.Errorf("%s %q: %w", op, name, blobstore.ErrInvalidName)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	f, err := s.fs.Open(path.Join(derivedDir(h), name))
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", op, h, name, notFound(err))
	}
	return f, nil
}

// RemoveDerived implements blobstore.DerivedStore. Remove calls it too: the
// derived files of a blob go with it.
func (s *Store) RemoveDerived(ctx context.Context, h blobstore.Hash) error {
	const op = "aferostore.RemoveDerived"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	s.mu.Lock()
	err := s.fs.RemoveAll(derivedDir(h))
	s.mu.Unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	return nil
}

// LocalPath implements blobstore.LocalPather: when LocalDir is set, blob h
// is the file LocalDir/ab/cd/<hash> of the host.
func (s *Store) LocalPath(h blobstore.Hash) (string, bool) {
	if s.LocalDir == "" {
		return "", false
	}
	return filepath.Join(s.LocalDir, filepath.FromSlash(h.Path())), true
}
