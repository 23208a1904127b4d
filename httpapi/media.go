package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/media/preview"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/resources"
)

// routeMedia registers the endpoints of previews, rotation, dimensions and similar images.
func (a *api) routeMedia(r *router) {
	if a.media == nil {
		a.media = mediasvc.New(a.store, mediasvc.Config{Logger: a.log})
	}
	if a.previews == nil {
		a.previews = preview.New(a.store.Blobs())
		a.previews.Logger = a.log
	}
	r.handle("GET", "/v1/resource/preview", a.resourcePreview)
	r.handle("POST", "/v1/resources/rotate", a.rotate)
	r.handle("POST", "/v1/resource/recalculateDimensions", a.recalculateDimensions)
	r.handle("POST", "/v1/resources/setDimensions", a.setDimensions)
	r.handle("GET", "/v1/resource/similar", a.similar)
}

// resourcePreview answers a JPEG (PNG for transparency and placeholders)
// fitted in Width×Height, with an ETag for conditional requests. Anything
// that has no picture gets a placeholder, marked by the
// X-Stockroom-Preview header.
func (a *api) resourcePreview(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id(resourceID...)
	width, height := d.int("Width"), d.int("Height")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	box, err := preview.NewBox(width, height)
	if err != nil {
		a.fail(w, r, &params.Error{Field: "Width", Msg: "Width and Height must not be negative"})
		return
	}
	res, err := a.store.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := a.previews.Get(r.Context(), res.Hash, res.ContentType, box)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", p.ContentType)
	hd.Set("ETag", p.ETag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if p.Placeholder {
		hd.Set("X-Stockroom-Preview", "placeholder")
		hd.Set("X-Stockroom-Preview-Reason", p.Reason)
		hd.Set("Cache-Control", "no-cache")
	} else {
		// The ETag names the content and the box: a new version has a
		// new one, so caches may keep this a while and revalidate.
		hd.Set("Cache-Control", "public, max-age=86400")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(p.Data))
}

func (a *api) rotate(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id(resourceID...)
	degrees := d.optInt("Degrees")
	if d.err == nil && degrees == nil {
		d.keep(missing("Degrees"))
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	res, err := a.media.Rotate(r.Context(), id, *degrees)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// dimensionsBody answers recalculateDimensions.
type dimensionsBody struct {
	OK        bool                   `json:"ok"`
	Resources []resources.Dimensions `json:"resources"`
}

func (a *api) recalculateDimensions(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ids := d.ids("ID", "Ids", "id")
	if d.err == nil && len(ids) == 0 {
		d.keep(missing("ID"))
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	dims, err := a.store.RecalculateDimensions(r.Context(), ids)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dimensionsBody{OK: true, Resources: dims})
}

func (a *api) setDimensions(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id(resourceID...)
	width, height := d.optDim("Width"), d.optDim("Height")
	if d.err == nil && (width == nil || height == nil) {
		d.keep(missing(map[bool]string{true: "Width", false: "Height"}[width == nil]))
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	res, err := a.store.SetDimensions(r.Context(), id, *width, *height)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// similar lists the resources whose images are similar to the given one's,
// closest first, each with its Distance.
func (a *api) similar(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, resourceID...)
	if !ok {
		return
	}
	list, err := a.store.Similar(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}
