package httpapi

import (
	"bytes"
	"net/http"
	"strings"
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
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	// A client that holds the picture of this content in this box has
	// what it would get: tell it so before reading the preview, which on
	// an object store is two requests.
	if etag := preview.ETag(res.Hash, box); noneMatch(r.Header.Values("If-None-Match"), etag) {
		hd.Set("ETag", etag)
		hd.Set("Cache-Control", previewCaching)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	p, err := a.previews.Get(r.Context(), res.Hash, res.ContentType, box)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	hd.Set("Content-Type", p.ContentType)
	hd.Set("ETag", p.ETag)
	if p.Placeholder {
		hd.Set("X-Stockroom-Preview", "placeholder")
		hd.Set("X-Stockroom-Preview-Reason", p.Reason)
		hd.Set("Cache-Control", "no-cache")
	} else {
		hd.Set("Cache-Control", previewCaching)
	}
	serveContent(w, r, time.Time{}, bytes.NewReader(p.Data))
}

// previewCaching is the Cache-Control of a preview that is a picture. Its
// ETag names the content and the box, and a new version has a new one, so
// caches may keep it a while and revalidate.
const previewCaching = "public, max-age=86400"

// noneMatch reports whether If-None-Match values name etag, or "*", by the
// weak comparison RFC 9110 prescribes for the header.
func noneMatch(values []string, etag string) bool {
	for _, v := range values {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
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
