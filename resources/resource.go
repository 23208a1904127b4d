package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// Get returns the resource with its owner, tags, groups, notes, resource
// category and series.
func (s *Store) Get(ctx context.Context, id int64) (*Resource, error) {
	// A read of one resource is a few indexed lookups, done before a
	// cancel could help; a cancellable context costs two goroutines per
	// statement (database/sql's and the SQLite driver's watchers).
	r, err := s.getWith(context.WithoutCancel(ctx), s.rdb, id)
	if err != nil {
		return nil, fmt.Errorf("resources.Get: %w", err)
	}
	return r, nil
}

// GetTx is Get through db: the writer (DB) to read what was just
// committed, or the caller's transaction.
func (s *Store) GetTx(ctx context.Context, db bun.IDB, id int64) (*Resource, error) {
	return s.getWith(ctx, db, id)
}

func (s *Store) getWith(ctx context.Context, db bun.IDB, id int64) (*Resource, error) {
	q, err := querierFor(db)
	if err != nil {
		return nil, err
	}
	rs, err := s.load.read(ctx, q, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, notFound("resource", id)
	}
	r := rs[0]
	r.Normalize()
	return r, nil
}

// Normalize makes empty relations encode as [] rather than null, and empty
// Meta as {}.
func (r *Resource) Normalize() {
	if r.Tags == nil {
		r.Tags = []*Tag{}
	}
	if r.Groups == nil {
		r.Groups = []*Group{}
	}
	if r.Notes == nil {
		r.Notes = []*Note{}
	}
	if len(r.Meta) == 0 {
		r.Meta = Meta(`{}`)
	}
}

// EditInput is a partial update of a resource: nil fields keep their value.
// For OwnerID, ResourceCategory and SeriesID a pointer to 0 clears the
// reference. Tags, Groups and Notes, when non-nil, replace the set (an empty
// slice clears it). Meta, when non-nil, replaces the object.
type EditInput struct {
	ID               int64
	Name             *string
	Description      *string
	OriginalName     *string
	OriginalLocation *string
	Category         *string
	ContentCategory  *string
	OwnerID          *int64
	ResourceCategory *int64
	SeriesID         *int64
	SeriesSlug       *string
	Tags             []int64
	Groups           []int64
	Notes            []int64
	Meta             Meta
	Width            *int
	Height           *int
}

// Edit applies in to the resource and returns it as stored.
func (s *Store) Edit(ctx context.Context, in EditInput) (*Resource, error) {
	const op = "resources.Edit"
	if in.Width != nil && *in.Width < 0 || in.Height != nil && *in.Height < 0 {
		return nil, fmt.Errorf("%s: %w", op, invalidf("Width and Height must not be negative"))
	}
	meta, err := normalizeMeta(in.Meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	in.Meta = meta
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, "resources", "resource", []int64{in.ID}); err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, in.OwnerID, in.ResourceCategory, in.SeriesID, nil, nil, nil); err != nil {
			return err
		}
		q := tx.NewUpdate().Table("resources").Where("id = ?", in.ID).Set("updated_at = ?", now()).Set("updated_by = ?", ActorFrom(ctx))
		setString := func(col string, v *string) {
			if v != nil {
				q.Set(col+" = ?", *v)
			}
		}
		if in.Name != nil {
			q.Set("name = ?", strings.TrimSpace(*in.Name))
		}
		setString("description", in.Description)
		setString("original_name", in.OriginalName)
		setString("original_location", in.OriginalLocation)
		setString("category", in.Category)
		setString("content_category", in.ContentCategory)
		setRef := func(col string, v *int64) {
			if v != nil {
				q.Set(col+" = ?", nonZero(v))
			}
		}
		setRef("owner_id", in.OwnerID)
		setRef("resource_category_id", in.ResourceCategory)
		if in.SeriesSlug != nil && in.SeriesID == nil {
			if *in.SeriesSlug == "" {
				q.Set("series_id = NULL")
			} else {
				id, err := seriesBySlug(ctx, tx, *in.SeriesSlug, true)
				if err != nil {
					return err
				}
				q.Set("series_id = ?", id)
			}
		}
		setRef("series_id", in.SeriesID)
		if in.Meta != nil {
			q.Set("meta = ?", in.Meta)
		}
		if in.Width != nil {
			q.Set("width = ?", *in.Width)
		}
		if in.Height != nil {
			q.Set("height = ?", *in.Height)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		return replaceLinks(ctx, tx, resourceLinks, in.ID, in.Tags, in.Groups, in.Notes)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r, err := s.getWith(ctx, s.db, in.ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return r, nil
}

// EditName sets the resource's name.
func (s *Store) EditName(ctx context.Context, id int64, name string) error {
	_, err := s.Edit(ctx, EditInput{ID: id, Name: &name})
	return err
}

// EditDescription sets the resource's description.
func (s *Store) EditDescription(ctx context.Context, id int64, description string) error {
	_, err := s.Edit(ctx, EditInput{ID: id, Description: &description})
	return err
}

// Delete removes the resource, its versions and its associations, then the
// blobs nothing else refers to any more.
func (s *Store) Delete(ctx context.Context, id int64) error {
	return s.DeleteMany(ctx, []int64{id})
}

// DeleteMany removes all the given resources in one transaction, or none of
// them if any ID is unknown.
func (s *Store) DeleteMany(ctx context.Context, ids []int64) error {
	const op = "resources.Delete"
	if len(ids) == 0 {
		return fmt.Errorf("%s: %w", op, invalidf("no resource ID given"))
	}
	var hashes []blobstore.Hash
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, "resources", "resource", ids); err != nil {
			return err
		}
		var err error
		hashes, err = deleteRows(ctx, tx, ids)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if s.swept && len(ids) > 1 {
		// Thousands of files would be removed inside the request: the
		// sweeper does it.
		return nil
	}
	s.RemoveUnreferencedBlobs(ctx, hashes)
	return nil
}

// deleteRows deletes the resources (their versions and links go by cascade)
// and returns the hashes they and their versions referred to, for removal
// after the commit.
func deleteRows(ctx context.Context, tx bun.IDB, ids []int64) ([]blobstore.Hash, error) {
	var hashes []blobstore.Hash
	for start := 0; start < len(ids); start += chunkSize {
		chunk := bun.In(ids[start:min(start+chunkSize, len(ids))])
		var hs []blobstore.Hash
		if err := tx.NewRaw(`SELECT hash FROM resources WHERE id IN (?) UNION SELECT hash FROM resource_versions WHERE resource_id IN (?)`, chunk, chunk).Scan(ctx, &hs); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		hashes = append(hashes, hs...)
		if _, err := tx.NewDelete().Table("resources").Where("id IN (?)", chunk).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return hashes, nil
}
