package aferostore

import (
	"context"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
)

// WalkDerived calls fn with every derived file: the blob it was derived
// from, its name, size and modification time. A cache with a size cap
// (media/preview) counts what earlier runs stored with it.
func (s *Store) WalkDerived(ctx context.Context, fn func(h blobstore.Hash, name string, size int64, modTime time.Time) error) error {
	const op = "aferostore.WalkDerived"
	d1s, err := s.readDir(ctx, DerivedDir)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, d1 := range d1s {
		if !d1.IsDir() || !isHexPair(d1.Name()) {
			continue
		}
		p1 := DerivedDir + "/" + d1.Name()
		d2s, err := s.readDir(ctx, p1)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, d2 := range d2s {
			if !d2.IsDir() || !isHexPair(d2.Name()) {
				continue
			}
			p2 := p1 + "/" + d2.Name()
			blobs, err := s.readDir(ctx, p2)
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			for _, b := range blobs {
				h, err := blobstore.ParseHash(b.Name())
				if err != nil || !b.IsDir() || derivedDir(h) != p2+"/"+b.Name() {
					continue
				}
				files, err := s.readDir(ctx, p2+"/"+b.Name())
				if err != nil {
					return fmt.Errorf("%s: %w", op, err)
				}
				for _, f := range files {
					if !f.Mode().IsRegular() || !blobstore.ValidDerivedName(f.Name()) {
						continue
					}
					if err := fn(h, f.Name(), f.Size(), f.ModTime()); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
