package resources

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// EditMeta sets one value in the meta of the resource, group or note id:
// path is a dotted path of keys ("address.city"), value any JSON text.
// Objects missing on the way are created; a key on the way that holds
// something other than an object is an ErrInvalid, and nothing changes.
// The read and the write are one transaction, so concurrent edits of other
// keys are not lost.
func (s *Store) EditMeta(ctx context.Context, e Entity, id int64, path string, value []byte) error {
	const op = "resources.EditMeta"
	info, err := entityOf(e)
	if err == nil && e != EntityResource && e != EntityGroup && e != EntityNote {
		err = invalidf("editMeta applies to resources, groups and notes, not to a %s", info.name)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	keys, err := metaPath(path)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return fmt.Errorf("%s: %w", op, invalidf("value must be JSON (a string needs quotes: %q)", `"text"`))
	}
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		var cur Meta
		err := tx.NewSelect().TableExpr(info.table).Column("meta").Where("id = ?", id).Scan(ctx, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(info.name, id)
		}
		if err != nil {
			return err
		}
		obj, err := decodeObject(cur)
		if err != nil {
			return fmt.Errorf("meta of %s %d: %w", info.name, id, err)
		}
		if err := setPath(obj, keys, v); err != nil {
			return err
		}
		b, err := encodeObject(obj)
		if err != nil {
			return err
		}
		_, err = tx.NewUpdate().TableExpr(info.table).Where("id = ?", id).
			Set("meta = ?", string(b)).Set("updated_at = ?", now()).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// metaPath splits a dotted path into its keys, none of them empty.
func metaPath(path string) ([]string, error) {
	if strings.TrimSpace(path) == "" {
		return nil, invalidf("path is required")
	}
	keys := strings.Split(path, ".")
	for _, k := range keys {
		if k == "" {
			return nil, invalidf("path %q has an empty key", path)
		}
	}
	return keys, nil
}

// setPath sets obj[keys[0]]...[keys[n-1]] to v, creating objects on the way.
func setPath(obj map[string]any, keys []string, v any) error {
	for i, k := range keys[:len(keys)-1] {
		next, ok := obj[k]
		if !ok || next == nil {
			child := map[string]any{}
			obj[k] = child
			obj = child
			continue
		}
		child, ok := next.(map[string]any)
		if !ok {
			return invalidf("meta key %q holds a value that is not an object", strings.Join(keys[:i+1], "."))
		}
		obj = child
	}
	obj[keys[len(keys)-1]] = v
	return nil
}
