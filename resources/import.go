package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// ImportResult is the outcome of one item of ImportMany: either a new
// resource (ID) or the resource that already has the content (ExistingID).
type ImportResult struct {
	ID         int64
	ExistingID int64
}

// ImportMany creates a resource for each staged upload whose content is not
// stored yet, in one transaction, and skips the others, reporting which
// resource has their content (an earlier item of the same batch included).
// Unlike CreateMany it does not fail on stored content, whatever
// AllowDuplicates says: it is meant for bulk imports that may be run again.
// Any other error fails the whole batch. The caller still releases the
// uploads.
func (s *Store) ImportMany(ctx context.Context, items []NewResource) ([]ImportResult, error) {
	const op = "resources.ImportMany"
	out := make([]ImportResult, len(items))
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		clear(out)
		batch := map[blobstore.Hash]int64{}
		for i, it := range items {
			if it.Upload == nil {
				return invalidf("upload missing")
			}
			hash := it.Upload.Hash
			if id, ok := batch[hash]; ok {
				out[i].ExistingID = id
				continue
			}
			var existing int64
			err := tx.NewSelect().Table("resources").Column("id").Where("hash = ?", hash).Order("id").Limit(1).Scan(ctx, &existing)
			switch {
			case err == nil:
				out[i].ExistingID = existing
				batch[hash] = existing
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			id, err := s.createTx(ctx, tx, it)
			if err != nil {
				return err
			}
			out[i].ID = id
			batch[hash] = id
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}
