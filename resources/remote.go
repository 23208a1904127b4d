package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/uptrace/bun"
)

// OwnerGroup names a group to own new resources, found by name (and
// category, when given) or created. The zero value names none.
type OwnerGroup struct {
	// Name of the group; empty means no group is looked up or made.
	Name string
	// CategoryName, when set, is the group's category, itself found by
	// name or created.
	CategoryName string
	// Meta of the group when it is created; an existing group keeps its own.
	Meta Meta
}

// RemoteInput describes resources to create from URLs.
type RemoteInput struct {
	CreateInput
	// FileName overrides the name taken from the URL: it becomes the
	// OriginalName, and the Name unless Name is given.
	FileName string
	// Group, when named, becomes the owner (instead of OwnerID).
	Group OwnerGroup
}

// CheckRemoteInput validates in without fetching anything: Meta valid, and
// the referenced owner, tags, groups, notes, category and series must
// exist. The URLs are intake's to check (intake.CheckRemote).
func (s *Store) CheckRemoteInput(ctx context.Context, in RemoteInput) error {
	const op = "resources.CheckRemoteInput"
	if in.Width < 0 || in.Height < 0 {
		return fmt.Errorf("%s: %w", op, invalidf("Width and Height must not be negative"))
	}
	if _, err := ParseMeta(in.Meta); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := ParseMeta(in.Group.Meta); err != nil {
		return fmt.Errorf("%s: GroupMeta: %w", op, err)
	}
	owner := in.OwnerID
	if strings.TrimSpace(in.Group.Name) != "" {
		owner = nil
	}
	if err := checkRefs(ctx, s.rdb, owner, in.ResourceCategory, in.SeriesID, in.Tags, in.Groups, in.Notes); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// RemoteFile is content fetched from a URL and staged in the blob store.
type RemoteFile struct {
	Upload *Upload
	// URL is the URL as asked for.
	URL string
	// Name is the file name the URL gives: the last element of its path.
	Name string
}

// CreateFetched creates one resource per fetched file, all in one
// transaction together with the owner group when in names one: either every
// file becomes a resource or nothing is stored. Names follow in.Name, then
// in.FileName, then the name the URL gives; the OriginalLocation of each is
// its URL (without a password). This is the database half of
// intake.CreateRemote, which fetches. The caller still releases the uploads.
func (s *Store) CreateFetched(ctx context.Context, files []*RemoteFile, in RemoteInput) ([]*Resource, error) {
	const op = "resources.CreateRemote"
	items := make([]NewResource, len(files))
	for i, rf := range files {
		items[i] = NewResource{Upload: rf.Upload, CreateInput: remoteCreateInput(in, rf.URL, rf.Name)}
	}
	var ids []int64
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if strings.TrimSpace(in.Group.Name) != "" {
			gid, err := ownerGroupTx(ctx, tx, in.Group)
			if err != nil {
				return err
			}
			for i := range items {
				items[i].OwnerID = &gid
			}
		}
		var err error
		ids, err = s.createAllTx(ctx, tx, items, "two of the URLs have the same content")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out, err := s.getAllWith(ctx, s.rdb, ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// remoteCreateInput applies the naming rules of remote resources.
func remoteCreateInput(in RemoteInput, rawURL, urlName string) CreateInput {
	c := in.CreateInput
	name := strings.TrimSpace(in.FileName)
	if name == "" {
		name = urlName
	}
	if strings.TrimSpace(c.Name) == "" {
		c.Name = name
	}
	if c.OriginalName == "" {
		c.OriginalName = name
	}
	c.OriginalLocation = redactURL(rawURL)
	return c
}

// redactURL drops a password from a URL before it is stored.
func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return strings.TrimSpace(raw)
	}
	if _, has := u.User.Password(); has {
		return u.Redacted()
	}
	return u.String()
}

// ownerGroupTx finds the group g names, or creates it, and returns its ID.
func ownerGroupTx(ctx context.Context, tx bun.IDB, g OwnerGroup) (int64, error) {
	name := strings.TrimSpace(g.Name)
	var categoryID *int64
	if cname := strings.TrimSpace(g.CategoryName); cname != "" {
		var id int64
		err := tx.NewSelect().Table("categories").Column("id").Where("name = ?", cname).Order("id").Limit(1).Scan(ctx, &id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t := now()
			c := &Category{CreatedAt: t, UpdatedAt: t, Name: cname}
			if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
				return 0, err
			}
			id = c.ID
		case err != nil:
			return 0, err
		}
		categoryID = &id
	}
	q := tx.NewSelect().TableExpr(`"groups"`).Column("id").Where("name = ?", name).Order("id").Limit(1)
	if categoryID != nil {
		q = q.Where("category_id = ?", *categoryID)
	}
	var id int64
	err := q.Scan(ctx, &id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	meta, err := ParseMeta(g.Meta)
	if err != nil {
		return 0, err
	}
	t := now()
	grp := &Group{CreatedAt: t, UpdatedAt: t, Name: name, Meta: orEmpty(meta), CategoryID: categoryID}
	if _, err := tx.NewInsert().Model(grp).Exec(ctx); err != nil {
		return 0, err
	}
	return grp.ID, nil
}

// EnsureOwnerGroup finds the group g names, or creates it (and its
// category), and returns its ID.
func (s *Store) EnsureOwnerGroup(ctx context.Context, g OwnerGroup) (int64, error) {
	if strings.TrimSpace(g.Name) == "" {
		return 0, fmt.Errorf("resources.EnsureOwnerGroup: %w", invalidf("a group name is required"))
	}
	var id int64
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		var err error
		id, err = ownerGroupTx(ctx, tx, g)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("resources.EnsureOwnerGroup: %w", err)
	}
	return id, nil
}
