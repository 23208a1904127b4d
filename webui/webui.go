// Package webui serves Stockroom's web UI: server-rendered pages over the
// library (grid, resource, entity lists, users) with a little plain
// JavaScript that writes through the /v1 JSON API. It is an adapter beside
// httpapi: it reads through the library packages and never renders JSON
// (but for /ui/ids, the IDs behind "select all matching").
//
// Pages: / (the grid, with the filters in its URL), /ui/login,
// /ui/resource/{id}, /ui/tags, /ui/groups, /ui/categories, /ui/series,
// /ui/notes, /ui/users (admins) and /ui/tokens; the CSS and script are
// under /ui/static/. The server mounts httpapi at /v1/, /files/ and
// /resource/ (the compare page) and this handler at every other path.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the UI shows. Store is required.
type Config struct {
	Store    *resources.Store
	Versions *versions.Versioner
	Query    *query.Query
	// Access, when set, turns sign-in on: pages need a session cookie
	// (made by POST /v1/auth/login) and previews get signed links.
	Access *access.Service
	// Principal, when set, also turns auth on (as in httpapi.AccessConfig).
	Principal func(r *http.Request) (p access.Principal, ok bool)
	// LinkTTL is how long signed preview links last; 0 means an hour.
	LinkTTL time.Duration
	// Logger receives template errors; nil means slog.Default().
	Logger *slog.Logger
	// AllowedHosts, when non-nil, is the Host allow-list against DNS
	// rebinding (as httpapi.AccessConfig.AllowedHosts): other names get 421.
	// IP literals and localhost always pass.
	AllowedHosts []string
}

type ui struct {
	Config
	static  http.Handler
	version string // of the static files, for cache busting
}

// csp lets the pages load scripts, styles and images from this server
// only: no inline script or style anywhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// NewHandler returns the UI's handler: "/" (the grid) and /ui/...
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Versions == nil {
		cfg.Versions = versions.New(cfg.Store)
	}
	if cfg.Query == nil {
		cfg.Query = query.New(cfg.Store)
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = time.Hour
	}
	sub, _ := fs.Sub(staticFS, "static")
	u := &ui{Config: cfg, static: http.StripPrefix("/ui/static/", http.FileServerFS(sub)), version: staticVersion(sub)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", u.page(u.grid))
	mux.HandleFunc("GET /ui/login", u.login)
	mux.HandleFunc("GET /ui/resource/{id}", u.page(u.resource))
	mux.HandleFunc("GET /ui/tags", u.page(u.entityList("tags")))
	mux.HandleFunc("GET /ui/groups", u.page(u.entityList("groups")))
	mux.HandleFunc("GET /ui/categories", u.page(u.entityList("categories")))
	mux.HandleFunc("GET /ui/series", u.page(u.entityList("series")))
	mux.HandleFunc("GET /ui/notes", u.page(u.entityList("notes")))
	mux.HandleFunc("GET /ui/users", u.page(u.users))
	mux.HandleFunc("GET /ui/tokens", u.page(u.tokens))
	mux.HandleFunc("GET /ui/ids", u.ids)
	mux.HandleFunc("GET /ui/static/", u.serveStatic)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, nil, errs.E("", errs.NotFound, "no such page: "+r.URL.Path))
	})
	return u.hostCheck(mux)
}

// hostCheck refuses a Host that does not name this server, so that a page
// of another site cannot read the UI through DNS rebinding.
func (u *ui) hostCheck(next http.Handler) http.Handler {
	if u.AllowedHosts == nil {
		return next
	}
	hosts := map[string]bool{}
	for _, h := range u.AllowedHosts {
		hosts[strings.ToLower(h)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Host
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
		if h == "" || !(hosts[h] || net.ParseIP(h) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost")) {
			http.Error(w, "this server does not answer to that host name", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func staticVersion(sub fs.FS) string {
	h := sha256.New()
	fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(sub, p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// serveStatic serves the embedded CSS, JS and icons; a ?v= of the current
// build may be cached for good.
func (u *ui) serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") == u.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	u.static.ServeHTTP(w, r)
}

func (u *ui) authOn() bool { return u.Access != nil || u.Principal != nil }

// who finds the principal of a page request: the session cookie or the
// embedder's function. ok false: sign-in is needed.
func (u *ui) who(r *http.Request) (access.Principal, bool) {
	if !u.authOn() {
		return access.Principal{Name: "", Role: access.RoleAdmin}, true
	}
	if c, err := r.Cookie("stockroom_session"); err == nil && c.Value != "" && u.Access != nil {
		if p, err := u.Access.SessionPrincipal(r.Context(), c.Value); err == nil {
			return p, true
		}
	}
	if u.Principal != nil {
		if p, ok := u.Principal(r); ok {
			return p, true
		}
	}
	return access.Principal{}, false
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	Me      access.Principal
	AuthOn  bool
	CSRF    string
	Version string
	Data    any
}

// page wraps a page handler: sign-in check, then render its data.
func (u *ui) page(h func(r *http.Request, v *view) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := u.who(r)
		if !ok {
			http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !p.CanRead() {
			u.fail(w, r, &p, errs.E("", errs.Forbidden, "your role may not read content"))
			return
		}
		v := &view{Me: p, AuthOn: u.authOn(), CSRF: p.CSRFToken, Version: u.version}
		name, err := h(r, v)
		if err != nil {
			u.fail(w, r, &p, err)
			return
		}
		u.render(w, http.StatusOK, name, v)
	}
}

func (u *ui) login(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	if _, ok := u.who(r); ok {
		// Signed in already, or auth is off and there is no one to be.
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	u.render(w, http.StatusOK, "login.html", &view{Title: "Sign in", AuthOn: u.authOn(), Version: u.version, Data: next})
}

// fail renders an error page with the status of the error's kind.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, p *access.Principal, err error) {
	status := http.StatusInternalServerError
	switch errs.KindOf(err) {
	case errs.Invalid:
		status = http.StatusBadRequest
	case errs.NotFound:
		status = http.StatusNotFound
	case errs.Forbidden:
		status = http.StatusForbidden
	case errs.Unauthorized:
		status = http.StatusUnauthorized
	case errs.Unavailable:
		status = http.StatusServiceUnavailable
	}
	msg := errs.Message(err)
	if status == http.StatusInternalServerError {
		u.Logger.Error("web UI page failed", "path", r.URL.Path, "err", err)
		msg = "something went wrong on the server"
	}
	v := &view{Title: http.StatusText(status), AuthOn: u.authOn(), Version: u.version, Data: msg}
	if p != nil {
		v.Me = *p
	}
	u.render(w, status, "error.html", v)
}

var templates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))
})

// render executes into a buffer, so a template error is a clean 500.
func (u *ui) render(w http.ResponseWriter, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := templates().ExecuteTemplate(&buf, name, v); err != nil {
		u.Logger.Error("web UI template", "name", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"bytes": humanBytes,
	"date": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			return t.UTC().Format("2006-01-02 15:04")
		case *time.Time:
			if t != nil {
				return t.UTC().Format("2006-01-02 15:04")
			}
		}
		return ""
	},
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
