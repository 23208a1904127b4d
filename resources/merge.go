package resources

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// Merge folds the losers into the winner and deletes them, in one
// transaction:
//
//   - the winner gains every tag, note and related group of the losers, and
//     each loser's owner as a related group (unless it already owns the
//     winner);
//   - the meta objects are merged, the winner winning every conflict: a key
//     takes the winner's value when the winner has it, else the value of the
//     first loser (in ascending ID order) that has it; objects under the
//     same key merge the same way, key by key;
//   - the losers' versions move to the winner, numbered after the winner's
//     newest version, loser by loser in ascending ID order, each in its own
//     order; the winner's current version stays current;
//   - the losers are deleted.
//
// Blobs that only the losers' rows referred to are removed after the commit;
// the losers' files stay, since their moved versions refer to them.
//
// An unknown winner or loser is a *NotFoundError, and no losers or the
// winner among them is an ErrInvalid; then nothing changes. Repeated losers
// count once.
func (s *Store) Merge(ctx context.Context, winner int64, losers []int64) error {
	const op = "resources.Merge"
	if len(losers) == 0 {
		return fmt.Errorf("%s: %w", op, invalidf("no loser given"))
	}
	if slices.Contains(losers, winner) {
		return fmt.Errorf("%s: %w", op, invalidf("resource %d is both the winner and a loser", winner))
	}
	losers = slices.Sorted(slices.Values(distinctIDs(losers)))
	var hashes []blobstore.Hash
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, "resources", "resource", append([]int64{winner}, losers...)); err != nil {
			return err
		}
		if err := mergeLinks(ctx, tx, winner, losers); err != nil {
			return err
		}
		if err := mergeMeta(ctx, tx, winner, losers); err != nil {
			return err
		}
		if err := moveVersions(ctx, tx, winner, losers); err != nil {
			return err
		}
		var err error
		hashes, err = deleteRows(ctx, tx, losers)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if s.swept {
		return nil // the sweeper removes the losers' blobs
	}
	s.RemoveUnreferencedBlobs(ctx, hashes)
	return nil
}

// mergeLinks gives the winner the tags, related groups and notes of the
// losers, and their owners as related groups.
func mergeLinks(ctx context.Context, tx bun.IDB, winner int64, losers []int64) error {
	for chunk := range chunks(losers) {
		for _, spec := range resourceLinks {
			q := fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, %[3]s) SELECT DISTINCT ?, %[3]s FROM %[1]s WHERE %[2]s IN (?) ON CONFLICT DO NOTHING`,
				spec.table, spec.ownCol, spec.otherCol)
			if _, err := tx.ExecContext(ctx, q, winner, bun.In(chunk)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO groups_related_resources (resource_id, group_id)
			SELECT DISTINCT w.id, l.owner_id FROM resources l, resources w
			WHERE w.id = ? AND l.id IN (?) AND l.owner_id IS NOT NULL AND (w.owner_id IS NULL OR l.owner_id <> w.owner_id)
			ON CONFLICT DO NOTHING`, winner, bun.In(chunk))
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeMeta sets the winner's meta to the merge of its own and the losers'
// (see Merge), and its UpdatedAt to now.
func mergeMeta(ctx context.Context, tx bun.IDB, winner int64, losers []int64) error {
	type row struct {
		ID   int64 `bun:"id"`
		Meta Meta  `bun:"meta"`
	}
	byID := make(map[int64]Meta, 1+len(losers))
	for chunk := range chunks(append([]int64{winner}, losers...)) {
		var rows []row
		if err := tx.NewRaw(`SELECT id, meta FROM resources WHERE id IN (?)`, bun.In(chunk)).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for _, r := range rows {
			byID[r.ID] = r.Meta
		}
	}
	merged, err := decodeObject(byID[winner])
	if err != nil {
		return fmt.Errorf("meta of resource %d: %w", winner, err)
	}
	changed := false
	for _, id := range losers {
		obj, err := decodeObject(byID[id])
		if err != nil {
			return fmt.Errorf("meta of resource %d: %w", id, err)
		}
		if fillMissing(merged, obj) {
			changed = true
		}
	}
	q := tx.NewUpdate().Table("resources").Set("updated_at = ?", now()).Set("updated_by = ?", ActorFrom(ctx)).Where("id = ?", winner)
	if changed {
		b, err := encodeObject(merged)
		if err != nil {
			return err
		}
		q.Set("meta = ?", string(b))
	}
	_, err = q.Exec(ctx)
	return err
}

// decodeObject decodes stored meta, keeping numbers as written.
func decodeObject(m Meta) (map[string]any, error) {
	obj := map[string]any{}
	if len(bytes.TrimSpace(m)) == 0 {
		return obj, nil
	}
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if obj == nil { // the text was null
		obj = map[string]any{}
	}
	return obj, nil
}

// encodeObject encodes obj compactly, without escaping HTML characters.
func encodeObject(obj map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// fillMissing copies into dst the keys of src it lacks, and does the same
// for objects both hold under one key; dst's values win. It reports whether
// dst changed.
func fillMissing(dst, src map[string]any) bool {
	changed := false
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok {
			dst[k] = sv
			changed = true
			continue
		}
		dObj, dOK := dv.(map[string]any)
		sObj, sOK := sv.(map[string]any)
		if dOK && sOK && fillMissing(dObj, sObj) {
			changed = true
		}
	}
	return changed
}

// moveVersions gives the losers' versions to the winner, numbered after its
// newest one: loser by loser in ascending ID order (losers is sorted), each
// loser's versions in their order. The winner's current version is not
// touched.
func moveVersions(ctx context.Context, tx bun.IDB, winner int64, losers []int64) error {
	var last int64
	if err := tx.NewRaw(`SELECT coalesce(max(version_number), 0) FROM resource_versions WHERE resource_id = ?`, winner).Scan(ctx, &last); err != nil {
		return err
	}
	for chunk := range chunks(losers) {
		// The new numbers are all above the winner's, so no intermediate
		// state of the update breaks UNIQUE (resource_id, version_number).
		res, err := tx.ExecContext(ctx, `UPDATE resource_versions SET resource_id = ?, version_number = ? + m.n
			FROM (SELECT id, row_number() OVER (ORDER BY resource_id, version_number) AS n
				FROM resource_versions WHERE resource_id IN (?)) AS m
			WHERE resource_versions.id = m.id`, winner, last, bun.In(chunk))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		last += n
	}
	return nil
}
