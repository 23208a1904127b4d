package resources

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// NoteType is a kind of note, with an optional JSON schema for the meta of
// its notes.
type NoteType struct {
	bun.BaseModel `bun:"table:note_types,alias:nt"`

	ID          int64     `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name        string    `bun:"name,notnull" json:"Name"`
	Description string    `bun:"description,notnull" json:"Description"`
	MetaSchema  string    `bun:"meta_schema,notnull" json:"MetaSchema"`
}

// NoteTypeInput creates a note type (ID 0) or updates one. Nil fields keep
// their value; MetaSchema, when non-empty, must be a JSON object.
type NoteTypeInput struct {
	ID          int64
	Name        *string
	Description *string
	MetaSchema  *string
}

// SaveNoteType creates or updates a note type.
func (s *Store) SaveNoteType(ctx context.Context, in NoteTypeInput) (*NoteType, error) {
	const op = "resources.SaveNoteType"
	if err := checkMetaSchema(in.MetaSchema); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	id := in.ID
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if in.Name != nil || id == 0 {
			if _, err := requireName(in.Name, "note type"); err != nil {
				return err
			}
		}
		if id == 0 {
			t := now()
			nt := &NoteType{CreatedAt: t, UpdatedAt: t, Name: *trimmed(in.Name), Description: deref(in.Description), MetaSchema: deref(in.MetaSchema)}
			_, err := tx.NewInsert().Model(nt).Exec(ctx)
			id = nt.ID
			return err
		}
		return updateRow(ctx, tx, "note_types", "note type", id, func(q *bun.UpdateQuery) {
			setIf(q, "name", trimmed(in.Name))
			setIf(q, "description", in.Description)
			setIf(q, "meta_schema", in.MetaSchema)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return getEntity[NoteType](ctx, s.db, "nt", "note type", id)
}

// GetNoteType returns one note type.
func (s *Store) GetNoteType(ctx context.Context, id int64) (*NoteType, error) {
	return getEntity[NoteType](ctx, s.rdb, "nt", "note type", id)
}

// ListNoteTypes returns a page of note types.
func (s *Store) ListNoteTypes(ctx context.Context, opts ListOptions) (ListResult[*NoteType], error) {
	return listEntities[NoteType](ctx, s.rdb, "nt", opts)
}

// DeleteNoteType deletes a note type; its notes keep existing without one.
func (s *Store) DeleteNoteType(ctx context.Context, id int64) error {
	return s.deleteEntity(ctx, "note_types", "note type", id)
}
