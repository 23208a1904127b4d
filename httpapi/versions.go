package httpapi

import (
	"fmt"
	"net/http"

	"github.com/stockroomhq/stockroom/resources/ingest"
)

func (a *api) routeVersions(r *router) {
	r.handle("GET", "/v1/resource/versions", a.listVersions)
	r.handle("GET", "/v1/resource/version", a.getVersion)
	r.handle("GET", "/v1/resource/version/file", a.versionFile)
}

func (a *api) listVersions(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id("resourceId", "id")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	vs, err := a.versions.List(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

func (a *api) getVersion(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id("id", "versionId")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	v, err := a.versions.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// versionFile downloads the file of one version as an attachment named
// v<N>_<hash8><ext>.
func (a *api) versionFile(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id("versionId", "id")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	v, err := a.versions.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f, info, err := a.store.OpenBlob(r.Context(), v.Hash)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", v.ContentType)
	h.Set("ETag", `"`+v.Hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="v%d_%s%s"`, v.VersionNumber, v.Hash[:8], ingest.Extension(v.ContentType)))
	http.ServeContent(w, r, "", info.ModTime, f)
}
