package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

func (a *api) routeVersions(r *router) {
	r.handle("GET", "/v1/resource/versions", a.listVersions)
	r.handle("POST", "/v1/resource/versions", a.uploadVersion)
	r.handle("GET", "/v1/resource/version", a.getVersion)
	r.handle("DELETE", "/v1/resource/version", a.deleteVersion)
	r.handle("POST", "/v1/resource/version/delete", a.deleteVersion)
	r.handle("POST", "/v1/resource/version/restore", a.restoreVersion)
	r.handle("GET", "/v1/resource/version/file", a.versionFile)
	r.handle("POST", "/v1/resource/versions/cleanup", a.cleanupVersions)
	r.handle("POST", "/v1/resources/versions/cleanup", a.cleanupAllVersions)
	r.handle("GET", "/v1/resource/versions/compare", a.compareVersions)
	r.handle("GET", "/resource/compare", a.comparePage)
	r.handle("GET", "/resource/compare.json", a.compareJSON)
}

// versionFileField is the multipart field of a new version's file.
const versionFileField = "file"

// uploadVersion adds a version from a multipart body: the file in the field
// "file" and an optional "comment", before or after it; resourceId in the
// query (or in a field before the file). The file is streamed to the blob
// store as it arrives. An unknown resource is refused before the file is
// read, and any failure leaves no row and no blob behind.
func (a *api) uploadVersion(w http.ResponseWriter, r *http.Request) {
	release, ok := a.admitUpload(w)
	if !ok {
		return
	}
	defer release()
	ctx := r.Context()
	st := &stream{a: a, w: w, r: r}
	fail := st.fail
	mr, v, err := a.openMultipart(w, r, `send the file as multipart/form-data in the field "file"`)
	if err != nil {
		fail(err)
		return
	}
	var up *resources.Upload
	defer func() { a.store.Release(ctx, up) }()
	textBudget := a.maxBody
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // the closing boundary (see addMultipartFields)
			st.read = true
			break
		}
		if err != nil {
			fail(&clientStreamError{err})
			return
		}
		if part.FileName() == "" {
			text, err := readTextPart(part, &textBudget)
			if err != nil {
				fail(err)
				return
			}
			v.Add(part.FormName(), text)
			continue
		}
		switch {
		case !strings.EqualFold(part.FormName(), versionFileField):
			fail(&params.Error{Field: part.FormName(), Msg: `unexpected file: send the new version in the field "file"`})
			return
		case up != nil:
			fail(&params.Error{Field: part.FormName(), Msg: "one file per version"})
			return
		}
		d := &decoder{v: v}
		id := d.id(versionResourceID...)
		if d.err != nil {
			fail(d.err)
			return
		}
		if err := a.inScope(ctx, resources.EntityResource, id); err != nil {
			fail(err)
			return
		}
		if up, err = a.versions.Stage(ctx, id, clientReader{part}); err != nil {
			fail(err)
			return
		}
	}
	if up == nil {
		fail(&params.Error{Field: versionFileField, Msg: "no file given: send the new version in the field \"file\""})
		return
	}
	d := &decoder{v: v}
	id := d.id(versionResourceID...)
	comment := d.str("comment")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if err := a.inScope(ctx, resources.EntityResource, id); err != nil {
		a.fail(w, r, err)
		return
	}
	ver, err := a.versions.Add(ctx, id, up, comment)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ver)
}

// versionResourceID are the names the resource of a version operation may
// come under.
var versionResourceID = []string{"resourceId", "resource_id"}

// versionIDs reads the required resourceId and versionId of a request.
func (d *decoder) versionIDs() (resourceID, versionID int64) {
	return d.id(versionResourceID...), d.id("versionId", "version_id")
}

// restoreVersion appends a copy of an old version and makes it current.
func (a *api) restoreVersion(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	resourceID, versionID := d.versionIDs()
	comment := d.str("comment")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	v, err := a.versions.Restore(r.Context(), resourceID, versionID, comment)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// deletedVersion is the answer to a version deletion.
type deletedVersion struct {
	Status     string `json:"status"`
	ResourceID int64  `json:"resourceId"`
	VersionID  int64  `json:"versionId"`
}

// deleteVersion deletes one version that is not the current one: 409 for
// the current (or only) version, 400 for a version of another resource,
// 404 for an unknown resource or version.
func (a *api) deleteVersion(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	resourceID, versionID := d.versionIDs()
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if err := a.versions.Delete(r.Context(), resourceID, versionID); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, deletedVersion{Status: "deleted", ResourceID: resourceID, VersionID: versionID})
}

// cleanupOptions reads keepLast, olderThanDays and dryRun.
func (d *decoder) cleanupOptions() versions.CleanupOptions {
	return versions.CleanupOptions{
		KeepLast:      d.int("keepLast", "keep_last"),
		OlderThanDays: d.int("olderThanDays", "older_than_days"),
		DryRun:        d.bool("dryRun", "dry_run"),
	}
}

// cleanupVersions deletes the old versions of one resource.
func (a *api) cleanupVersions(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id(versionResourceID...)
	opts := d.cleanupOptions()
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	res, err := a.versions.Cleanup(r.Context(), id, opts)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// cleanupAllVersions deletes old versions of every resource, or of those
// of ownerId.
func (a *api) cleanupAllVersions(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	opts := versions.BulkCleanupOptions{CleanupOptions: d.cleanupOptions(), OwnerID: d.int64("ownerId", "owner_id")}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	res, err := a.versions.CleanupAll(r.Context(), opts)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// compareVersions compares two versions of one resource by version ID.
func (a *api) compareVersions(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.id(versionResourceID...)
	v1, v2 := d.id("v1"), d.id("v2")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	c, err := a.versions.Compare(r.Context(), id, v1, v2)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *api) listVersions(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, "resourceId", "id")
	if !ok {
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
	id, ok := a.decodeID(w, r, "id", "versionId")
	if !ok {
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
	id, ok := a.decodeID(w, r, "versionId", "id")
	if !ok {
		return
	}
	v, err := a.versions.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.serveBlob(w, r, v.Hash, v.ContentType, func(h http.Header) {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="v%d_%s%s"`, v.VersionNumber, v.Hash.String()[:8], probe.Extension(v.ContentType)))
	})
}
