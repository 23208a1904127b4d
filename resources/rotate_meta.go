package resources

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/media/probe"
)

// UprightMetaTx records in the Meta of resource id that its current file
// shows the right way up as stored: the EXIF orientation kept under
// probe.MetaKey, when there is one, becomes 1. Rotate calls it, since it
// writes the pixels turned as they are shown.
func UprightMetaTx(ctx context.Context, tx bun.IDB, id int64) error {
	var m Meta
	if err := tx.NewSelect().Table("resources").Column("meta").Where("id = ?", id).Scan(ctx, &m); err != nil {
		return err
	}
	obj, err := decodeObject(m)
	if err != nil {
		return nil // not an object: nothing of ours to correct
	}
	facts, ok := obj[probe.MetaKey].(map[string]any)
	if !ok {
		return nil
	}
	if _, ok := facts["orientation"]; !ok {
		return nil
	}
	facts["orientation"] = 1
	b, err := encodeObject(obj)
	if err != nil {
		return err
	}
	_, err = tx.NewUpdate().Table("resources").Set("meta = ?", string(b)).Where("id = ?", id).Exec(ctx)
	return err
}
