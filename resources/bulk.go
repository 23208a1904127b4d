package resources

import (
	"context"
	"fmt"
	"iter"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/uptrace/bun"
)

// BulkInput is one change applied to many resources at once by EditMany and
// EditAll. Nil fields change nothing. The parts apply in the order of the
// fields: tags are replaced, then removed, then added; then groups are added
// and the meta patched.
type BulkInput struct {
	// ReplaceTags, when non-nil, becomes the whole tag set of every
	// resource; an empty slice clears it.
	ReplaceTags []int64
	// RemoveTags are taken off every resource; a resource without one of
	// them is left as it is.
	RemoveTags []int64
	// AddTags are put on every resource; a tag already there stays once.
	AddTags []int64
	// AddGroups become related groups of every resource.
	AddGroups []int64
	// AddMeta is merged into the meta of every resource as a JSON merge
	// patch (RFC 7396): a member set to null removes that key, a nested
	// object merges into the object under the same key, anything else
	// replaces the value.
	AddMeta Meta
}

// empty reports whether in changes nothing.
func (in BulkInput) empty() bool {
	return in.ReplaceTags == nil && len(in.RemoveTags) == 0 && len(in.AddTags) == 0 &&
		len(in.AddGroups) == 0 && in.AddMeta == nil
}

// AddTags puts the tags on every resource of ids, in one transaction: if any
// resource or tag does not exist, the error is a *NotFoundError and nothing
// changes. Tags a resource already has stay once.
func (s *Store) AddTags(ctx context.Context, ids, tagIDs []int64) error {
	if len(tagIDs) == 0 {
		return fmt.Errorf("resources.AddTags: %w", invalidf("no tag ID given"))
	}
	return s.editMany(ctx, "resources.AddTags", ids, BulkInput{AddTags: tagIDs})
}

// RemoveTags takes the tags off every resource of ids, in one transaction,
// with the same all-or-nothing rule as AddTags. Removing a tag a resource
// does not have is not an error.
func (s *Store) RemoveTags(ctx context.Context, ids, tagIDs []int64) error {
	if len(tagIDs) == 0 {
		return fmt.Errorf("resources.RemoveTags: %w", invalidf("no tag ID given"))
	}
	return s.editMany(ctx, "resources.RemoveTags", ids, BulkInput{RemoveTags: tagIDs})
}

// ReplaceTags makes tagIDs the whole tag set of every resource of ids, in one
// transaction, with the same all-or-nothing rule as AddTags. An empty tagIDs
// clears the tags.
func (s *Store) ReplaceTags(ctx context.Context, ids, tagIDs []int64) error {
	if tagIDs == nil {
		tagIDs = []int64{}
	}
	return s.editMany(ctx, "resources.ReplaceTags", ids, BulkInput{ReplaceTags: tagIDs})
}

// AddGroups relates the groups to every resource of ids, in one transaction,
// with the same all-or-nothing rule as AddTags. It does not change owners.
func (s *Store) AddGroups(ctx context.Context, ids, groupIDs []int64) error {
	if len(groupIDs) == 0 {
		return fmt.Errorf("resources.AddGroups: %w", invalidf("no group ID given"))
	}
	return s.editMany(ctx, "resources.AddGroups", ids, BulkInput{AddGroups: groupIDs})
}

// AddMeta merges patch into the meta of every resource of ids as a JSON
// merge patch (RFC 7396; a null member removes the key), in one transaction.
// patch must be a JSON object; an unknown resource is a *NotFoundError and
// nothing changes.
func (s *Store) AddMeta(ctx context.Context, ids []int64, patch Meta) error {
	if patch == nil {
		return fmt.Errorf("resources.AddMeta: %w", invalidf("no Meta given"))
	}
	return s.editMany(ctx, "resources.AddMeta", ids, BulkInput{AddMeta: patch})
}

// EditMany applies in to every resource of ids in one transaction. Every
// resource, tag and group named must exist, else the error is a
// *NotFoundError and nothing changes; an empty ids or an in that changes
// nothing is an ErrInvalid. The edited resources' UpdatedAt is set.
//
// The work is set-based: a call on n resources runs a number of statements
// proportional to n divided by a few hundred, not to n.
func (s *Store) EditMany(ctx context.Context, ids []int64, in BulkInput) error {
	return s.editMany(ctx, "resources.EditMany", ids, in)
}

// EditAll is EditMany over the resource IDs that ids yields, such as every
// resource a query matches. ids is drained before the transaction begins, so
// it may read from the Store; if it yields an error, EditAll returns that
// error and changes nothing. Repeated IDs count once.
func (s *Store) EditAll(ctx context.Context, ids iter.Seq2[int64, error], in BulkInput) error {
	const op = "resources.EditAll"
	list, err := collectIDs(ids)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.editMany(ctx, op, list, in)
}

// DeleteAll is DeleteMany over the resource IDs that ids yields, drained
// before the transaction begins; an error it yields aborts with nothing
// deleted.
func (s *Store) DeleteAll(ctx context.Context, ids iter.Seq2[int64, error]) error {
	list, err := collectIDs(ids)
	if err != nil {
		return fmt.Errorf("resources.DeleteAll: %w", err)
	}
	return s.DeleteMany(ctx, list)
}

// collectIDs drains seq into a slice without repeats, stopping at the first
// error.
func collectIDs(seq iter.Seq2[int64, error]) ([]int64, error) {
	var out []int64
	seen := make(map[int64]bool)
	for id, err := range seq {
		if err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// distinctIDs returns ids without repeats, in first-seen order. It returns
// ids itself when there are none.
func distinctIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) == len(ids) {
		return ids
	}
	return out
}

// chunks yields consecutive pieces of ids of at most chunkSize.
func chunks(ids []int64) iter.Seq[[]int64] {
	return func(yield func([]int64) bool) {
		for start := 0; start < len(ids); start += chunkSize {
			if !yield(ids[start:min(start+chunkSize, len(ids))]) {
				return
			}
		}
	}
}

func (s *Store) editMany(ctx context.Context, op string, ids []int64, in BulkInput) error {
	if len(ids) == 0 {
		return fmt.Errorf("%s: %w", op, invalidf("no resource ID given"))
	}
	if in.empty() {
		return fmt.Errorf("%s: %w", op, invalidf("nothing to change"))
	}
	if in.AddMeta != nil {
		patch, err := ParseMeta(in.AddMeta)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		in.AddMeta = patch
	}
	ids = distinctIDs(ids)
	d, err := dialectOf(s.db)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	tagSpec, groupSpec := resourceLinks[0], resourceLinks[1]
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := ensureExist(ctx, tx, "resources", "resource", ids); err != nil {
			return err
		}
		for _, set := range [][]int64{in.ReplaceTags, in.RemoveTags, in.AddTags} {
			if err := ensureExist(ctx, tx, tagSpec.otherTable, tagSpec.entity, set); err != nil {
				return err
			}
		}
		if err := ensureExist(ctx, tx, groupSpec.otherTable, groupSpec.entity, in.AddGroups); err != nil {
			return err
		}
		t := now()
		for chunk := range chunks(ids) {
			if in.ReplaceTags != nil {
				if _, err := tx.NewDelete().Table(tagSpec.table).Where("resource_id IN (?)", bun.In(chunk)).Exec(ctx); err != nil {
					return err
				}
			}
			for tags := range chunks(in.RemoveTags) {
				if _, err := tx.NewDelete().Table(tagSpec.table).
					Where("resource_id IN (?)", bun.In(chunk)).
					Where("tag_id IN (?)", bun.In(tags)).Exec(ctx); err != nil {
					return err
				}
			}
			q := tx.NewUpdate().Table("resources").Set("updated_at = ?", t).Set("updated_by = ?", ActorFrom(ctx)).Where("id IN (?)", bun.In(chunk))
			if in.AddMeta != nil {
				// Stored meta is always an object, so the result is one
				// too.
				q.Set("meta = "+d.mergePatch("meta"), string(in.AddMeta))
			}
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		if add := tagsToAdd(in); len(add) > 0 {
			if err := insertLinks(ctx, tx, tagSpec, ids, add); err != nil {
				return err
			}
		}
		if len(in.AddGroups) > 0 {
			return insertLinks(ctx, tx, groupSpec, ids, distinctIDs(in.AddGroups))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// tagsToAdd are the tags to link after the deletions of in: the replacing
// set less the removed tags, then the added ones.
func tagsToAdd(in BulkInput) []int64 {
	removed := make(map[int64]bool, len(in.RemoveTags))
	for _, id := range in.RemoveTags {
		removed[id] = true
	}
	var out []int64
	for _, id := range in.ReplaceTags {
		if !removed[id] {
			out = append(out, id)
		}
	}
	return distinctIDs(append(out, in.AddTags...))
}
