package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/httpapi"
)

// uploadWith uploads content as a file named name with header added and
// returns the new resource's ID.
func uploadWith(tb testing.TB, base string, header map[string]string, name string, content []byte) int64 {
	tb.Helper()
	body, ct := multipartBody(tb, filePart("resource", name, content))
	h := map[string]string{"Content-Type": ct}
	for k, v := range header {
		h[k] = v
	}
	r := call(tb, nil, "POST", base+"/v1/resource", h, string(body))
	if r.Status != http.StatusOK {
		tb.Fatalf("upload %s with %v: status %d: %s", name, header, r.Status, r.Body)
	}
	return r.object(tb)["ID"].(int64)
}

// TestLoginSessionTokens follows the reference CLI's login: sign in with a
// password, read the CSRF token, mint an API token with the session, then
// work with the token alone.
func TestLoginSessionTokens(t *testing.T) {
	e := newAuthEnv(t, true, httpapi.AccessConfig{})
	e.addUsers(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	r := call(t, c, "POST", e.URL+"/v1/auth/login", nil, `{"username":"editor","password":"wrong password"}`)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d: %s", r.Status, r.Body)
	}
	errorOf(t, r)
	if r := call(t, c, "POST", e.URL+"/v1/auth/login", nil, `{"username":"nobody","password":"password-editor"}`); r.Status != http.StatusUnauthorized {
		t.Fatalf("unknown user: status %d", r.Status)
	}
	r = call(t, c, "POST", e.URL+"/v1/auth/login", nil, `{"username":"editor","password":"password-editor"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("login: status %d: %s", r.Status, r.Body)
	}
	if u := r.object(t); u["username"] != "editor" || u["role"] != "editor" || u["passwordHash"] != nil {
		t.Errorf("login answered %v", u)
	}
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == "stockroom_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", cookie)
	}

	me := call(t, c, "GET", e.URL+"/v1/auth/me", nil, "").object(t)
	csrf, _ := me["csrfToken"].(string)
	if me["authEnabled"] != true || me["username"] != "editor" || me["canWrite"] != true || me["isAdmin"] != false || csrf == "" {
		t.Fatalf("/v1/auth/me = %v", me)
	}
	if u, _ := me["user"].(map[string]any); u["username"] != "editor" {
		t.Errorf("/v1/auth/me user = %v", me["user"])
	}

	// A write with the cookie alone is what a cross-site form would send.
	if r := call(t, c, "POST", e.URL+"/v1/account/tokens", nil, `{"name":"laptop"}`); r.Status != http.StatusForbidden {
		t.Fatalf("mint without X-CSRF-Token: status %d: %s", r.Status, r.Body)
	}
	if r := call(t, c, "POST", e.URL+"/v1/account/tokens", map[string]string{"X-CSRF-Token": csrf + "x"}, `{"name":"laptop"}`); r.Status != http.StatusForbidden {
		t.Fatalf("mint with a wrong X-CSRF-Token: status %d", r.Status)
	}
	r = call(t, c, "POST", e.URL+"/v1/account/tokens", map[string]string{"X-CSRF-Token": csrf}, `{"name":"laptop"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("mint: status %d: %s", r.Status, r.Body)
	}
	minted := r.object(t)
	token, _ := minted["token"].(string)
	if !strings.HasPrefix(token, "srt_") || len(token) < 40 {
		t.Fatalf("minted %v", minted)
	}

	// The token alone, with no cookie.
	me = call(t, nil, "GET", e.URL+"/v1/auth/me", bearer(token), "").object(t)
	if me["username"] != "editor" || me["tokenName"] != "laptop" || me["csrfToken"] != "" {
		t.Errorf("/v1/auth/me with the token = %v", me)
	}
	if r := call(t, nil, "POST", e.URL+"/v1/tag", bearer(token), "name=by-token"); r.Status != http.StatusOK {
		t.Errorf("write with the token: status %d: %s", r.Status, r.Body)
	}
	list := call(t, nil, "GET", e.URL+"/v1/account/tokens", bearer(token), "").array(t)
	var names []string
	for _, it := range list {
		m := it.(map[string]any)
		if m["token"] != nil || m["tokenHash"] != nil {
			t.Errorf("token list shows a secret: %v", m)
		}
		names = append(names, m["name"].(string))
	}
	if strings.Join(names, ",") != "t,laptop" {
		t.Errorf("tokens %v, want t,laptop", names)
	}
	if r := call(t, nil, "GET", e.URL+"/v1/auth/me", bearer("srt_not-a-token"), ""); r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("unknown token: status %d, WWW-Authenticate %q", r.Status, r.Header.Get("WWW-Authenticate"))
	}
	if r := call(t, nil, "GET", e.URL+"/v1/auth/me", map[string]string{"Authorization": "Basic eDp5"}, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("Basic auth: status %d", r.Status)
	}

	// Revoked, the token is refused; logged out, the cookie is.
	id := fmt.Sprint(minted["id"])
	if r := call(t, c, "POST", e.URL+"/v1/account/tokens/delete", map[string]string{"X-CSRF-Token": csrf}, "id="+id); r.Status != http.StatusOK {
		t.Fatalf("revoke: status %d: %s", r.Status, r.Body)
	}
	if r := call(t, nil, "GET", e.URL+"/v1/tags", bearer(token), ""); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: status %d", r.Status)
	}
	if r := call(t, c, "POST", e.URL+"/v1/auth/logout", nil, ""); r.Status != http.StatusOK {
		t.Fatalf("logout: status %d", r.Status)
	}
	stale := &http.Cookie{Name: "stockroom_session", Value: cookie.Value}
	req, _ := http.NewRequest("GET", e.URL+"/v1/tags", nil)
	req.AddCookie(stale)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("session after logout: status %d", resp.StatusCode)
	}

	// The same login from a form.
	r = call(t, nil, "POST", e.URL+"/v1/auth/login", nil, "username=guest&password=password-guest")
	if r.Status != http.StatusOK {
		t.Errorf("form login: status %d: %s", r.Status, r.Body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newAuthEnv(t, true, httpapi.AccessConfig{})
	e.addUsers(t)
	for i := range access.DefaultMaxFailures {
		r := call(t, nil, "POST", e.URL+"/v1/auth/login", nil, `{"username":"admin","password":"guess-`+fmt.Sprint(i)+`"}`)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i, r.Status)
		}
	}
	// Now even the right password waits, for that user and from that
	// address.
	r := call(t, nil, "POST", e.URL+"/v1/auth/login", nil, `{"username":"admin","password":"password-admin"}`)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: status %d: %s", access.DefaultMaxFailures, r.Status, r.Body)
	}
	errorOf(t, r)
	if r := call(t, nil, "POST", e.URL+"/v1/auth/login", nil, `{"username":"guest","password":"password-guest"}`); r.Status != http.StatusTooManyRequests {
		t.Errorf("another user from the same address: status %d", r.Status)
	}
	// Tokens are not passwords: they still work.
	if r := call(t, nil, "GET", e.URL+"/v1/tags", bearer(e.tokens["admin"]), ""); r.Status != http.StatusOK {
		t.Errorf("token during the lockout: status %d", r.Status)
	}
}

func TestSignedLinks(t *testing.T) {
	e := newAuthEnv(t, true, httpapi.AccessConfig{})
	e.addUsers(t)
	ctx := context.Background()
	res := mustCreate(t, e.Lib, ctx, []byte("shared for an hour"), "shared.txt")
	file := "/files/" + res.Hash.String()[:2] + "/" + res.Hash.String()[2:4] + "/" + res.Hash.String()
	svc := e.Lib.Access
	get := func(path string) *response { return call(t, nil, "GET", e.URL+path, nil, "") }

	if r := get(file); r.Status != http.StatusUnauthorized {
		t.Fatalf("unsigned: status %d", r.Status)
	}
	link, err := svc.SignLink(ctx, file, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r := get(link); r.Status != http.StatusOK || string(r.Body) != "shared for an hour" {
		t.Fatalf("signed link: status %d: %s", r.Status, r.Body)
	}
	if r := call(t, nil, "GET", e.URL+link, map[string]string{"Cookie": "stockroom_session=ended"}, ""); r.Status != http.StatusOK {
		t.Errorf("signed link with an ended session's cookie: status %d", r.Status)
	}
	if r := call(t, nil, "GET", e.URL+file, map[string]string{"Cookie": "stockroom_session=ended"}, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("ended session without a link: status %d", r.Status)
	}
	// The link opens what it names and nothing else.
	u, _ := url.Parse(link)
	q := u.Query()
	for name, path := range map[string]string{
		"other path":     "/v1/resources?" + q.Encode(),
		"tampered sig":   file + "?exp=" + q.Get("exp") + "&sig=" + flipFirst(q.Get("sig")),
		"longer expiry":  file + "?exp=" + fmt.Sprint(time.Now().Add(48*time.Hour).Unix()) + "&sig=" + q.Get("sig"),
		"added param":    link + "&download=1",
		"no expiry":      file + "?sig=" + q.Get("sig"),
		"other resource": strings.Replace(link, res.Hash.String()[:8], "00000000", 1),
	} {
		r := get(path)
		want := http.StatusForbidden
		if name == "other path" {
			want = http.StatusUnauthorized // /v1/resources takes no links
		}
		if r.Status != want {
			t.Errorf("%s: status %d, want %d: %s", name, r.Status, want, r.Body)
		}
	}
	if r := call(t, nil, "POST", e.URL+link, nil, ""); r.Status == http.StatusOK {
		t.Errorf("POST with a signed link: status %d", r.Status)
	}
	expired, err := svc.SignLink(ctx, file, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if r := get(expired); r.Status != http.StatusForbidden {
		t.Errorf("expired: status %d", r.Status)
	}

	// /v1/resource/view signs its redirect, with the same expiry.
	view, err := svc.SignLink(ctx, fmt.Sprintf("/v1/resource/view?id=%d", res.ID), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r := get(view)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusFound || !strings.HasPrefix(loc, file) {
		t.Fatalf("view: status %d Location %q", r.Status, loc)
	}
	lu, _ := url.Parse(loc)
	vu, _ := url.Parse(view)
	if lu.Query().Get("exp") != vu.Query().Get("exp") {
		t.Errorf("redirect expiry %s, want the link's %s", lu.Query().Get("exp"), vu.Query().Get("exp"))
	}
	if r := get(loc); r.Status != http.StatusOK {
		t.Errorf("following the view link: status %d", r.Status)
	}
	// A signed-in reader gets a signed redirect too, and may sign links.
	r = call(t, nil, "GET", e.URL+fmt.Sprintf("/v1/resource/view?id=%d", res.ID), bearer(e.tokens["guest"]), "")
	if r := get(r.Header.Get("Location")); r.Status != http.StatusOK {
		t.Errorf("redirect of a signed-in view: status %d", r.Status)
	}
	signed := call(t, nil, "GET", e.URL+"/v1/links/sign?ttl=1h&path="+url.QueryEscape(file), bearer(e.tokens["guest"]), "").object(t)
	shared, _ := signed["url"].(string)
	if r := get(shared); r.Status != http.StatusOK {
		t.Errorf("link from /v1/links/sign (%v): status %d", signed, r.Status)
	}
	if r := call(t, nil, "GET", e.URL+"/v1/links/sign?path=/v1/users", bearer(e.tokens["guest"]), ""); r.Status != http.StatusBadRequest {
		t.Errorf("signing /v1/users: status %d", r.Status)
	}

	// After rotation every old link is refused.
	if r := call(t, nil, "POST", e.URL+"/v1/links/rotate", bearer(e.tokens["admin"]), ""); r.Status != http.StatusOK {
		t.Fatalf("rotate: status %d: %s", r.Status, r.Body)
	}
	for _, old := range []string{link, view, loc, shared} {
		if r := get(old); r.Status != http.StatusForbidden {
			t.Errorf("%s after rotation: status %d", old, r.Status)
		}
	}
	fresh, err := svc.SignLink(ctx, file, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r := get(fresh); r.Status != http.StatusOK {
		t.Errorf("new link after rotation: status %d", r.Status)
	}
}

func TestAuditAndActiveContent(t *testing.T) {
	e := newAuthEnv(t, true, httpapi.AccessConfig{})
	e.addUsers(t)
	id := uploadWith(t, e.URL, bearer(e.tokens["user"]), "page.html", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"))
	if r := call(t, nil, "POST", e.URL+"/v1/resource/editName", bearer(e.tokens["editor"]), fmt.Sprintf("id=%d&name=renamed", id)); r.Status != http.StatusOK {
		t.Fatalf("edit: status %d: %s", r.Status, r.Body)
	}
	got := call(t, nil, "GET", e.URL+fmt.Sprintf("/v1/resource?id=%d", id), bearer(e.tokens["guest"]), "").object(t)
	if got["CreatedBy"] != "user (token t)" || got["UpdatedBy"] != "editor (token t)" {
		t.Errorf("CreatedBy %q, UpdatedBy %q", got["CreatedBy"], got["UpdatedBy"])
	}
	// A bulk change and a new version name their makers too.
	if r := call(t, nil, "POST", e.URL+"/v1/resources/addMeta", bearer(e.tokens["admin"]), fmt.Sprintf(`{"ID":[%d],"Meta":{"k":"v"}}`, id)); r.Status != http.StatusOK {
		t.Fatalf("addMeta: status %d: %s", r.Status, r.Body)
	}
	if got := call(t, nil, "GET", e.URL+fmt.Sprintf("/v1/resource?id=%d", id), bearer(e.tokens["guest"]), "").object(t); got["UpdatedBy"] != "admin (token t)" {
		t.Errorf("after addMeta UpdatedBy %q", got["UpdatedBy"])
	}
	body, ct := multipartBody(t, fieldPart("resourceId", fmt.Sprint(id)), filePart("file", "v2.html", []byte("<!DOCTYPE html><html><body>v2</body></html>")))
	if r := call(t, nil, "POST", e.URL+"/v1/resource/versions", map[string]string{"Authorization": "Bearer " + e.tokens["user"], "Content-Type": ct}, string(body)); r.Status != http.StatusOK {
		t.Fatalf("new version: status %d: %s", r.Status, r.Body)
	}
	got = call(t, nil, "GET", e.URL+fmt.Sprintf("/v1/resource?id=%d", id), bearer(e.tokens["guest"]), "").object(t)
	if got["UpdatedBy"] != "user (token t)" || got["CreatedBy"] != "user (token t)" {
		t.Errorf("after a new version CreatedBy %q, UpdatedBy %q", got["CreatedBy"], got["UpdatedBy"])
	}
	if !strings.Contains(e.logs.String(), `actor="editor (token t)"`) {
		t.Errorf("the log does not name who changed what:\n%s", e.logs.String())
	}
	hash := got["Hash"].(string)
	r := call(t, nil, "GET", e.URL+"/files/"+hash[:2]+"/"+hash[2:4]+"/"+hash, bearer(e.tokens["guest"]), "")
	if r.Status != http.StatusOK || r.Header.Get("Content-Disposition") != "attachment" || r.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Errorf("HTML served with status %d, Content-Type %q, Content-Disposition %q, CSP %q", r.Status,
			r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"), r.Header.Get("Content-Security-Policy"))
	}
}

// An embedder with users of its own passes its principal; package access
// is not involved.
func TestEmbedderPrincipal(t *testing.T) {
	e := newAuthEnv(t, false, httpapi.AccessConfig{Principal: func(r *http.Request) (access.Principal, bool) {
		switch r.Header.Get("X-App-User") {
		case "ann":
			return access.Principal{Name: "ann", Role: access.RoleEditor}, true
		case "vis":
			return access.Principal{Name: "vis", Role: access.RoleGuest}, true
		}
		return access.Principal{}, false
	}})
	if r := call(t, nil, "GET", e.URL+"/v1/tags", nil, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("no principal: status %d", r.Status)
	}
	if r := call(t, nil, "POST", e.URL+"/v1/tag?name=x", map[string]string{"X-App-User": "vis"}, ""); r.Status != http.StatusForbidden {
		t.Errorf("guest write: status %d", r.Status)
	}
	id := uploadWith(t, e.URL, map[string]string{"X-App-User": "ann"}, "a.txt", []byte("from the app"))
	me := call(t, nil, "GET", e.URL+"/v1/auth/me", map[string]string{"X-App-User": "ann"}, "").object(t)
	if me["username"] != "ann" || me["authEnabled"] != true || me["user"] != nil {
		t.Errorf("/v1/auth/me = %v", me)
	}
	if res, err := e.Lib.Store.Get(context.Background(), id); err != nil || res.CreatedBy != "ann" || res.UpdatedBy != "ann" {
		t.Errorf("resource %+v, %v: want one created by ann", res, err)
	}
	if r := call(t, nil, "POST", e.URL+"/v1/auth/login", nil, "username=a&password=b"); r.Status != http.StatusBadRequest {
		t.Errorf("login without package access: status %d", r.Status)
	}
}

// Without auth, /v1/auth/me says so, and every caller acts as admin.
func TestAuthOff(t *testing.T) {
	e := newAuthEnv(t, false, httpapi.AccessConfig{})
	me := call(t, nil, "GET", e.URL+"/v1/auth/me", nil, "").object(t)
	if me["authEnabled"] != false || me["isAdmin"] != true || me["superUser"] != true || me["csrfToken"] != "" {
		t.Errorf("/v1/auth/me = %v", me)
	}
	if r := call(t, nil, "POST", e.URL+"/v1/category?name=c", nil, ""); r.Status != http.StatusOK {
		t.Errorf("write without auth: status %d", r.Status)
	}
	if r := call(t, nil, "GET", e.URL+"/v1/users", nil, ""); r.Status != http.StatusBadRequest {
		t.Errorf("/v1/users without auth: status %d", r.Status)
	}
}

// flipFirst changes the first character of s.
func flipFirst(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}
