package httpapi

import (
	"context"
	"net/http"

	"github.com/stockroomhq/stockroom/resources"
)

// routeEntities registers the supporting entities that resources refer to:
// tags, groups, group categories, notes, resource categories and series.
// Passing an ID to a create endpoint updates that entity.
func (a *api) routeEntities(r *router) {
	s := a.store
	r.handle("POST", "/v1/tag", saveHandler(a, func(ctx context.Context, d *decoder) (*resources.Tag, error) {
		in := resources.TagInput{ID: d.saveID(), Name: d.optStr("Name"), Description: d.optStr("Description"), Meta: d.meta("Meta")}
		return checked(d, func() (*resources.Tag, error) { return s.SaveTag(ctx, in) })
	}))
	r.handle("GET", "/v1/tag", getHandler(a, s.GetTag))
	r.handle("GET", "/v1/tags", listHandler(a, s.ListTags))
	r.handle("POST", "/v1/tag/delete", deleteHandler(a, s.DeleteTag, tagDeleted))

	r.handle("POST", "/v1/group", saveHandler(a, func(ctx context.Context, d *decoder) (*resources.Group, error) {
		in := resources.GroupInput{
			ID: d.saveID(), Name: d.optStr("Name"), Description: d.optStr("Description"), URL: d.optStr("URL"),
			Meta: d.meta("Meta"), OwnerID: d.optInt64("OwnerId"), CategoryID: d.optInt64("CategoryId"), Tags: d.ids("Tags"),
		}
		return checked(d, func() (*resources.Group, error) {
			if err := a.ownedInScope(ctx, resources.EntityGroup, in.ID, &in.OwnerID); err != nil {
				return nil, err
			}
			return s.SaveGroup(ctx, in)
		})
	}))
	r.handle("GET", "/v1/group", getHandler(a, s.GetGroup))
	r.handle("GET", "/v1/groups", filteredList(a, a.listGroups))
	r.handle("POST", "/v1/group/delete", deleteHandler(a, s.DeleteGroup, deleted))

	r.handle("POST", "/v1/category", saveHandler(a, func(ctx context.Context, d *decoder) (*resources.Category, error) {
		in := resources.CategoryInput{ID: d.saveID(), Name: d.optStr("Name"), Description: d.optStr("Description")}
		return checked(d, func() (*resources.Category, error) { return s.SaveCategory(ctx, in) })
	}))
	r.handle("GET", "/v1/category", getHandler(a, s.GetCategory))
	r.handle("GET", "/v1/categories", listHandler(a, s.ListCategories))
	r.handle("POST", "/v1/category/delete", deleteHandler(a, s.DeleteCategory, deleted))

	r.handle("POST", "/v1/note", saveHandler(a, func(ctx context.Context, d *decoder) (*resources.Note, error) {
		in := resources.NoteInput{
			ID: d.saveID(), Name: d.optStr("Name"), Description: d.optStr("Description"), Meta: d.meta("Meta"),
			OwnerID: d.optInt64("OwnerId"), StartDate: d.optTime("StartDate"), EndDate: d.optTime("EndDate"),
			Tags: d.ids("Tags"), Groups: d.ids("Groups"), Resources: d.ids("Resources"),
			NoteTypeID: d.optInt64("NoteTypeId"),
		}
		return checked(d, func() (*resources.Note, error) {
			if err := a.ownedInScope(ctx, resources.EntityNote, in.ID, &in.OwnerID); err != nil {
				return nil, err
			}
			return s.SaveNote(ctx, in)
		})
	}))
	r.handle("GET", "/v1/note", getHandler(a, s.GetNote))
	r.handle("GET", "/v1/notes", filteredList(a, a.listNotes))
	r.handle("POST", "/v1/note/delete", deleteHandler(a, s.DeleteNote, deleted))

	r.handle("POST", "/v1/resourceCategory", saveHandler(a, func(ctx context.Context, d *decoder) (*resources.ResourceCategory, error) {
		in := resources.ResourceCategoryInput{ID: d.saveID(), Name: d.optStr("Name"), Description: d.optStr("Description"), MetaSchema: d.optStr("MetaSchema")}
		return checked(d, func() (*resources.ResourceCategory, error) { return s.SaveResourceCategory(ctx, in) })
	}))
	r.handle("GET", "/v1/resourceCategory", getHandler(a, s.GetResourceCategory))
	r.handle("GET", "/v1/resourceCategories", listHandler(a, s.ListResourceCategories))
	r.handle("POST", "/v1/resourceCategory/delete", deleteHandler(a, s.DeleteResourceCategory, deleted))

	saveSeries := saveHandler(a, func(ctx context.Context, d *decoder) (*resources.Series, error) {
		in := resources.SeriesInput{ID: d.saveID(), Name: d.optStr("Name"), Slug: d.optStr("Slug"), Meta: d.meta("Meta")}
		return checked(d, func() (*resources.Series, error) { return s.SaveSeries(ctx, in) })
	})
	r.handle("POST", "/v1/series/create", saveSeries)
	r.handle("POST", "/v1/series", saveSeries)
	r.handle("GET", "/v1/series", getHandler(a, func(ctx context.Context, id int64) (seriesWithResources, error) {
		series, err := s.GetSeries(ctx, id)
		if err != nil {
			return seriesWithResources{}, err
		}
		if series.Resources == nil {
			series.Resources = []*resources.Resource{}
		}
		return seriesWithResources{series, series.Resources}, nil
	}))
	r.handle("GET", "/v1/seriesList", listHandler(a, s.ListSeries))
	r.handle("POST", "/v1/series/delete", deleteHandler(a, s.DeleteSeries, deleted))
}

// checked runs call only when every parameter decoded.
func checked[T any](d *decoder, call func() (T, error)) (T, error) {
	if d.err != nil {
		var zero T
		return zero, d.err
	}
	return call()
}

func saveHandler[T any](a *api, save func(context.Context, *decoder) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		v, err := save(r.Context(), d)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// seriesWithResources is a series as GET /v1/series answers it: with its
// resources always, [] when it has none. Elsewhere (in a resource's
// Series) Resources is left out.
type seriesWithResources struct {
	*resources.Series
	Resources []*resources.Resource `json:"Resources"`
}

func getHandler[T any](a *api, get func(context.Context, int64) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.decodeID(w, r, "id")
		if !ok {
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

func listHandler[T any](a *api, list func(context.Context, resources.ListOptions) (resources.ListResult[T], error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := a.decode(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		opts := d.listOptions()
		if d.err != nil {
			a.fail(w, r, d.err)
			return
		}
		res, err := list(r.Context(), opts)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeList(w, res)
	}
}

// deleted is the answer to the deletion of the entity id: {"ID": id}.
func deleted(id int64) any { return deletedBody{ID: id} }

// tagDeleted answers the deletion of a tag with its id under both names:
// the reference answers tag deletions {"id": N} and its other deletions
// with the entity, {"ID": N, ...}.
func tagDeleted(id int64) any {
	return struct {
		ID    int64 `json:"ID"`
		Lower int64 `json:"id"`
	}{id, id}
}

func deleteHandler(a *api, del func(context.Context, int64) error, answer func(id int64) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.decodeID(w, r, "id")
		if !ok {
			return
		}
		if err := del(r.Context(), id); err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, answer(id))
	}
}
