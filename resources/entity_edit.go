package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/uptrace/bun"
)

// Entity names a kind of entity for the operations that work on several
// kinds alike (EditEntityName, EditEntityDescription, EditMeta).
type Entity string

// The kinds of entity.
const (
	EntityResource         Entity = "resource"
	EntityTag              Entity = "tag"
	EntityCategory         Entity = "category"
	EntityGroup            Entity = "group"
	EntityNote             Entity = "note"
	EntityResourceCategory Entity = "resourceCategory"
	EntitySeries           Entity = "series"
	EntityNoteType         Entity = "noteType"
)

// entityInfo is where an entity kind is stored and what errors call it.
type entityInfo struct {
	table, name    string
	hasDescription bool
}

var entities = map[Entity]entityInfo{
	EntityResource:         {"resources", "resource", true},
	EntityTag:              {"tags", "tag", true},
	EntityCategory:         {"categories", "category", true},
	EntityGroup:            {`"groups"`, "group", true},
	EntityNote:             {"notes", "note", true},
	EntityResourceCategory: {"resource_categories", "resource category", true},
	EntitySeries:           {"series", "series", false},
	EntityNoteType:         {"note_types", "note type", true},
}

func entityOf(e Entity) (entityInfo, error) {
	info, ok := entities[e]
	if !ok {
		return entityInfo{}, invalidf("unknown kind of entity %q", e)
	}
	return info, nil
}

// EditEntityName sets the name of the entity id of kind e. The name is
// trimmed and must not be empty; a tag name another tag has is a conflict.
// A series keeps its slug.
func (s *Store) EditEntityName(ctx context.Context, e Entity, id int64, name string) error {
	const op = "resources.EditEntityName"
	if e == EntityResource {
		return s.EditName(ctx, id, name)
	}
	info, err := entityOf(e)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Errorf("%s: %w", op, invalidf("%s Name is required", info.name))
	}
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if e == EntityTag {
			var other int64
			err := tx.NewSelect().Table("tags").Column("id").Where("name = ?", name).Where("id <> ?", id).Scan(ctx, &other)
			if err == nil {
				return fmt.Errorf("%w: a tag named %q already exists (ID %d)", ErrConflict, name, other)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return updateRow(ctx, tx, info.table, info.name, id, func(q *bun.UpdateQuery) { q.Set("name = ?", name) })
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// EditEntityDescription sets the description of the entity id of kind e.
// Series have no description: that is an ErrInvalid.
func (s *Store) EditEntityDescription(ctx context.Context, e Entity, id int64, description string) error {
	const op = "resources.EditEntityDescription"
	if e == EntityResource {
		return s.EditDescription(ctx, id, description)
	}
	info, err := entityOf(e)
	if err == nil && !info.hasDescription {
		err = invalidf("a %s has no description", info.name)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		return updateRow(ctx, tx, info.table, info.name, id, func(q *bun.UpdateQuery) { q.Set("description = ?", description) })
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
