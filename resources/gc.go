package resources

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/uptrace/bun"
)

// Unreferenced returns the hashes of hashes that no resource or version
// refers to and no upload in flight has pinned. With remove it also removes
// their blobs and derived files, under the same lock as the removals after
// deletes, so a blob cannot be pinned by an upload and removed at once
// (see removeUnreferencedChunk). The garbage collector calls it with blobs
// older than its grace period.
func (s *Store) Unreferenced(ctx context.Context, hashes []blobstore.Hash, remove bool) ([]blobstore.Hash, error) {
	var out []blobstore.Hash
	for start := 0; start < len(hashes); start += chunkSize {
		chunk := hashes[start:min(start+chunkSize, len(hashes))]
		got, err := s.unreferencedChunk(ctx, chunk, remove)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (s *Store) unreferencedChunk(ctx context.Context, chunk []blobstore.Hash, remove bool) ([]blobstore.Hash, error) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	candidates := make([]blobstore.Hash, 0, len(chunk))
	for _, h := range chunk {
		if s.pins[h] == 0 && !h.IsZero() {
			candidates = append(candidates, h)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	var referenced []blobstore.Hash
	in := bun.In(candidates)
	err := s.db.NewRaw(`SELECT hash FROM resources WHERE hash IN (?) UNION SELECT hash FROM resource_versions WHERE hash IN (?)`, in, in).
		Scan(ctx, &referenced)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	keep := make(map[blobstore.Hash]bool, len(referenced))
	for _, h := range referenced {
		keep[h] = true
	}
	var out []blobstore.Hash
	for _, h := range candidates {
		if !keep[h] {
			out = append(out, h)
		}
	}
	if !remove {
		return out, nil
	}
	return out, s.removeBlobs(ctx, out)
}

// removeWorkers is how many blobs removeBlobs removes at once: removals
// wait on the store (a commit, an unlink, a request), and a store that
// groups its commits gets several to group.
const removeWorkers = 4

// removeBlobs removes the blobs hs and their derived files, and returns
// the first error met.
func (s *Store) removeBlobs(ctx context.Context, hs []blobstore.Hash) error {
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	derived, _ := s.blobs.(blobstore.DerivedStore)
	for range min(removeWorkers, len(hs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(hs) {
					return
				}
				err := s.blobs.Remove(ctx, hs[i])
				if err == nil && derived != nil {
					err = derived.RemoveDerived(ctx, hs[i])
				}
				if err != nil {
					errOnce.Do(func() { first = err })
					next.Store(int64(len(hs))) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
