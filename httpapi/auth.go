package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/errs"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/resources"
)

// AccessConfig says who may do what. Its zero value is a server without
// auth: every request may do everything, though the guard still refuses
// cross-site writes (always) and foreign hosts (with AllowedHosts).
type AccessConfig struct {
	// AllowedHosts is the Host allow-list against DNS rebinding; see the
	// AllowedHosts function. Nil lets any Host in, for an embedder that
	// checks hosts itself; loopback names and IP addresses always pass.
	AllowedHosts []string
	// TrustedOrigins may send unsafe requests from another origin
	// ("https://ui.example.com"), as a web UI on another host would.
	TrustedOrigins []string
	// Access, when set, turns auth on: each request needs an API token
	// (Authorization: Bearer), a session cookie, or a signed link, and its
	// principal's role decides what it may do.
	Access *access.Service
	// Principal, when set, also turns auth on: it says who makes a
	// request (ok false: no one, unless Access knows them), so that an
	// application with users of its own can skip package access.
	Principal func(r *http.Request) (p access.Principal, ok bool)
	// LinkTTL is how long the links the server signs stay valid; 0 means
	// DefaultLinkTTL.
	LinkTTL time.Duration
	// SecureCookies marks session cookies Secure even on plain HTTP, for a
	// server behind a proxy that ends TLS; requests over TLS always get it.
	SecureCookies bool
}

// DefaultLinkTTL is how long a signed link lasts by default.
const DefaultLinkTTL = time.Hour

// sessionCookie holds a browser's session ID.
const sessionCookie = "stockroom_session"

func (a *api) authOn() bool { return a.auth.Access != nil || a.auth.Principal != nil }

// need is what a request needs of its principal.
type need int

const (
	needNothing  need = iota // signing in and out
	needSignedIn             // one's own account
	needRead
	needScoped // a write a user may make within its scope group (scope.go)
	needWrite
	needBulk // delete, merge, change many at once
	needAdmin
)

var needText = map[need]string{
	needRead:   "read content (needs guest, user, editor or admin)",
	needScoped: "change content (needs user with a scope group, editor or admin)",
	needWrite:  "change this (needs editor or admin; role user changes only resources, groups and notes within its scope group)",
	needBulk:   "delete, merge or change many resources at once (needs editor or admin)",
	needAdmin:  "manage users and categories (needs admin)",
}

// required is the one table of rights: what method on path needs. An
// endpoint it does not name needs read rights to read and write rights to
// change, so that new endpoints are never open by accident.
func required(method, path string) need {
	safe := method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
	switch path {
	case "/v1/auth/login", "/v1/auth/logout":
		return needNothing
	case "/v1/auth/me", "/v1/account/tokens", "/v1/account/tokens/delete":
		return needSignedIn
	case "/v1/users", "/v1/user", "/v1/user/delete", "/v1/links/rotate":
		return needAdmin
	}
	if strings.HasPrefix(path, "/v1/admin/") {
		return needAdmin
	}
	if safe {
		return needRead
	}
	if scopedWrites[path] {
		return needScoped
	}
	switch {
	case path == "/v1/category" || path == "/v1/resourceCategory" ||
		strings.HasPrefix(path, "/v1/category/") || strings.HasPrefix(path, "/v1/resourceCategory/"):
		return needAdmin
	case method == http.MethodDelete, strings.HasSuffix(path, "/delete"), strings.HasSuffix(path, "/merge"),
		strings.HasPrefix(path, "/v1/resources/"), strings.HasSuffix(path, "/cleanup"):
		return needBulk
	}
	return needWrite
}

func allows(p access.Principal, n need) bool {
	switch n {
	case needNothing:
		return true
	case needSignedIn, needRead:
		return p.CanRead()
	case needScoped:
		return p.CanWrite()
	case needWrite:
		return p.CanWriteAnywhere()
	case needBulk:
		return p.CanDelete()
	}
	return p.CanAdmin()
}

// linkable are the paths a signed link may open without credentials.
func linkable(path string) bool {
	return strings.HasPrefix(path, "/files/") || path == "/v1/resource/view" || path == "/v1/resource/preview"
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// authenticate finds the principal of each request, refuses it what its
// role may not do, and hands it on in the context (for handlers and, as
// the actor, for the audit columns of resources).
func (a *api) authenticate(next http.Handler) http.Handler {
	if !a.authOn() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := required(r.Method, r.URL.Path)
		if n == needNothing {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.principal(r)
		if err != nil {
			a.failAccess(w, r, err)
			return
		}
		if p.Session && unsafeMethod(r.Method) {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRFToken)) != 1 {
				a.fail(w, r, errs.E("", errs.Forbidden, "a request with a session cookie must send the session's X-CSRF-Token header (from GET /v1/auth/me)"))
				return
			}
		}
		if !allows(p, n) {
			if _, _, err := p.WriteScope(); err != nil && n == needScoped {
				a.fail(w, r, err) // says why: no scope group
				return
			}
			a.fail(w, r, errs.E("", errs.Forbidden, "role "+roleName(p.Role)+" may not "+needText[n]))
			return
		}
		ctx := access.NewContext(r.Context(), p)
		if unsafeMethod(r.Method) {
			ctx = resources.WithActor(ctx, p.Actor())
			a.log.LogAttrs(ctx, slog.LevelInfo, "change", slog.String("actor", p.Actor()),
				slog.String("method", r.Method), slog.String("path", r.URL.Path))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func roleName(r access.Role) string {
	if r == "" {
		return "(none)"
	}
	return string(r)
}

// linkPrincipal is whoever holds a valid signed link: it may read what
// the link names and nothing else.
var linkPrincipal = access.Principal{Name: "signed link", Role: access.RoleGuest}

// principal finds who makes r: an API token, a session cookie, the
// embedder's function, or a signed link, in that order.
func (a *api) principal(r *http.Request) (access.Principal, error) {
	ctx := r.Context()
	svc := a.auth.Access
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return access.Principal{}, unauthorized("the Authorization header must be Bearer <token>")
		}
		if svc == nil {
			return access.Principal{}, unauthorized("this server takes no API tokens")
		}
		return svc.TokenPrincipal(ctx, tok)
	}
	link := svc != nil && linkable(r.URL.Path) && !unsafeMethod(r.Method) && r.URL.Query().Has(access.LinkSigParam)
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && svc != nil {
		p, err := svc.SessionPrincipal(ctx, c.Value)
		// A browser whose session ended still opens signed links.
		if err == nil || !link {
			return p, err
		}
	}
	if a.auth.Principal != nil {
		if p, ok := a.auth.Principal(r); ok {
			return p, nil
		}
	}
	if link {
		if err := svc.VerifyLink(ctx, r.URL); err != nil {
			return access.Principal{}, err
		}
		return linkPrincipal, nil
	}
	return access.Principal{}, unauthorized("sign in (POST /v1/auth/login) or send Authorization: Bearer <token>")
}

func unauthorized(msg string) error { return &accessError{access.ErrUnauthorized, msg} }

// accessError is an access error with a message for the client.
type accessError struct {
	kind error
	msg  string
}

func (e *accessError) Error() string { return e.msg }
func (e *accessError) Unwrap() error { return e.kind }

// failAccess answers an error of authentication through fail, with the
// challenge header a 401 needs.
func (a *api) failAccess(w http.ResponseWriter, r *http.Request, err error) {
	if errs.KindOf(err) == errs.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="stockroom"`)
	}
	a.fail(w, r, err)
}

// signedURL signs target for the link's holder when auth is on. A request
// that came by signed link passes its own expiry on, so that following a
// link never lengthens it.
func (a *api) signedURL(r *http.Request, target string) (string, error) {
	svc := a.auth.Access
	if svc == nil {
		return target, nil
	}
	exp := time.Now().Add(a.linkTTL())
	if q := r.URL.Query(); q.Has(access.LinkSigParam) {
		if n, err := strconv.ParseInt(q.Get(access.LinkExpParam), 10, 64); err == nil {
			exp = time.Unix(n, 0)
		}
	}
	return svc.SignLink(r.Context(), target, exp)
}

func (a *api) linkTTL() time.Duration {
	if a.auth.LinkTTL > 0 {
		return a.auth.LinkTTL
	}
	return DefaultLinkTTL
}
