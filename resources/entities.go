package resources

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// getEntity loads one row of T by ID with the given relations.
func getEntity[T any](ctx context.Context, db bun.IDB, alias, entity string, id int64, relations ...string) (*T, error) {
	v := new(T)
	q := db.NewSelect().Model(v).Where(alias+".id = ?", id)
	for _, rel := range relations {
		q = q.Relation(rel)
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound(entity, id)
		}
		return nil, err
	}
	return v, nil
}

// deleteEntity deletes one row; an unknown ID is a *NotFoundError. Rows that
// refer to it are cleared or cascaded by the schema's foreign keys.
func (s *Store) deleteEntity(ctx context.Context, table, entity string, id int64) error {
	res, err := s.db.NewDelete().TableExpr(table).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("resources: delete %s: %w", entity, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(entity, id)
	}
	return nil
}

func requireName(name *string, entity string) (string, error) {
	if name == nil || strings.TrimSpace(*name) == "" {
		return "", invalidf("%s Name is required", entity)
	}
	return strings.TrimSpace(*name), nil
}

// updateRow applies set to the row id of table inside tx, after checking it
// exists.
func updateRow(ctx context.Context, tx bun.IDB, table, entity string, id int64, set func(q *bun.UpdateQuery)) error {
	if err := ensureExist(ctx, tx, table, entity, []int64{id}); err != nil {
		return err
	}
	q := tx.NewUpdate().TableExpr(table).Where("id = ?", id).Set("updated_at = ?", now())
	set(q)
	_, err := q.Exec(ctx)
	return err
}

func setIf[T any](q *bun.UpdateQuery, col string, v *T) {
	if v != nil {
		q.Set(col+" = ?", *v)
	}
}

// ---- Tags

// TagInput creates a tag (ID 0) or updates one. Nil fields keep their value.
type TagInput struct {
	ID          int64
	Name        *string
	Description *string
	Meta        Meta
}

// SaveTag creates or updates a tag. Creating a tag whose name exists returns
// the existing tag unchanged.
func (s *Store) SaveTag(ctx context.Context, in TagInput) (*Tag, error) {
	const op = "resources.SaveTag"
	meta, err := normalizeMeta(in.Meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	in.Meta = meta
	id := in.ID
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if in.Name != nil || id == 0 {
			name, err := requireName(in.Name, "tag")
			if err != nil {
				return err
			}
			in.Name = &name
			var existing int64
			err = tx.NewSelect().Table("tags").Column("id").Where("name = ?", name).Scan(ctx, &existing)
			switch {
			case err == nil && id == 0:
				id = existing
				return nil
			case err == nil && existing != id:
				return errs.Errorf("", errs.Conflict, "a tag named %q already exists (ID %d)", name, existing)
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if id == 0 {
			t := now()
			tag := &Tag{CreatedAt: t, UpdatedAt: t, Name: *in.Name, Description: deref(in.Description), Meta: orEmpty(in.Meta)}
			_, err := tx.NewInsert().Model(tag).Exec(ctx)
			id = tag.ID
			return err
		}
		return updateRow(ctx, tx, "tags", "tag", id, func(q *bun.UpdateQuery) {
			setIf(q, "name", in.Name)
			setIf(q, "description", in.Description)
			if in.Meta != nil {
				q.Set("meta = ?", in.Meta)
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[Tag](ctx, s.db, "t", "tag", id)
}

// GetTag returns one tag.
func (s *Store) GetTag(ctx context.Context, id int64) (*Tag, error) {
	return getEntity[Tag](ctx, s.rdb, "t", "tag", id)
}

// ListTags returns a page of tags.
func (s *Store) ListTags(ctx context.Context, opts ListOptions) (ListResult[*Tag], error) {
	return listEntities[Tag](ctx, s.rdb, "t", opts)
}

// DeleteTag deletes a tag and detaches it from everything.
func (s *Store) DeleteTag(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, "tags", "tag", id)
}

// ---- Group categories

// CategoryInput creates a group category (ID 0) or updates one.
type CategoryInput struct {
	ID          int64
	Name        *string
	Description *string
}

// SaveCategory creates or updates a group category.
func (s *Store) SaveCategory(ctx context.Context, in CategoryInput) (*Category, error) {
	const op = "resources.SaveCategory"
	id := in.ID
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if id == 0 {
			name, err := requireName(in.Name, "category")
			if err != nil {
				return err
			}
			t := now()
			c := &Category{CreatedAt: t, UpdatedAt: t, Name: name, Description: deref(in.Description)}
			_, err = tx.NewInsert().Model(c).Exec(ctx)
			id = c.ID
			return err
		}
		if in.Name != nil {
			if _, err := requireName(in.Name, "category"); err != nil {
				return err
			}
		}
		return updateRow(ctx, tx, "categories", "category", id, func(q *bun.UpdateQuery) {
			setIf(q, "name", trimmed(in.Name))
			setIf(q, "description", in.Description)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[Category](ctx, s.db, "c", "category", id)
}

// GetCategory returns one group category.
func (s *Store) GetCategory(ctx context.Context, id int64) (*Category, error) {
	return getEntity[Category](ctx, s.rdb, "c", "category", id)
}

// ListCategories returns a page of group categories.
func (s *Store) ListCategories(ctx context.Context, opts ListOptions) (ListResult[*Category], error) {
	return listEntities[Category](ctx, s.rdb, "c", opts)
}

// DeleteCategory deletes a group category; its groups keep existing without one.
func (s *Store) DeleteCategory(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, "categories", "category", id)
}

// ---- Groups

// GroupInput creates a group (ID 0) or updates one. OwnerID is the parent
// group; a pointer to 0 clears it, as it does CategoryID. Tags, when non-nil,
// replace the set.
type GroupInput struct {
	ID          int64
	Name        *string
	Description *string
	URL         *string
	Meta        Meta
	OwnerID     *int64
	CategoryID  *int64
	Tags        []int64
}

var groupRelations = []string{"Owner", "Category", "Tags"}

// SaveGroup creates or updates a group.
func (s *Store) SaveGroup(ctx context.Context, in GroupInput) (*Group, error) {
	const op = "resources.SaveGroup"
	meta, err := normalizeMeta(in.Meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	in.Meta = meta
	id := in.ID
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if in.Name != nil || id == 0 {
			if _, err := requireName(in.Name, "group"); err != nil {
				return err
			}
		}
		if err := checkRefs(ctx, tx, in.OwnerID, nil, nil, in.Tags, nil, nil); err != nil {
			return err
		}
		if in.CategoryID != nil && *in.CategoryID != 0 {
			if err := ensureExist(ctx, tx, "categories", "category", []int64{*in.CategoryID}); err != nil {
				return err
			}
		}
		if id == 0 {
			t := now()
			g := &Group{CreatedAt: t, UpdatedAt: t, Name: *trimmed(in.Name), Description: deref(in.Description),
				URL: deref(in.URL), Meta: orEmpty(in.Meta), OwnerID: nonZero(in.OwnerID), CategoryID: nonZero(in.CategoryID)}
			if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
				return err
			}
			id = g.ID
		} else {
			if in.OwnerID != nil && *in.OwnerID != 0 {
				if err := checkNoCycle(ctx, tx, id, *in.OwnerID); err != nil {
					return err
				}
			}
			err := updateRow(ctx, tx, `"groups"`, "group", id, func(q *bun.UpdateQuery) {
				setIf(q, "name", trimmed(in.Name))
				setIf(q, "description", in.Description)
				setIf(q, "url", in.URL)
				if in.Meta != nil {
					q.Set("meta = ?", in.Meta)
				}
				if in.OwnerID != nil {
					q.Set("owner_id = ?", nonZero(in.OwnerID))
				}
				if in.CategoryID != nil {
					q.Set("category_id = ?", nonZero(in.CategoryID))
				}
			})
			if err != nil {
				return err
			}
		}
		return replaceLinks(ctx, tx, groupLinks, id, in.Tags)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[Group](ctx, s.db, "g", "group", id, groupRelations...)
}

// checkNoCycle refuses to make parent an owner of group when group is
// parent itself or one of its ancestors.
func checkNoCycle(ctx context.Context, db bun.IDB, group, parent int64) error {
	seen := map[int64]bool{}
	for cur := parent; cur != 0; {
		if cur == group {
			return invalidf("group %d cannot be owned by %d: that would make a cycle", group, parent)
		}
		if seen[cur] {
			return nil
		}
		seen[cur] = true
		var next sql.NullInt64
		if err := db.NewSelect().TableExpr(`"groups"`).Column("owner_id").Where("id = ?", cur).Scan(ctx, &next); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		cur = next.Int64
	}
	return nil
}

// GetGroup returns one group with its parent, category and tags.
func (s *Store) GetGroup(ctx context.Context, id int64) (*Group, error) {
	return getEntity[Group](ctx, s.rdb, "g", "group", id, groupRelations...)
}

// ListGroups returns a page of groups.
func (s *Store) ListGroups(ctx context.Context, opts ListOptions) (ListResult[*Group], error) {
	return listEntities[Group](ctx, s.rdb, "g", opts, groupRelations...)
}

// DeleteGroup deletes a group. Resources, notes and groups it owned lose
// their owner; none of them is deleted.
func (s *Store) DeleteGroup(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, `"groups"`, "group", id)
}

// ---- Notes

// NoteInput creates a note (ID 0) or updates one. Tags, Groups and Resources,
// when non-nil, replace the set.
type NoteInput struct {
	ID          int64
	Name        *string
	Description *string
	Meta        Meta
	OwnerID     *int64
	StartDate   *time.Time
	EndDate     *time.Time
	Tags        []int64
	Groups      []int64
	Resources   []int64
	// NoteTypeID is the note's type; a pointer to 0 clears it.
	NoteTypeID *int64
}

var noteRelations = []string{"Owner", "Tags", "Groups", "Resources"}

// SaveNote creates or updates a note.
func (s *Store) SaveNote(ctx context.Context, in NoteInput) (*Note, error) {
	const op = "resources.SaveNote"
	meta, err := normalizeMeta(in.Meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	in.Meta = meta
	id := in.ID
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if in.Name != nil || id == 0 {
			if _, err := requireName(in.Name, "note"); err != nil {
				return err
			}
		}
		if in.StartDate != nil && in.EndDate != nil && in.EndDate.Before(*in.StartDate) {
			return invalidf("EndDate is before StartDate")
		}
		if err := checkRefs(ctx, tx, in.OwnerID, nil, nil, in.Tags, in.Groups, nil); err != nil {
			return err
		}
		if in.NoteTypeID != nil && *in.NoteTypeID != 0 {
			if err := ensureExist(ctx, tx, "note_types", "note type", []int64{*in.NoteTypeID}); err != nil {
				return err
			}
		}
		if id == 0 {
			t := now()
			n := &Note{NoteTypeID: nonZero(in.NoteTypeID), CreatedAt: t, UpdatedAt: t, Name: *trimmed(in.Name), Description: deref(in.Description),
				Meta: orEmpty(in.Meta), OwnerID: nonZero(in.OwnerID), StartDate: utc(in.StartDate), EndDate: utc(in.EndDate)}
			if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
				return err
			}
			id = n.ID
		} else {
			if (in.StartDate == nil) != (in.EndDate == nil) {
				// One date given: check it against the stored other one.
				cur, err := getEntity[Note](ctx, tx, "n", "note", id)
				if err != nil {
					return err
				}
				start, end := cur.StartDate, cur.EndDate
				if in.StartDate != nil {
					start = in.StartDate
				}
				if in.EndDate != nil {
					end = in.EndDate
				}
				if start != nil && end != nil && end.Before(*start) {
					return invalidf("EndDate is before StartDate")
				}
			}
			err := updateRow(ctx, tx, "notes", "note", id, func(q *bun.UpdateQuery) {
				setIf(q, "name", trimmed(in.Name))
				setIf(q, "description", in.Description)
				if in.Meta != nil {
					q.Set("meta = ?", in.Meta)
				}
				if in.OwnerID != nil {
					q.Set("owner_id = ?", nonZero(in.OwnerID))
				}
				setIf(q, "start_date", utc(in.StartDate))
				setIf(q, "end_date", utc(in.EndDate))
				if in.NoteTypeID != nil {
					q.Set("note_type_id = ?", nonZero(in.NoteTypeID))
				}
			})
			if err != nil {
				return err
			}
		}
		return replaceLinks(ctx, tx, noteLinks, id, in.Tags, in.Groups, in.Resources)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[Note](ctx, s.db, "n", "note", id, noteRelations...)
}

// GetNote returns one note with its owner, tags, groups and resources.
func (s *Store) GetNote(ctx context.Context, id int64) (*Note, error) {
	return getEntity[Note](ctx, s.rdb, "n", "note", id, noteRelations...)
}

// ListNotes returns a page of notes.
func (s *Store) ListNotes(ctx context.Context, opts ListOptions) (ListResult[*Note], error) {
	return listEntities[Note](ctx, s.rdb, "n", opts, "Owner", "Tags", "Groups")
}

// DeleteNote deletes a note and detaches it from its resources and groups.
func (s *Store) DeleteNote(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, "notes", "note", id)
}

// ---- Resource categories

// ResourceCategoryInput creates a resource category (ID 0) or updates one.
// MetaSchema, when non-empty, must be a JSON object.
type ResourceCategoryInput struct {
	ID          int64
	Name        *string
	Description *string
	MetaSchema  *string
}

// SaveResourceCategory creates or updates a resource category.
func (s *Store) SaveResourceCategory(ctx context.Context, in ResourceCategoryInput) (*ResourceCategory, error) {
	const op = "resources.SaveResourceCategory"
	if err := checkMetaSchema(in.MetaSchema); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	id := in.ID
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if in.Name != nil || id == 0 {
			if _, err := requireName(in.Name, "resource category"); err != nil {
				return err
			}
		}
		if id == 0 {
			t := now()
			rc := &ResourceCategory{CreatedAt: t, UpdatedAt: t, Name: *trimmed(in.Name), Description: deref(in.Description), MetaSchema: deref(in.MetaSchema)}
			_, err := tx.NewInsert().Model(rc).Exec(ctx)
			id = rc.ID
			return err
		}
		return updateRow(ctx, tx, "resource_categories", "resource category", id, func(q *bun.UpdateQuery) {
			setIf(q, "name", trimmed(in.Name))
			setIf(q, "description", in.Description)
			setIf(q, "meta_schema", in.MetaSchema)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[ResourceCategory](ctx, s.db, "rc", "resource category", id)
}

// GetResourceCategory returns one resource category.
func (s *Store) GetResourceCategory(ctx context.Context, id int64) (*ResourceCategory, error) {
	return getEntity[ResourceCategory](ctx, s.rdb, "rc", "resource category", id)
}

// ListResourceCategories returns a page of resource categories.
func (s *Store) ListResourceCategories(ctx context.Context, opts ListOptions) (ListResult[*ResourceCategory], error) {
	return listEntities[ResourceCategory](ctx, s.rdb, "rc", opts)
}

// DeleteResourceCategory deletes a resource category; its resources keep
// existing without one.
func (s *Store) DeleteResourceCategory(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, "resource_categories", "resource category", id)
}

// ---- Series

// SeriesInput creates a series (ID 0) or updates one. Slug defaults to a
// slug of Name on create.
type SeriesInput struct {
	ID   int64
	Name *string
	Slug *string
	Meta Meta
}

// SaveSeries creates or updates a series. A slug taken by another series is
// a conflict.
func (s *Store) SaveSeries(ctx context.Context, in SeriesInput) (*Series, error) {
	const op = "resources.SaveSeries"
	meta, err := normalizeMeta(in.Meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	in.Meta = meta
	id := in.ID
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if in.Name != nil || id == 0 {
			if _, err := requireName(in.Name, "series"); err != nil {
				return err
			}
		}
		var slug *string
		if in.Slug != nil && strings.TrimSpace(*in.Slug) != "" {
			v := Slugify(*in.Slug)
			slug = &v
		} else if id == 0 {
			v := Slugify(*in.Name)
			slug = &v
		}
		if slug != nil {
			if *slug == "" {
				return invalidf("series Slug must contain a letter or digit")
			}
			var other int64
			err := tx.NewSelect().Table("series").Column("id").Where("slug = ?", *slug).Scan(ctx, &other)
			if err == nil && other != id {
				return errs.Errorf("", errs.Conflict, "slug %q is taken by series %d", *slug, other)
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if id == 0 {
			t := now()
			sr := &Series{CreatedAt: t, UpdatedAt: t, Name: *trimmed(in.Name), Slug: *slug, Meta: orEmpty(in.Meta)}
			_, err := tx.NewInsert().Model(sr).Exec(ctx)
			id = sr.ID
			return err
		}
		return updateRow(ctx, tx, "series", "series", id, func(q *bun.UpdateQuery) {
			setIf(q, "name", trimmed(in.Name))
			setIf(q, "slug", slug)
			if in.Meta != nil {
				q.Set("meta = ?", in.Meta)
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[Series](ctx, s.db, "s", "series", id)
}

// GetSeries returns one series with its resources, in ID order.
func (s *Store) GetSeries(ctx context.Context, id int64) (*Series, error) {
	sr := new(Series)
	err := s.rdb.NewSelect().Model(sr).Where("s.id = ?", id).
		Relation("Resources", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("r.id ASC") }).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("series", id)
	}
	if err != nil {
		return nil, err
	}
	if sr.Resources == nil {
		sr.Resources = []*Resource{}
	}
	for _, r := range sr.Resources {
		r.Normalize()
	}
	return sr, nil
}

// ListSeries returns a page of series.
func (s *Store) ListSeries(ctx context.Context, opts ListOptions) (ListResult[*Series], error) {
	return listEntities[Series](ctx, s.rdb, "s", opts)
}

// DeleteSeries deletes a series; its resources stay, outside any series.
func (s *Store) DeleteSeries(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, "series", "series", id)
}

// seriesBySlug returns the ID of the series with slug, creating it (named
// after the slug) when create is set.
func seriesBySlug(ctx context.Context, tx bun.IDB, slug string, create bool) (int64, error) {
	norm := Slugify(slug)
	if norm == "" {
		return 0, invalidf("SeriesSlug %q must contain a letter or digit", slug)
	}
	var id int64
	err := tx.NewSelect().Table("series").Column("id").Where("slug = ?", norm).Scan(ctx, &id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if !create {
		return 0, &NotFoundError{Entity: "series", Slug: norm}
	}
	t := now()
	sr := &Series{CreatedAt: t, UpdatedAt: t, Name: strings.TrimSpace(slug), Slug: norm, Meta: Meta(`{}`)}
	if _, err := tx.NewInsert().Model(sr).Exec(ctx); err != nil {
		return 0, err
	}
	return sr.ID, nil
}

// Slugify lower-cases s and joins its runs of letters and digits with '-'.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 127 && isLetterOrDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func trimmed(p *string) *string {
	if p == nil {
		return nil
	}
	v := strings.TrimSpace(*p)
	return &v
}

func orEmpty(m Meta) Meta {
	if len(m) == 0 {
		return Meta(`{}`)
	}
	return m
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// checkMetaSchema refuses a MetaSchema (of a resource category or a note
// type) that is set but not a JSON object.
func checkMetaSchema(schema *string) error {
	if schema == nil || strings.TrimSpace(*schema) == "" {
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(*schema), &obj); err != nil || obj == nil {
		return invalidf("MetaSchema must be a JSON object")
	}
	return nil
}
