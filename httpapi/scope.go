package httpapi

import (
	"context"
	"fmt"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/resources"
)

// scopedWrites are the writes a principal scoped to a group (role user)
// may make: each handler checks its targets with inScope and ownerInScope
// once they are decoded. Any other write needs editor or admin (required),
// so that an endpoint never lets a scoped user out of its group by being
// forgotten here.
var scopedWrites = map[string]bool{
	"/v1/resource":                 true, // upload: OwnerId within scope, none means the scope group
	"/v1/resource/edit":            true,
	"/v1/resource/editName":        true,
	"/v1/resource/editDescription": true,
	"/v1/resource/editMeta":        true,
	"/v1/resource/versions":        true, // upload a version
	"/v1/resources/addTags":        true,
	"/v1/resources/removeTags":     true,
	"/v1/resources/replaceTags":    true,
	"/v1/resources/addMeta":        true,
	"/v1/group":                    true,
	"/v1/group/editName":           true,
	"/v1/group/editDescription":    true,
	"/v1/group/editMeta":           true,
	"/v1/groups/addTags":           true,
	"/v1/groups/removeTags":        true,
	"/v1/groups/addMeta":           true,
	"/v1/note":                     true,
	"/v1/note/editName":            true,
	"/v1/note/editDescription":     true,
	"/v1/note/editMeta":            true,
	"/v1/notes/addTags":            true,
	"/v1/notes/removeTags":         true,
	"/v1/notes/addMeta":            true,
}

// scopeOf is the write scope of the request's principal; none (auth off,
// or a role that writes anywhere) is scoped false.
func scopeOf(ctx context.Context) (p access.Principal, root int64, scoped bool, err error) {
	p, ok := access.FromContext(ctx)
	if !ok {
		return p, 0, false, nil
	}
	root, scoped, err = p.WriteScope()
	return p, root, scoped, err
}

// inScope refuses the whole write, before anything changes, when any of
// ids (entities of kind e) is outside the principal's scope group.
func (a *api) inScope(ctx context.Context, e resources.Entity, ids ...int64) error {
	p, root, scoped, err := scopeOf(ctx)
	if err != nil || !scoped {
		return err
	}
	switch e {
	case resources.EntityResource, resources.EntityGroup, resources.EntityNote:
	default:
		return errs.E("", errs.Forbidden, fmt.Sprintf("role user may not change a %s: it belongs to no group (needs editor or admin)", e))
	}
	out, err := a.store.OutsideGroup(ctx, root, e, ids)
	if err != nil {
		return err
	}
	if len(out) > 0 {
		return errs.E("", errs.Forbidden, fmt.Sprintf("role user writes only within its scope group (%d for %q) and the groups under it: %s %s outside it; nothing was changed",
			root, p.Name, e, idList(out)))
	}
	return nil
}

// ownerInScope checks the owner (or parent) a write gives a resource, group
// or note: for a scoped principal it must be a group within the scope. An
// owner not given is left as it is on an edit, and is the scope group on a
// create, so that a user's uploads land where it may edit them.
func (a *api) ownerInScope(ctx context.Context, owner *int64, create bool) (*int64, error) {
	p, root, scoped, err := scopeOf(ctx)
	switch {
	case err != nil:
		return owner, err
	case !scoped:
		return owner, nil
	case owner == nil && create:
		return &root, nil
	case owner == nil:
		return nil, nil
	case *owner == 0:
		return owner, errs.E("", errs.Forbidden, fmt.Sprintf("role user may not leave anything without an owner group: give OwnerId %d (the scope group of %q) or a group under it", root, p.Name))
	}
	out, err := a.store.OutsideGroup(ctx, root, resources.EntityGroup, []int64{*owner})
	if err != nil {
		return owner, err
	}
	if len(out) > 0 {
		return owner, errs.E("", errs.Forbidden, fmt.Sprintf("role user writes only within its scope group (%d for %q) and the groups under it: owner group %d is outside it", root, p.Name, *owner))
	}
	return owner, nil
}

// scopedEdit wraps an edit of one entity with the scope check of its ID.
func (a *api) scopedEdit(e resources.Entity, edit func(ctx context.Context, id int64, value string) error) func(context.Context, int64, string) error {
	return func(ctx context.Context, id int64, value string) error {
		if err := a.inScope(ctx, e, id); err != nil {
			return err
		}
		return edit(ctx, id, value)
	}
}

// idList names at most a few IDs, for an error message.
func idList(ids []int64) string {
	const most = 10
	s := fmt.Sprint(ids[:min(len(ids), most)])
	if len(ids) > most {
		s = s[:len(s)-1] + fmt.Sprintf(" and %d more]", len(ids)-most)
	}
	if len(ids) == 1 {
		return s[1:len(s)-1] + " is"
	}
	return s + " are"
}

// ownedInScope checks a save of a group or note: the entity id (0 for a
// create) and the owner it is given must be within the scope; a create
// without an owner gets the scope group.
func (a *api) ownedInScope(ctx context.Context, e resources.Entity, id int64, owner **int64) error {
	if id != 0 {
		if err := a.inScope(ctx, e, id); err != nil {
			return err
		}
	}
	o, err := a.ownerInScope(ctx, *owner, id == 0)
	*owner = o
	return err
}
