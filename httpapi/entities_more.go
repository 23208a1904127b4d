package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// routeEntitiesMore registers what the reference's own client calls beyond
// create, get, list and delete: one-field edits, editMeta, group trees and
// clones, bulk edits of groups, notes and tags, note types and
// removeSeries.
func (a *api) routeEntitiesMore(r *router) {
	for path, e := range map[string]resources.Entity{
		"tag": resources.EntityTag, "category": resources.EntityCategory, "group": resources.EntityGroup,
		"note": resources.EntityNote, "resourceCategory": resources.EntityResourceCategory,
		"series": resources.EntitySeries, "noteType": resources.EntityNoteType,
	} {
		r.handle("POST", "/v1/"+path+"/editName", a.editEntityField("Name", e, a.store.EditEntityName))
		if e != resources.EntitySeries {
			r.handle("POST", "/v1/"+path+"/editDescription", a.editEntityField("Description", e, a.store.EditEntityDescription))
		}
	}
	r.handle("POST", "/v1/resource/editMeta", a.editMeta(resources.EntityResource, func(ctx context.Context, id int64) (any, error) { return a.store.Get(ctx, id) }))
	r.handle("POST", "/v1/group/editMeta", a.editMeta(resources.EntityGroup, func(ctx context.Context, id int64) (any, error) { return a.store.GetGroup(ctx, id) }))
	r.handle("POST", "/v1/note/editMeta", a.editMeta(resources.EntityNote, func(ctx context.Context, id int64) (any, error) { return a.store.GetNote(ctx, id) }))
	r.handle("POST", "/v1/resource/removeSeries", a.removeSeries)

	r.handle("GET", "/v1/group/parents", getHandler(a, a.store.GroupParents))
	r.handle("GET", "/v1/group/tree/children", a.groupChildren)
	r.handle("POST", "/v1/group/clone", getHandler(a, a.store.CloneGroup))

	for _, k := range []struct {
		path string
		e    resources.Entity
	}{{"groups", resources.EntityGroup}, {"notes", resources.EntityNote}} {
		r.handle("POST", "/v1/"+k.path+"/addTags", a.bulkEntityLinks(k.e, a.store.AddEntityTags))
		r.handle("POST", "/v1/"+k.path+"/removeTags", a.bulkEntityLinks(k.e, a.store.RemoveEntityTags))
		r.handle("POST", "/v1/"+k.path+"/addMeta", a.bulkEntityMeta(k.e))
		r.handle("POST", "/v1/"+k.path+"/delete", a.bulkEntityDelete(k.e))
		r.handle("GET", "/v1/"+k.path+"/meta/keys", a.entityMetaKeys(k.e))
	}
	r.handle("POST", "/v1/notes/addGroups", a.bulkEntityLinks(resources.EntityNote, a.store.AddEntityGroups))
	r.handle("POST", "/v1/groups/merge", a.mergeEntities(a.store.MergeGroups))
	r.handle("POST", "/v1/tags/merge", a.mergeEntities(a.store.MergeTags))
	r.handle("POST", "/v1/tags/delete", a.bulkEntityDelete(resources.EntityTag))

	saveNoteType := saveHandler(a, func(ctx context.Context, d *decoder) (*resources.NoteType, error) {
		in := resources.NoteTypeInput{ID: d.saveID(), Name: d.optStr("Name"), Description: d.optStr("Description"), MetaSchema: d.optStr("MetaSchema")}
		return checked(d, func() (*resources.NoteType, error) { return a.store.SaveNoteType(ctx, in) })
	})
	r.handle("POST", "/v1/note/noteType", saveNoteType)
	r.handle("POST", "/v1/note/noteType/edit", saveNoteType)
	r.handle("GET", "/v1/note/noteType", getHandler(a, a.store.GetNoteType))
	r.handle("GET", "/v1/note/noteTypes", listHandler(a, a.store.ListNoteTypes))
	r.handle("POST", "/v1/note/noteType/delete", deleteHandler(a, a.store.DeleteNoteType, deleted))
}

func (a *api) editEntityField(field string, e resources.Entity, edit func(context.Context, resources.Entity, int64, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.editField(w, r, field, a.scopedEdit(e, func(ctx context.Context, id int64, value string) error { return edit(ctx, e, id, value) }))
	}
}

// editMeta serves POST /v1/{resource,group,note}/editMeta: id, path (a
// dotted path into Meta) and value (JSON text); it answers the entity.
func (a *api) editMeta(e resources.Entity, get func(context.Context, int64) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		id := d.id("id")
		path := d.optStr("path")
		value := d.optStr("value")
		switch {
		case d.err != nil:
		case path == nil:
			d.keep(missing("path"))
		case value == nil:
			d.keep(missing("value"))
		}
		if d.err != nil {
			a.fail(w, r, d.err)
			return
		}
		if err := a.inScope(r.Context(), e, id); err != nil {
			a.fail(w, r, err)
			return
		}
		if err := a.store.EditMeta(r.Context(), e, id, *path, []byte(*value)); err != nil {
			a.fail(w, r, err)
			return
		}
		v, err := get(r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (a *api) removeSeries(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, resourceID...)
	if !ok {
		return
	}
	res, err := a.store.RemoveSeries(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// groupChildren serves GET /v1/group/tree/children: the children of
// parentId (the reference's client sends it as id), or the roots.
func (a *api) groupChildren(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	parent := d.int64("parentId", "id")
	limit := d.int("limit")
	if d.err == nil && parent < 0 {
		d.keep(&params.Error{Field: "parentId", Msg: "must be a positive ID"})
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	nodes, err := a.store.GroupChildren(r.Context(), parent, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nodes)
}

// bulkEntityLinks serves addTags, removeTags and addGroups of groups and
// notes: ID (the groups or notes) and EditedId (the tags or groups).
func (a *api) bulkEntityLinks(e resources.Entity, apply func(context.Context, resources.Entity, []int64, []int64) error) http.HandlerFunc {
	return a.bulkLinks(e, func(ctx context.Context, ids, edited []int64) error { return apply(ctx, e, ids, edited) }, false)
}

func (a *api) bulkEntityMeta(e resources.Entity) http.HandlerFunc {
	return a.metaAdder(e, func(ctx context.Context, ids []int64, patch resources.Meta) error {
		return a.store.AddEntityMeta(ctx, e, ids, patch)
	})
}

func (a *api) bulkEntityDelete(e resources.Entity) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
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
		if err := a.store.DeleteEntities(r.Context(), e, ids); err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, okAnswer)
	}
}

func (a *api) mergeEntities(merge func(context.Context, int64, []int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		winner := d.id("Winner")
		losers := d.ids("Losers")
		if d.err == nil && len(losers) == 0 {
			d.keep(&params.Error{Field: "Losers", Msg: "at least one ID is required"})
		}
		if d.err != nil {
			a.fail(w, r, d.err)
			return
		}
		if err := merge(r.Context(), winner, losers); err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, okAnswer)
	}
}

func (a *api) entityMetaKeys(e resources.Entity) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		keys, err := a.store.EntityMetaKeys(r.Context(), e)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, keys)
	}
}

// listGroups serves GET /v1/groups with the filters of query.GroupFilter.
func (a *api) listGroups(ctx context.Context, d *decoder) (resources.ListResult[*resources.Group], error) {
	f := query.GroupFilter{
		Page: d.int("page"), MaxResults: d.int("MaxResults", "PerPage"),
		Name: d.filter("Name"), Description: d.filter("Description"), URL: d.filter("URL"),
		SearchParentsForName: d.bool("SearchParentsForName"), SearchChildrenForName: d.bool("SearchChildrenForName"),
		IDs: d.ids("Ids", "ID"), OwnerID: d.int64("OwnerId"), CategoryID: d.int64("CategoryId"),
		Tags: d.ids("Tags"), Groups: d.ids("Groups"), Resources: d.ids("Resources"), Notes: d.ids("Notes"),
		MetaQuery: d.strs("MetaQuery"), SortBy: d.strs("SortBy"),
	}
	f.CreatedAfter, f.CreatedBefore = d.createdRange()
	return checked(d, func() (resources.ListResult[*resources.Group], error) { return a.query.Groups(ctx, f) })
}

// listNotes serves GET /v1/notes with the filters of query.NoteFilter.
func (a *api) listNotes(ctx context.Context, d *decoder) (resources.ListResult[*resources.Note], error) {
	f := query.NoteFilter{
		Page: d.int("page"), MaxResults: d.int("MaxResults", "PerPage"),
		Name: d.filter("Name"), Description: d.filter("Description"),
		IDs: d.ids("Ids", "ID"), OwnerID: d.int64("OwnerId"), NoteTypeID: d.int64("NoteTypeId"),
		Tags: d.ids("Tags"), Groups: d.ids("Groups"), Resources: d.ids("Resources"),
		MetaQuery: d.strs("MetaQuery"), SortBy: d.strs("SortBy"),
	}
	f.CreatedAfter, f.CreatedBefore = d.createdRange()
	return checked(d, func() (resources.ListResult[*resources.Note], error) { return a.query.Notes(ctx, f) })
}

// createdRange reads CreatedAfter and CreatedBefore (see timeRange).
func (d *decoder) createdRange() (after, before time.Time) {
	return d.timeRange("CreatedAfter", "CreatedBefore")
}

// timeRange reads the bounds afterKey and beforeKey; absent means zero.
// Both include the time given, as the reference's SQL (>=, <=) does; the
// query's before bounds exclude it, and times are stored to the
// microsecond, so the bound goes one microsecond later.
func (d *decoder) timeRange(afterKey, beforeKey string) (after, before time.Time) {
	if t := d.optTime(afterKey); t != nil {
		after = *t
	}
	if t := d.optTime(beforeKey); t != nil {
		before = t.Add(time.Microsecond)
	}
	return after, before
}

// filteredList serves a list whose filters the handler decodes itself.
func filteredList[T any](a *api, list func(context.Context, *decoder) (resources.ListResult[T], error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		res, err := list(r.Context(), d)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeList(w, res)
	}
}
