package resources

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/uptrace/bun"
)

// removeUnreferencedSet removes each blob of hashes that no resource or
// version refers to and no in-flight upload has pinned, like
// removeUnreferenced, but asks the database about chunkSize hashes at a time:
// removing the blobs of thousands of deleted versions costs a few queries,
// not one per blob. It runs after commits; failures are logged, leaving
// garbage for gc, never a dangling row.
//
// Each chunk is checked and removed under pinMu, as removeIfUnreferenced
// does for one blob: a reference can only appear through an upload (pinned
// before its rows commit, so either seen pinned here or seen referenced by
// the query) or by copying an existing reference (then the blob was
// referenced when the query ran).
func (s *Store) removeUnreferencedSet(ctx context.Context, hashes []blobstore.Hash) {
	seen := make(map[blobstore.Hash]bool, len(hashes))
	hs := make([]blobstore.Hash, 0, len(hashes))
	for _, h := range hashes {
		if h.IsZero() || seen[h] {
			continue
		}
		seen[h] = true
		hs = append(hs, h)
	}
	for start := 0; start < len(hs); start += chunkSize {
		s.removeUnreferencedChunk(ctx, hs[start:min(start+chunkSize, len(hs))])
	}
}

func (s *Store) removeUnreferencedChunk(ctx context.Context, chunk []blobstore.Hash) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	candidates := make([]blobstore.Hash, 0, len(chunk))
	for _, h := range chunk {
		if s.pins[h] == 0 {
			candidates = append(candidates, h)
		}
	}
	if len(candidates) == 0 {
		return
	}
	var referenced []blobstore.Hash
	in := bun.In(candidates)
	err := s.db.NewRaw(`SELECT hash FROM resources WHERE hash IN (?) UNION SELECT hash FROM resource_versions WHERE hash IN (?)`, in, in).
		Scan(ctx, &referenced)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		s.log.Warn("checking blob references", "blobs", len(candidates), "err", err)
		return
	}
	keep := make(map[blobstore.Hash]bool, len(referenced))
	for _, h := range referenced {
		keep[h] = true
	}
	for _, h := range candidates {
		if keep[h] {
			continue
		}
		if err := s.blobs.Remove(ctx, h); err != nil {
			s.log.Warn("removing unreferenced blob", "hash", h, "err", err)
		}
	}
}
