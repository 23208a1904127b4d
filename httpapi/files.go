package httpapi

import (
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/netbudget"
)

// errNoFile answers a /files/ path that names no blob.
var errNoFile = errs.E("", errs.NotFound, "no such file")

// serveFile serves stored content at /files/<ab>/<cd>/<hash>[.ext]: with its
// content type, the hash as a strong ETag, immutable caching and Range
// support. Nothing else under /files/ exists: no listings.
func (a *api) serveFile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on /files/")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/files/"), "/")
	if len(parts) != 3 {
		a.fail(w, r, errNoFile)
		return
	}
	hash, _, _ := strings.Cut(parts[2], ".")
	if !isHexHash(hash) || parts[0] != hash[0:2] || parts[1] != hash[2:4] {
		a.fail(w, r, errNoFile)
		return
	}
	sum, err := blobstore.ParseHash(hash)
	if err != nil {
		a.fail(w, r, errNoFile)
		return
	}
	if a.presign && a.redirectPresigned(w, r, sum) {
		return
	}
	a.serveBlob(w, r, sum, "", func(h http.Header) {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	})
}

// presignTTL is how long a presigned download URL stays valid: long enough
// to start a large download, short enough that a leaked URL soon dies.
const presignTTL = 15 * time.Minute

// redirectPresigned answers with a redirect to a presigned URL of the
// blob, and reports whether it did: not when the store cannot presign or
// the content is unknown. The backend's answer lacks this server's
// sandbox headers, so active content is forced to download.
func (a *api) redirectPresigned(w http.ResponseWriter, r *http.Request, h blobstore.Hash) bool {
	p, ok := a.store.Blobs().(blobstore.Presigner)
	if !ok {
		return false
	}
	f, info, err := a.store.OpenContent(r.Context(), h)
	if err != nil {
		return false // serveBlob answers the error
	}
	f.Close()
	opts := blobstore.PresignOptions{ContentType: info.ContentType}
	if opts.ContentType == "" || activeContent(opts.ContentType) {
		opts.ContentType = "application/octet-stream"
		opts.ContentDisposition = "attachment"
	}
	u, err := p.PresignGet(r.Context(), h, presignTTL, opts)
	if err != nil {
		return false
	}
	w.Header().Set("Cache-Control", "private, max-age=300")
	http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
	return true
}

// serveBlob serves the stored content hash with the headers every download
// of it carries: its content type (contentType, or else the stored one),
// the hash as a strong ETag, nosniff and a sandbox policy, and Range
// support. header, when set, adds headers once the content is found.
func (a *api) serveBlob(w http.ResponseWriter, r *http.Request, hash blobstore.Hash, contentType string, header func(http.Header)) {
	f, info, err := a.store.OpenContent(r.Context(), hash)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	if contentType == "" {
		contentType = info.ContentType
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	h.Set("Content-Type", contentType)
	h.Set("ETag", `"`+info.Hash.String()+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	// Uploaded HTML or SVG must not run script with this origin's rights.
	h.Set("Content-Security-Policy", "sandbox")
	if activeContent(contentType) {
		// And a browser opening it saves it rather than renders it.
		h.Set("Content-Disposition", "attachment")
	}
	if header != nil {
		header(h)
	}
	defer netbudget.WriteDeadline(w, info.Size, a.budget.rate)()
	if _, local := f.(*os.File); !local {
		w = largeWrites{w}
	}
	serveContent(w, r, info.ModTime, f)
}

// isHexHash reports whether s has the form of a content hash: 64 hex
// digits. Anything else names no file, so it is a 404 rather than a 400.
func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// activeContent reports whether a browser would run script in content of
// this type when opened as a page: HTML, SVG, XML and script. (As an <img>
// an SVG runs none, and Content-Disposition does not stop that use.)
func activeContent(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	switch mt {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
		"text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript",
		"application/x-shockwave-flash", "text/xsl":
		return true
	}
	return strings.HasSuffix(mt, "+xml")
}
