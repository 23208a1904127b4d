package httpapi

import (
	"context"
	"net/http"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/resources"
)

// routeBulk registers the endpoints of bulk edits and merge.
func (a *api) routeBulk(r *router) {
	r.handle("POST", "/v1/resources/addTags", a.bulkLinks(resources.EntityResource, a.store.AddTags, false))
	r.handle("POST", "/v1/resources/removeTags", a.bulkLinks(resources.EntityResource, a.store.RemoveTags, false))
	r.handle("POST", "/v1/resources/replaceTags", a.bulkLinks(resources.EntityResource, a.store.ReplaceTags, true))
	r.handle("POST", "/v1/resources/addGroups", a.bulkLinks(resources.EntityResource, a.store.AddGroups, false))
	r.handle("POST", "/v1/resources/addMeta", a.metaAdder(resources.EntityResource, a.store.AddMeta))
	r.handle("POST", "/v1/resources/delete", a.deleteResources)
	r.handle("POST", "/v1/resources/merge", a.mergeResources)
}

// bulkIDs are the names the resource IDs of a bulk call may come under.
var bulkIDs = []string{"ID", "Ids"}

// okAnswer is the answer of the bulk endpoints.
var okAnswer = map[string]bool{"ok": true}

// resourceIDs reads the required, non-empty list of resource IDs.
func (d *decoder) resourceIDs() []int64 {
	ids := d.ids(bulkIDs...)
	if d.err == nil && len(ids) == 0 {
		d.keep(missing("ID"))
	}
	return ids
}

// bulkLinks serves an endpoint that links (or unlinks) the tags or groups
// EditedId to (from) the entities ID, of kind e, all of them within the
// principal's scope (or none is changed). EditedId is required; an empty list
// is accepted only where allowEmpty says it means something (replaceTags,
// where it clears the tags).
func (a *api) bulkLinks(e resources.Entity, apply func(ctx context.Context, ids, edited []int64) error, allowEmpty bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		ids := d.resourceIDs()
		edited := d.ids("EditedId")
		switch {
		case d.err != nil:
		case edited == nil:
			d.keep(missing("EditedId"))
		case len(edited) == 0 && !allowEmpty:
			d.keep(&params.Error{Field: "EditedId", Msg: "at least one ID is required"})
		}
		if d.err != nil {
			a.fail(w, r, d.err)
			return
		}
		a.applyInScope(w, r, e, ids, func(ctx context.Context) error { return apply(ctx, ids, edited) })
	}
}

// applyInScope answers a bulk edit of the entities ids, of kind e: an
// error unless every one is within the principal's scope, else apply's
// outcome.
func (a *api) applyInScope(w http.ResponseWriter, r *http.Request, e resources.Entity, ids []int64, apply func(ctx context.Context) error) {
	if err := a.inScope(r.Context(), e, ids...); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := apply(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okAnswer)
}

// metaAdder answers an addMeta request of entity e: the IDs and a Meta
// patch, checked against the user's scope, then merged by apply.
func (a *api) metaAdder(e resources.Entity, apply func(ctx context.Context, ids []int64, patch resources.Meta) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		ids := d.resourceIDs()
		patch := d.meta("Meta")
		if d.err == nil && patch == nil {
			d.keep(missing("Meta"))
		}
		if d.err != nil {
			a.fail(w, r, d.err)
			return
		}
		a.applyInScope(w, r, e, ids, func(ctx context.Context) error { return apply(ctx, ids, patch) })
	}
}

func (a *api) deleteResources(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ids := d.resourceIDs()
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if err := a.store.DeleteMany(r.Context(), ids); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okAnswer)
}

func (a *api) mergeResources(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	winner := d.id("Winner")
	losers := d.ids("Losers")
	if d.err == nil && len(losers) == 0 {
		d.keep(&params.Error{Field: "Losers", Msg: "at least one resource ID is required"})
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if err := a.store.Merge(r.Context(), winner, losers); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okAnswer)
}
