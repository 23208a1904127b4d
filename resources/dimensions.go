package resources

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/media/probe"
)

// SetDimensions sets the width and height recorded for a resource, both
// positive, and returns it as stored.
func (s *Store) SetDimensions(ctx context.Context, id int64, width, height int) (*Resource, error) {
	const op = "resources.SetDimensions"
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("%s: %w", op, invalidf("Width and Height must be positive"))
	}
	r, err := s.Edit(ctx, EditInput{ID: id, Width: &width, Height: &height})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return r, nil
}

// Dimensions is the size recorded for a resource after
// RecalculateDimensions.
type Dimensions struct {
	ID     int64 `json:"ID"`
	Width  int   `json:"Width"`
	Height int   `json:"Height"`
	// Changed tells whether the recorded size was different.
	Changed bool `json:"Changed"`
	// Known is false when the file's size could not be read (not an
	// image, or a broken header); the recorded size is then kept.
	Known bool `json:"Known"`
}

// RecalculateDimensions reads the size of each resource's current file from
// its header, as displayed (EXIF orientation applied), and records it on
// the resource and its current version. Every ID must exist, or nothing
// changes (ErrNotFound). Files whose size cannot be read keep the recorded
// one.
func (s *Store) RecalculateDimensions(ctx context.Context, ids []int64) ([]Dimensions, error) {
	const op = "resources.RecalculateDimensions"
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: %w", op, invalidf("no resource ID given"))
	}
	ids = distinctIDs(ids)
	if err := ensureExist(ctx, s.rdb, "resources", "resource", ids); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	type current struct {
		ID     int64          `bun:"id"`
		Hash   blobstore.Hash `bun:"hash"`
		Width  int            `bun:"width"`
		Height int            `bun:"height"`
	}
	out := make([]Dimensions, 0, len(ids))
	found := make([]current, 0, len(ids))
	for start := 0; start < len(ids); start += chunkSize {
		var part []current
		err := s.rdb.NewSelect().Table("resources").Column("id", "hash", "width", "height").
			Where("id IN (?)", bun.In(ids[start:min(start+chunkSize, len(ids))])).Scan(ctx, &part)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		found = append(found, part...)
	}
	byID := make(map[int64]current, len(found))
	for _, c := range found {
		byID[c.ID] = c
	}
	var updates []Dimensions
	hashes := map[int64]blobstore.Hash{}
	for _, id := range ids {
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("%s: %w", op, notFound("resource", id))
		}
		d := Dimensions{ID: id, Width: c.Width, Height: c.Height}
		if w, h, ok := s.readDimensions(ctx, c.Hash); ok {
			d.Known = true
			d.Changed = w != c.Width || h != c.Height
			d.Width, d.Height = w, h
			if d.Changed {
				updates = append(updates, d)
				hashes[id] = c.Hash
			}
		}
		out = append(out, d)
	}
	if len(updates) > 0 {
		err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
			for _, d := range updates {
				// Only if the file is still the one that was read.
				if _, err := tx.NewRaw(`UPDATE resources SET width = ?, height = ?, updated_at = ? WHERE id = ? AND hash = ?`,
					d.Width, d.Height, now(), d.ID, hashes[d.ID]).Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.NewRaw(`UPDATE resource_versions SET width = ?, height = ?
					WHERE id = (SELECT current_version_id FROM resources WHERE id = ? AND hash = ?) AND hash = ?`,
					d.Width, d.Height, d.ID, hashes[d.ID], hashes[d.ID]).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return out, nil
}

// readDimensions reads the displayed size of stored content.
func (s *Store) readDimensions(ctx context.Context, h blobstore.Hash) (int, int, bool) {
	f, err := s.blobs.Open(ctx, h)
	if err != nil {
		if !errors.Is(err, blobstore.ErrNotFound) {
			s.log.Warn("opening a file to read its size", "hash", h, "err", err)
		}
		return 0, 0, false
	}
	defer f.Close()
	facts, err := probe.Describe(f)
	if err != nil || facts.Width <= 0 || facts.Height <= 0 {
		return 0, 0, false
	}
	return facts.Width, facts.Height, true
}
