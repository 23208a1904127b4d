package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/access"
)

// Sign-in, one's own API tokens, user management and signed links, with
// the endpoints and JSON of the reference application, whose CLI logs in
// with them.
func (a *api) routeAccess(r *router) {
	r.handle("POST", "/v1/auth/login", a.login)
	r.handle("GET", "/v1/auth/me", a.me)
	r.handle("POST", "/v1/auth/logout", a.logout)
	r.handle("GET", "/v1/account/tokens", a.withAccount(a.listTokens))
	r.handle("POST", "/v1/account/tokens", a.withAccount(a.createToken))
	r.handle("POST", "/v1/account/tokens/delete", a.withAccount(a.deleteToken))
	r.handle("GET", "/v1/users", a.withAccess(a.listUsers))
	r.handle("POST", "/v1/users", a.withAccess(a.saveUser))
	r.handle("GET", "/v1/user", a.withAccess(a.getUser))
	r.handle("POST", "/v1/user", a.withAccess(a.saveUser))
	r.handle("POST", "/v1/user/delete", a.withAccess(a.deleteUser))
	r.handle("GET", "/v1/links/sign", a.withAccess(a.signLink))
	r.handle("POST", "/v1/links/rotate", a.withAccess(a.rotateLinks))
}

// withAccess answers 400 when the server keeps no accounts.
func (a *api) withAccess(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.auth.Access == nil {
			writeError(w, http.StatusBadRequest, "this server keeps no accounts: auth is off (start it with -auth)")
			return
		}
		h(w, r)
	}
}

// withAccount also needs the caller to be one of those accounts.
func (a *api) withAccount(h func(http.ResponseWriter, *http.Request, access.Principal)) http.HandlerFunc {
	return a.withAccess(func(w http.ResponseWriter, r *http.Request) {
		p, ok := access.FromContext(r.Context())
		if !ok || p.UserID == 0 {
			writeError(w, http.StatusBadRequest, "this caller has no account here")
			return
		}
		h(w, r, p)
	})
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	if a.auth.Access == nil {
		writeError(w, http.StatusBadRequest, "auth is off on this server: no sign-in needed")
		return
	}
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	username, password := d.str("username"), d.str("password")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if username == "" || password == "" {
		writeError(w, http.StatusBadRequest, "username and password are required")
		return
	}
	sess, err := a.auth.Access.Login(r.Context(), username, password, r.RemoteAddr)
	if err != nil {
		a.log.Warn("failed sign-in", "username", username, "remote", r.RemoteAddr, "err", err)
		a.failAccess(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    sess.ID,
		Path:     "/",
		Expires:  sess.ExpiresAt,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   r.TLS != nil || a.auth.SecureCookies,
	})
	a.log.Info("signed in", "username", username, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, sess.User)
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && a.auth.Access != nil {
		if err := a.auth.Access.Logout(r.Context(), c.Value); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || a.auth.SecureCookies})
	writeJSON(w, http.StatusOK, okBody{OK: true})
}

// meBody is GET /v1/auth/me: who the caller is and what they may do.
type meBody struct {
	AuthEnabled  bool         `json:"authEnabled"`
	User         *access.User `json:"user"`
	Username     string       `json:"username"`
	Role         string       `json:"role"`
	IsAdmin      bool         `json:"isAdmin"`
	CanWrite     bool         `json:"canWrite"`
	CanDelete    bool         `json:"canDelete"`
	SuperUser    bool         `json:"superUser"`
	ScopeGroupID *int64       `json:"scopeGroupId"`
	TokenName    string       `json:"tokenName,omitempty"`
	CSRFToken    string       `json:"csrfToken"`
}

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	p, ok := access.FromContext(r.Context())
	if !a.authOn() || !ok {
		// Without auth everyone may do everything, as the root admin.
		writeJSON(w, http.StatusOK, meBody{Role: string(access.RoleAdmin), IsAdmin: true, CanWrite: true, CanDelete: true, SuperUser: true})
		return
	}
	body := meBody{AuthEnabled: true, Username: p.Name, Role: string(p.Role), IsAdmin: p.CanAdmin(),
		CanWrite: p.CanWrite(), CanDelete: p.CanDelete(), ScopeGroupID: p.ScopeGroupID, TokenName: p.TokenName, CSRFToken: p.CSRFToken}
	if p.UserID != 0 && a.auth.Access != nil {
		u, err := a.auth.Access.GetUser(r.Context(), p.UserID)
		if err != nil {
			a.failAccess(w, r, err)
			return
		}
		body.User = u
	}
	writeJSON(w, http.StatusOK, body)
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request, p access.Principal) {
	tokens, err := a.auth.Access.ListTokens(r.Context(), p.UserID)
	if err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokens)
}

// newTokenBody is the one answer that shows a token's secret.
type newTokenBody struct {
	Token     string     `json:"token"`
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

func (a *api) createToken(w http.ResponseWriter, r *http.Request, p access.Principal) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	name, expires := d.str("name"), d.optTime("expiresAt")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	secret, t, err := a.auth.Access.CreateToken(r.Context(), p.UserID, name, expires)
	if err != nil {
		a.failAccess(w, r, err)
		return
	}
	a.log.Info("API token created", "username", p.Name, "token", t.Name)
	writeJSON(w, http.StatusOK, newTokenBody{Token: secret, ID: t.ID, Name: t.Name, ExpiresAt: t.ExpiresAt})
}

func (a *api) deleteToken(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, ok := a.decodeID(w, r, "id")
	if !ok {
		return
	}
	if err := a.auth.Access.RevokeToken(r.Context(), p.UserID, id); err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okBody{OK: true, ID: id})
}

func (a *api) listUsers(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	offset, limit := d.int("offset"), d.int("limit")
	if d.err == nil && (offset < 0 || limit < 0) {
		writeError(w, http.StatusBadRequest, "offset and limit must not be negative")
		return
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	users, err := a.auth.Access.ListUsers(r.Context(), offset, limit)
	if err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, users)
}

func (a *api) getUser(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, "id")
	if !ok {
		return
	}
	u, err := a.auth.Access.GetUser(r.Context(), id)
	if err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// saveUser creates a user, or with an id changes one.
func (a *api) saveUser(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := d.int64("id")
	in := access.UserInput{
		Username:     d.str("username"),
		DisplayName:  d.str("displayName"),
		Password:     d.str("password"),
		Role:         access.Role(d.str("role")),
		ScopeGroupID: d.optInt64("scopeGroupId"),
		SetDisabled:  d.has("disabled"),
		Disabled:     d.bool("disabled"),
	}
	if d.err == nil && id < 0 {
		writeError(w, http.StatusBadRequest, "id must be a positive integer")
		return
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	var u *access.User
	if id > 0 {
		u, err = a.auth.Access.UpdateUser(r.Context(), id, in)
	} else {
		u, err = a.auth.Access.CreateUser(r.Context(), in)
	}
	if err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (a *api) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, ok := a.decodeID(w, r, "id")
	if !ok {
		return
	}
	if err := a.auth.Access.DeleteUser(r.Context(), id); err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okBody{OK: true, ID: id})
}

// signLink answers {"url"} for a path a signed link may open
// (/files/..., /v1/resource/view?id=N, /v1/resource/preview?id=N), valid
// for ttl (a duration such as 1h; default the server's LinkTTL, at most a
// year). Anyone who may read may share what they read.
func (a *api) signLink(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	target, ttlText := d.str("path"), d.str("ttl")
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	path, _, _ := strings.Cut(target, "?")
	if !linkable(path) {
		writeError(w, http.StatusBadRequest, "path must be under /files/, or /v1/resource/view or /v1/resource/preview with its query")
		return
	}
	ttl := a.linkTTL()
	if ttlText != "" {
		ttl, err = time.ParseDuration(ttlText)
		if err != nil || ttl <= 0 || ttl > 366*24*time.Hour {
			writeError(w, http.StatusBadRequest, "ttl must be a positive duration of at most a year, such as 1h")
			return
		}
	}
	url, err := a.auth.Access.SignLink(r.Context(), target, time.Now().Add(ttl))
	if err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": url})
}

func (a *api) rotateLinks(w http.ResponseWriter, r *http.Request) {
	if err := a.auth.Access.RotateLinkSecret(r.Context()); err != nil {
		a.failAccess(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, okBody{OK: true})
}
