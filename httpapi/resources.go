package httpapi

import (
	"context"
	"net/http"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/resources"
)

func (a *api) routeResources(r *router) {
	r.handle("GET", "/v1/resource", a.getResource)
	r.handle("POST", "/v1/resource", a.upload)
	r.handle("POST", "/v1/resource/edit", a.editResource)
	r.handle("POST", "/v1/resource/editName", a.editName)
	r.handle("POST", "/v1/resource/editDescription", a.editDescription)
	r.handle("POST", "/v1/resource/delete", a.deleteResource)
	r.handle("GET", "/v1/resource/view", a.viewResource)
	r.handle("GET", "/v1/resources", a.listResources)
	r.handle("GET", "/v1/resources/meta/keys", a.metaKeys)
}

// resourceID are the names a resource ID may come under.
var resourceID = []string{"id", "resourceId"}

func (a *api) getResource(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, resourceID...)
	if !ok {
		return
	}
	res, err := a.store.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// createInput reads the fields shared by every way of creating a resource.
func (d *decoder) createInput() resources.CreateInput {
	return resources.CreateInput{
		Name:             d.str("Name"),
		Description:      d.str("Description"),
		OwnerID:          d.optInt64("OwnerId"),
		Groups:           d.ids("Groups"),
		Tags:             d.ids("Tags"),
		Notes:            d.ids("Notes"),
		Meta:             d.meta("Meta"),
		Category:         d.str("Category"),
		ContentCategory:  d.str("ContentCategory"),
		ResourceCategory: d.optInt64("ResourceCategoryId"),
		OriginalName:     d.str("OriginalName"),
		OriginalLocation: d.str("OriginalLocation"),
		Width:            d.dim("Width"),
		Height:           d.dim("Height"),
		SeriesID:         d.optInt64("SeriesId"),
		SeriesSlug:       d.str("SeriesSlug"),
	}
}

func (a *api) editResource(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in := resources.EditInput{
		ID:               d.id(resourceID...),
		Name:             d.optStr("Name"),
		Description:      d.optStr("Description"),
		OriginalName:     d.optStr("OriginalName"),
		OriginalLocation: d.optStr("OriginalLocation"),
		Category:         d.optStr("Category"),
		ContentCategory:  d.optStr("ContentCategory"),
		OwnerID:          d.optInt64("OwnerId"),
		ResourceCategory: d.optInt64("ResourceCategoryId"),
		SeriesID:         d.optInt64("SeriesId"),
		SeriesSlug:       d.optStr("SeriesSlug"),
		Tags:             d.ids("Tags"),
		Groups:           d.ids("Groups"),
		Notes:            d.ids("Notes"),
		Meta:             d.meta("Meta"),
		Width:            d.optDim("Width"),
		Height:           d.optDim("Height"),
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if err = a.inScope(r.Context(), resources.EntityResource, in.ID); err == nil {
		in.OwnerID, err = a.ownerInScope(r.Context(), in.OwnerID, false)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.store.Edit(r.Context(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

type okBody struct {
	ID int64 `json:"id"`
	OK bool  `json:"ok"`
}

func (a *api) editName(w http.ResponseWriter, r *http.Request) {
	a.editField(w, r, "Name", a.scopedEdit(resources.EntityResource, a.store.EditName))
}

func (a *api) editDescription(w http.ResponseWriter, r *http.Request) {
	a.editField(w, r, "Description", a.scopedEdit(resources.EntityResource, a.store.EditDescription))
}

// editField serves the inline editors: the ID in the query, one value in the
// body.
func (a *api) editField(w http.ResponseWriter, r *http.Request, field string, edit func(ctx context.Context, id int64, value string) error) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id(resourceID...)
	value := d.optStr(field, "value")
	if d.err == nil && value == nil {
		d.keep(missing(field))
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if err := edit(r.Context(), id, *value); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okBody{ID: id, OK: true})
}

// deletedBody is the answer to a delete: the ID of what is gone.
type deletedBody struct {
	ID int64 `json:"ID"`
}

func (a *api) deleteResource(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, resourceID...)
	if !ok {
		return
	}
	if err := a.store.Delete(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, deletedBody{ID: id})
}

func (a *api) viewResource(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, resourceID...)
	if !ok {
		return
	}
	res, err := a.store.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	target, err := a.signedURL(r, fileURL(res.Hash, res.ContentType))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// fileURL is where /files/ serves content: its hash path and an extension
// that tells browsers and download tools what it is.
func fileURL(hash blobstore.Hash, contentType string) string {
	return "/files/" + hash.Path() + probe.Extension(contentType)
}
