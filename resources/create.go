package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/media/probe"
)

// describe fills the content type, the image dimensions (as displayed: EXIF
// orientation applied) and the EXIF facts of u from its bytes: those of
// content when not nil, else those stored.
func (s *Store) describe(ctx context.Context, u *Upload, content io.ReadSeeker) error {
	if content == nil {
		f, err := s.blobs.Open(ctx, u.Hash)
		if err != nil {
			return err
		}
		defer f.Close()
		content = f
	}
	return describeContent(content, u)
}

// describeContent fills what describe does from r, the content of u.
func describeContent(r io.ReadSeeker, u *Upload) error {
	facts, err := probe.Describe(r)
	if err != nil {
		return err
	}
	u.ContentType, u.Width, u.Height = facts.ContentType, facts.Width, facts.Height
	if facts.HasEXIF {
		u.EXIF = facts.EXIF.Meta()
	}
	return nil
}

// CreateInput describes a new resource. Zero values mean "not given".
type CreateInput struct {
	Name             string
	Description      string
	OwnerID          *int64
	Groups           []int64
	Tags             []int64
	Notes            []int64
	Meta             Meta
	Category         string
	ContentCategory  string
	ResourceCategory *int64
	OriginalName     string
	OriginalLocation string
	// Width and Height, when positive, override the detected dimensions;
	// negative values are invalid.
	Width  int
	Height int
	// SeriesID assigns the resource to an existing series; SeriesSlug to the
	// series with that slug, created when missing.
	SeriesID   *int64
	SeriesSlug string
}

// NewResource pairs staged content with the description of the resource to
// create from it.
type NewResource struct {
	Upload *Upload
	CreateInput
}

// Create stores the content of r as a new resource with version 1.
func (s *Store) Create(ctx context.Context, r io.Reader, in CreateInput) (*Resource, error) {
	up, err := s.Stage(ctx, r)
	if err != nil {
		return nil, err
	}
	defer s.Release(ctx, up)
	created, err := s.CreateMany(ctx, []NewResource{{Upload: up, CreateInput: in}})
	if err != nil {
		return nil, err
	}
	return created[0], nil
}

// CreateMany creates one resource per staged upload in a single transaction:
// either all are created or none. The caller still releases the uploads.
// Concurrent calls share a transaction (each in a savepoint of its own),
// so that they share a commit.
func (s *Store) CreateMany(ctx context.Context, items []NewResource) ([]*Resource, error) {
	const op = "resources.Create"
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: %w", op, invalidf("no file given"))
	}
	var ids []int64
	var out []*Resource
	err := s.creates.Write(ctx, func(ctx context.Context, tx dbtx.Tx) error {
		var err error
		ids, err = s.createAllTx(ctx, tx, items, "the same content is given twice")
		if err == nil && s.readBackInTx() {
			out, err = s.getAllWith(ctx, tx, ids)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for _, it := range items {
		it.Upload.stored = true
	}
	if !s.readBackInTx() {
		out, err = s.getAllWith(context.WithoutCancel(ctx), s.rdb, ids)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return out, nil
}

// createAllTx creates one resource per item in tx and returns their IDs.
// Content given twice among the items is a conflict that twice describes
// (unless duplicates are allowed): it would otherwise be a DuplicateError
// naming the first copy's row, which the rollback removes.
func (s *Store) createAllTx(ctx context.Context, tx dbtx.Tx, items []NewResource, twice string) ([]int64, error) {
	ids := make([]int64, 0, len(items))
	seen := make(map[blobstore.Hash]bool, len(items))
	for _, it := range items {
		if it.Upload != nil && !s.allowDuplicates {
			if seen[it.Upload.Hash] {
				return nil, errs.E("", errs.Conflict, twice)
			}
			seen[it.Upload.Hash] = true
		}
		id, err := s.createTx(ctx, tx, it)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// readBackInTx tells whether CreateMany reads the resources it created
// within its write transaction rather than from the read pool after the
// commit. On SQLite it does: a commit makes every reader connection drop
// its page cache and unmap the file at its next read, so that a read back
// on the pool cost about 0.5 ms of CPU per upload (mostly munmap and
// pages read again), where the writer's connection, whose cache the
// commit leaves valid, reads the same rows in a few tens of µs.
// PostgreSQL keeps no such per-connection cache; its writes keep the
// shorter transaction.
func (s *Store) readBackInTx() bool { return !s.load.sql.pg }

// getAllWith reads the resources ids, which a transaction has just
// created, through db: that transaction, or the read pool once it has
// committed (see readBackInTx), all at once as a page is, so that the
// entities they share are read once.
func (s *Store) getAllWith(ctx context.Context, db bun.IDB, ids []int64) ([]*Resource, error) {
	q, err := querierFor(db)
	if err != nil {
		return nil, err
	}
	out, err := s.load.read(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if i >= len(out) || out[i].ID != id {
			return nil, notFound("resource", id)
		}
		out[i].Normalize()
	}
	return out, nil
}

func (s *Store) createTx(ctx context.Context, tx dbtx.Tx, it NewResource) (int64, error) {
	up, in := it.Upload, it.CreateInput
	if up == nil || up.released {
		return 0, invalidf("upload missing or already released")
	}
	if in.Width < 0 || in.Height < 0 {
		return 0, invalidf("Width and Height must not be negative")
	}
	meta, err := ParseMeta(in.Meta)
	if err != nil {
		return 0, err
	}
	if meta, err = withEXIF(meta, up.EXIF); err != nil {
		return 0, err
	}
	hash := up.Hash
	if !s.allowDuplicates {
		var existing int64
		err := tx.SQL().QueryRowContext(ctx, s.load.writeSQL.duplicate, hash).Scan(&existing)
		switch {
		case err == nil:
			return 0, &DuplicateError{ExistingID: existing, Hash: hash.String()}
		case !errors.Is(err, sql.ErrNoRows):
			return 0, err
		}
	}
	if err := checkRefs(ctx, tx, in.OwnerID, in.ResourceCategory, in.SeriesID, in.Tags, in.Groups, in.Notes); err != nil {
		return 0, err
	}
	seriesID := in.SeriesID
	if in.SeriesSlug != "" && seriesID == nil {
		id, err := seriesBySlug(ctx, tx, in.SeriesSlug, true)
		if err != nil {
			return 0, err
		}
		seriesID = &id
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = in.OriginalName
	}
	width, height := up.Width, up.Height
	if in.Width > 0 {
		width = in.Width
	}
	if in.Height > 0 {
		height = in.Height
	}
	contentCategory := in.ContentCategory
	if contentCategory == "" {
		contentCategory = probe.Category(up.ContentType)
	}
	t := now()
	res := &Resource{
		CreatedAt:          t,
		UpdatedAt:          t,
		Name:               name,
		Description:        in.Description,
		OriginalName:       in.OriginalName,
		OriginalLocation:   in.OriginalLocation,
		Hash:               hash,
		HashType:           HashType,
		Location:           up.Hash.Path(),
		Meta:               meta,
		Width:              width,
		Height:             height,
		FileSize:           up.Size,
		Category:           in.Category,
		ContentType:        up.ContentType,
		ContentCategory:    contentCategory,
		OwnerID:            nonZero(in.OwnerID),
		ResourceCategoryID: nonZero(in.ResourceCategory),
		SeriesID:           nonZero(seriesID),
		CreatedBy:          ActorFrom(ctx),
		UpdatedBy:          ActorFrom(ctx),
	}
	if err := s.load.insertResource(ctx, tx, res); err != nil {
		return 0, err
	}
	v := &Version{
		ResourceID:    res.ID,
		VersionNumber: 1,
		Hash:          hash,
		HashType:      HashType,
		FileSize:      up.Size,
		ContentType:   up.ContentType,
		Width:         width,
		Height:        height,
		Location:      res.Location,
		CreatedAt:     t,
	}
	if err := s.load.insertVersion(ctx, tx, v); err != nil {
		return 0, err
	}
	if _, err := tx.SQL().ExecContext(ctx, s.load.writeSQL.setCurrent, v.ID, res.ID); err != nil {
		return 0, err
	}
	if err := replaceLinks(ctx, tx, resourceLinks, res.ID, in.Tags, in.Groups, in.Notes); err != nil {
		return 0, err
	}
	return res.ID, nil
}

func nonZero(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}
