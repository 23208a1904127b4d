package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SimilarResource is a resource found similar to another, with the
// distance between their images (the larger of the dHash and pHash Hamming
// distances, 0 to the similarity threshold).
type SimilarResource struct {
	*Resource
	Distance int `json:"Distance"`
}

// MaxSimilar bounds the answer of Similar.
const MaxSimilar = 500

// Similar lists the resources whose images are similar to that of resource
// id, closest first (at most MaxSimilar). It reads the pairs the media
// worker (package mediasvc) recorded; an image not yet processed, or a resource that is not an
// image, has none.
func (s *Store) Similar(ctx context.Context, id int64) ([]SimilarResource, error) {
	const op = "resources.Similar"
	if err := ensureExist(ctx, s.rdb, "resources", "resource", []int64{id}); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var pairs []struct {
		OtherID  int64 `bun:"other_id"`
		Distance int   `bun:"distance"`
	}
	err := s.rdb.NewRaw(`SELECT other_id, distance FROM resource_similar WHERE resource_id = ?
		ORDER BY distance, other_id LIMIT ?`, id, MaxSimilar).Scan(ctx, &pairs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := make([]SimilarResource, 0, len(pairs))
	for _, p := range pairs {
		r, err := s.getWith(ctx, s.rdb, p.OtherID)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, SimilarResource{Resource: r, Distance: p.Distance})
	}
	return out, nil
}
