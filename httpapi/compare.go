package httpapi

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageTemplates parses the HTML templates once, on first use.
var pageTemplates = sync.OnceValues(func() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"bytes":  humanBytes,
		"signed": signedBytes,
	}).ParseFS(templateFS, "templates/*.html")
})

// pageCSP forbids scripts, objects and foreign content on the HTML pages:
// they need nothing but their own inline style and images from this server.
const pageCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// comparison is what the compare page and compare.json show: the library's
// cross-resource comparison, with where each file and version is served.
type comparison struct {
	*versions.CrossComparison
	File1URL     string `json:"file1Url"`
	File2URL     string `json:"file2Url"`
	Download1URL string `json:"download1Url"`
	Download2URL string `json:"download2Url"`
}

// compareRequest reads r1 (required), v1, r2 and v2 (version numbers) and
// runs the comparison. r2 defaults to r1, and a missing version number to
// the current version, so /resource/compare?r1=5&v1=2 compares version 2 of
// resource 5 with its current version.
func (a *api) compareRequest(r *http.Request) (*comparison, error) {
	d, err := a.decode(r)
	if err != nil {
		return nil, err
	}
	r1 := d.id("r1", "resource1")
	r2 := d.optInt64("r2", "resource2") // blank or absent: r1
	n1, n2 := d.int("v1"), d.int("v2")  // blank or absent: the current version
	if d.err == nil && r2 != nil && *r2 <= 0 {
		d.keep(idError("r2"))
	}
	if d.err != nil {
		return nil, d.err
	}
	if r2 == nil {
		r2 = &r1
	}
	c, err := a.versions.CompareAcross(r.Context(), versions.VersionRef{ResourceID: r1, Number: n1}, versions.VersionRef{ResourceID: *r2, Number: n2})
	if err != nil {
		return nil, err
	}
	return &comparison{
		CrossComparison: c,
		File1URL:        fileURL(c.Version1.Hash, c.Version1.ContentType),
		File2URL:        fileURL(c.Version2.Hash, c.Version2.ContentType),
		Download1URL:    versionFileURL(c.Version1.ID),
		Download2URL:    versionFileURL(c.Version2.ID),
	}, nil
}

func versionFileURL(id int64) string {
	return "/v1/resource/version/file?versionId=" + strconv.FormatInt(id, 10)
}

// compareJSON answers the data of the compare page as JSON.
func (a *api) compareJSON(w http.ResponseWriter, r *http.Request) {
	c, err := a.compareRequest(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// comparePage renders two versions, of one resource or of two, side by
// side: previews of images, and a table of their facts with the ones that
// differ marked. It is plain HTML and CSS, with no script.
func (a *api) comparePage(w http.ResponseWriter, r *http.Request) {
	c, err := a.compareRequest(r)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	a.renderPage(w, r, http.StatusOK, "compare.html", newComparePage(c))
}

// renderPage executes a template into a buffer, so that a template error
// is a clean 500 rather than half a page, and sends it.
func (a *api) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	tmpl, err := pageTemplates()
	var buf bytes.Buffer
	if err == nil {
		err = tmpl.ExecuteTemplate(&buf, name, data)
	}
	if err != nil {
		a.fail(w, r, fmt.Errorf("rendering %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// failPage answers an error of an HTML page: as a small HTML page to
// browsers (which ask for text/html), as the usual JSON error to other
// clients. Status and message are fail's (answer).
func (a *api) failPage(w http.ResponseWriter, r *http.Request, err error) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		a.fail(w, r, err)
		return
	}
	status, body := a.answer(w.Header(), r, err)
	a.renderPage(w, r, status, "error.html", errorPage{
		Status:  status,
		Title:   http.StatusText(status),
		Message: body.Error,
	})
}

type errorPage struct {
	Status  int
	Title   string
	Message string
}

// comparePageData is the view of a comparison: one side per version and
// the rows of the facts table.
type comparePageData struct {
	C     *comparison
	Title string
	Sides [2]compareSide
	Facts []compareFact
}

// compareSide is one version as the page shows it.
type compareSide struct {
	Name        string // "Left" or "Right"
	Param       string // "1" or "2", the suffix of its r and v parameters
	Label       string // "Resource name · version N"
	Resource    versions.ResourceSummary
	Version     *resources.Version
	FileURL     string
	DownloadURL string
	// Preview is true when browsers can show the file as an image.
	Preview bool
	Current bool
}

// compareFact is one row of the table: a fact of each version, and whether
// they differ.
type compareFact struct {
	Name        string
	Left, Right string
	// Full values, shown as a tooltip (hashes are shortened in the cells).
	LeftTitle, RightTitle string
	Differs               bool
	Note                  string
}

// browserImages are the content types an <img> element shows in current
// browsers.
var browserImages = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/avif": true, "image/svg+xml": true, "image/bmp": true, "image/x-icon": true,
	"image/vnd.microsoft.icon": true,
}

func newComparePage(c *comparison) *comparePageData {
	v1, v2 := c.Version1, c.Version2
	side := func(name, param string, res versions.ResourceSummary, v *resources.Version, fileURL, download string) compareSide {
		return compareSide{
			Name:        name,
			Param:       param,
			Label:       fmt.Sprintf("%s · version %d", displayName(res), v.VersionNumber),
			Resource:    res,
			Version:     v,
			FileURL:     fileURL,
			DownloadURL: download,
			Preview:     browserImages[strings.ToLower(strings.TrimSpace(strings.Split(v.ContentType, ";")[0]))],
			Current:     res.CurrentVersionID != nil && *res.CurrentVersionID == v.ID,
		}
	}
	p := &comparePageData{
		C: c,
		Sides: [2]compareSide{
			side("Left", "1", c.Resource1, v1, c.File1URL, c.Download1URL),
			side("Right", "2", c.Resource2, v2, c.File2URL, c.Download2URL),
		},
	}
	p.Title = "Compare " + p.Sides[0].Label + " with " + p.Sides[1].Label
	dims := func(v *resources.Version) string {
		if v.Width == 0 && v.Height == 0 {
			return "—"
		}
		return fmt.Sprintf("%d × %d px", v.Width, v.Height)
	}
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	comment := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "—"
		}
		return s
	}
	sizeNote := "same size"
	switch {
	case c.SizeDelta > 0:
		sizeNote = signedBytes(c.SizeDelta) + " (right is larger)"
	case c.SizeDelta < 0:
		sizeNote = signedBytes(c.SizeDelta) + " (right is smaller)"
	}
	p.Facts = []compareFact{
		{Name: "Resource", Left: displayName(c.Resource1), Right: displayName(c.Resource2),
			LeftTitle: "ID " + strconv.FormatInt(c.Resource1.ID, 10), RightTitle: "ID " + strconv.FormatInt(c.Resource2.ID, 10),
			Differs: c.CrossResource},
		{Name: "Version", Left: strconv.Itoa(v1.VersionNumber), Right: strconv.Itoa(v2.VersionNumber),
			Differs: v1.ID != v2.ID},
		{Name: "Size", Left: humanBytes(v1.FileSize), Right: humanBytes(v2.FileSize),
			LeftTitle: strconv.FormatInt(v1.FileSize, 10) + " bytes", RightTitle: strconv.FormatInt(v2.FileSize, 10) + " bytes",
			Differs: c.SizeDelta != 0, Note: sizeNote},
		{Name: "Content", Left: v1.Hash.String()[:12] + "…", Right: v2.Hash.String()[:12] + "…",
			LeftTitle: v1.HashType + " " + v1.Hash.String(), RightTitle: v2.HashType + " " + v2.Hash.String(),
			Differs: !c.SameHash, Note: map[bool]string{true: "identical bytes", false: "different bytes"}[c.SameHash]},
		{Name: "Type", Left: v1.ContentType, Right: v2.ContentType, Differs: !c.SameType},
		{Name: "Dimensions", Left: dims(v1), Right: dims(v2), Differs: c.DimensionsDiff},
		{Name: "Created", Left: date(v1.CreatedAt), Right: date(v2.CreatedAt),
			Differs: date(v1.CreatedAt) != date(v2.CreatedAt)},
		{Name: "Comment", Left: comment(v1.Comment), Right: comment(v2.Comment), Differs: v1.Comment != v2.Comment},
	}
	return p
}

func displayName(r versions.ResourceSummary) string {
	if strings.TrimSpace(r.Name) == "" {
		return "Resource " + strconv.FormatInt(r.ID, 10)
	}
	return r.Name
}

// humanBytes formats a size with binary units: 512 B, 1.5 KiB, 3.2 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= unit
		if f < unit && f > -unit {
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + u
		}
	}
	return strconv.FormatFloat(f/unit, 'f', 1, 64) + " PiB"
}

// signedBytes is humanBytes with a sign: +1.5 KiB, -20 B, 0 B.
func signedBytes(n int64) string {
	if n > 0 {
		return "+" + humanBytes(n)
	}
	if n < 0 {
		return "−" + humanBytes(-n)
	}
	return "0 B"
}

func idError(field string) error {
	return &params.Error{Field: field, Msg: "a positive ID is required"}
}
