package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/resources"
)

// cheapPasswords keeps argon2id fast in tests; stored hashes carry their
// own costs, so nothing else changes.
var cheapPasswords = access.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// authEnv is the handler over a real library with auth configured by ac
// (its Access filled in from the library when on is true).
type authEnv struct {
	URL  string
	Lib  *stockroom.Library
	srv  *httptest.Server
	logs *syncBuffer
	// tokens of one user per role, by role name.
	tokens map[string]string
	// scope is the group the user of role user is scoped to.
	scope int64
}

func newAuthEnv(tb testing.TB, on bool, ac httpapi.AccessConfig) *authEnv {
	tb.Helper()
	dir := tb.TempDir()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	lib, err := stockroom.Open(context.Background(), stockroom.Options{
		DataDir: dir, DBPath: filepath.Join(dir, "test.db"), Fs: afero.NewMemMapFs(),
		Logger: logger, Password: cheapPasswords, DisableMediaWorker: true,
		PostgresDSN: dbtest.LibraryDSN(tb),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if on {
		ac.Access = lib.Access
	}
	h := httpapi.NewHandler(httpapi.Config{Store: lib.Store, Versions: lib.Versions, Query: lib.Query,
		Logger: logger, Media: lib.Media, Previews: lib.Previews, AccessConfig: ac})
	srv := httptest.NewServer(h)
	e := &authEnv{URL: srv.URL, Lib: lib, srv: srv, logs: logs, tokens: map[string]string{}}
	tb.Cleanup(func() {
		srv.Close()
		if err := lib.Close(); err != nil {
			tb.Error(err)
		}
		if tb.Failed() {
			tb.Logf("log:\n%s", logs.String())
		}
	})
	return e
}

// addUsers makes one user per role, named after it, each with a token;
// the user of role user is scoped to a new group, e.scope.
func (e *authEnv) addUsers(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	name := "users' group"
	g, err := e.Lib.Store.SaveGroup(ctx, resources.GroupInput{Name: &name})
	if err != nil {
		tb.Fatal(err)
	}
	e.scope = g.ID
	for _, role := range []access.Role{access.RoleAdmin, access.RoleEditor, access.RoleUser, access.RoleGuest} {
		in := access.UserInput{Username: string(role), Password: "password-" + string(role), Role: role}
		if role == access.RoleUser {
			in.ScopeGroupID = &e.scope
		}
		u, err := e.Lib.Access.CreateUser(ctx, in)
		if err != nil {
			tb.Fatal(err)
		}
		secret, _, err := e.Lib.Access.CreateToken(ctx, u.ID, "t", nil)
		if err != nil {
			tb.Fatal(err)
		}
		e.tokens[string(role)] = secret
	}
}

// call makes one request; header holds extra headers ("Host" sets the
// Host). body, when a string, is sent as a form unless it starts with "{".
func call(tb testing.TB, c *http.Client, method, u string, header map[string]string, body string) *response {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func bearer(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// errorOf returns the "error" of a JSON error body, failing when there is
// none.
func errorOf(tb testing.TB, r *response) string {
	tb.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error == "" {
		tb.Fatalf("status %d: want a JSON error, got %q", r.Status, r.Body)
	}
	return body.Error
}

func mustCreate(tb testing.TB, lib *stockroom.Library, ctx context.Context, content []byte, name string) *resources.Resource {
	tb.Helper()
	res, err := lib.Store.Create(ctx, bytes.NewReader(content), resources.CreateInput{Name: name, OriginalName: name})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func TestGuardForeignHost(t *testing.T) {
	hosts, err := httpapi.AllowedHosts("127.0.0.1:8181", "https://assets.example.com", "other.example")
	if err != nil {
		t.Fatal(err)
	}
	e := newAuthEnv(t, false, httpapi.AccessConfig{AllowedHosts: hosts})
	port := e.srv.Listener.Addr().(interface{ String() string }).String()
	_, port, _ = strings.Cut(port, ":")
	for _, tt := range []struct {
		host string
		want int
	}{
		{"attacker.example", http.StatusForbidden},
		{"attacker.example:" + port, http.StatusForbidden},
		{"localhost.attacker.example", http.StatusForbidden},
		{"localhost:" + port, http.StatusOK},
		{"127.0.0.1:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"192.168.1.20:" + port, http.StatusOK}, // an address is never a rebound name
		{"assets.example.com", http.StatusOK},
		{"ASSETS.example.com.", http.StatusOK},
		{"other.example:" + port, http.StatusOK},
	} {
		r := call(t, nil, "GET", e.URL+"/v1/tags", map[string]string{"Host": tt.host}, "")
		if r.Status != tt.want {
			t.Errorf("Host %q: status %d, want %d: %s", tt.host, r.Status, tt.want, r.Body)
		}
		if tt.want == http.StatusForbidden {
			if msg := errorOf(t, r); !strings.Contains(msg, "host") {
				t.Errorf("Host %q: error %q does not say why", tt.host, msg)
			}
		}
	}
	// A foreign Host changes nothing either.
	r := call(t, nil, "POST", e.URL+"/v1/tag?name=rebound", map[string]string{"Host": "attacker.example"}, "")
	if r.Status != http.StatusForbidden {
		t.Fatalf("POST with a foreign Host: status %d", r.Status)
	}
	if list, err := e.Lib.Store.ListTags(context.Background(), resources.ListOptions{}); err != nil || list.Total != 0 {
		t.Errorf("tags after the refused POST: %+v, %v", list, err)
	}
}

func TestGuardCrossOrigin(t *testing.T) {
	for _, authOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", authOn), func(t *testing.T) {
			e := newAuthEnv(t, authOn, httpapi.AccessConfig{AllowedHosts: []string{"localhost"}})
			ctx := context.Background()
			res := mustCreate(t, e.Lib, ctx, []byte("keep me"), "keep.txt")
			var cred map[string]string
			if authOn {
				e.addUsers(t)
				cred = bearer(e.tokens["admin"])
			}
			with := func(h map[string]string) map[string]string {
				m := map[string]string{}
				for k, v := range cred {
					m[k] = v
				}
				for k, v := range h {
					m[k] = v
				}
				return m
			}
			u := e.URL + fmt.Sprintf("/v1/resources/delete?ID=%d", res.ID)
			for _, h := range []map[string]string{
				{"Sec-Fetch-Site": "cross-site"},
				{"Sec-Fetch-Site": "same-site"},
				{"Origin": "http://evil.example"},
				{"Origin": "null"},
			} {
				// What an HTML form on another site sends.
				r := call(t, nil, "POST", u, with(h), "x=1")
				if r.Status != http.StatusForbidden {
					t.Errorf("cross-site POST %v: status %d, want 403: %s", h, r.Status, r.Body)
					continue
				}
				if msg := errorOf(t, r); !strings.Contains(msg, "cross-origin") {
					t.Errorf("cross-site POST %v: error %q", h, msg)
				}
			}
			if _, err := e.Lib.Store.Get(ctx, res.ID); err != nil {
				t.Fatalf("the resource is gone after refused cross-site POSTs: %v", err)
			}
			// A cross-site GET is a link, and reads.
			if r := call(t, nil, "GET", e.URL+fmt.Sprintf("/v1/resource?id=%d", res.ID), with(map[string]string{"Sec-Fetch-Site": "cross-site"}), ""); r.Status != http.StatusOK {
				t.Errorf("cross-site GET: status %d", r.Status)
			}
			// Same origin, and scripts that send neither header, write.
			r := call(t, nil, "POST", e.URL+"/v1/tag?name=same", with(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.URL}), "")
			if r.Status != http.StatusOK {
				t.Errorf("same-origin POST: status %d: %s", r.Status, r.Body)
			}
			r = call(t, nil, "POST", e.URL+"/v1/tag?name=curl", with(nil), "")
			if r.Status != http.StatusOK {
				t.Errorf("POST without Origin: status %d: %s", r.Status, r.Body)
			}
			r = call(t, nil, "POST", u, with(nil), "")
			if r.Status != http.StatusOK {
				t.Errorf("delete without Origin: status %d: %s", r.Status, r.Body)
			}
		})
	}
}

// ok is any status but 401 and 403: the request got past authorization
// (and may still fail for its own reasons, such as a missing ID).
const ok = -1

func TestRoles(t *testing.T) {
	e := newAuthEnv(t, true, httpapi.AccessConfig{})
	e.addUsers(t)
	ctx := context.Background()
	res := mustCreate(t, e.Lib, ctx, []byte("a resource for the table"), "r.txt")
	// Within the user's scope, so that the rows below show the role's
	// rights; TestScopedUser has the rows outside it.
	if _, err := e.Lib.Store.Edit(ctx, resources.EditInput{ID: res.ID, OwnerID: &e.scope}); err != nil {
		t.Fatal(err)
	}
	file := "/files/" + res.Hash.String()[:2] + "/" + res.Hash.String()[2:4] + "/" + res.Hash.String()
	roles := []string{"", "guest", "user", "editor", "admin"}
	type row struct {
		method, path, body string
		want               [5]int // none, guest, user, editor, admin
	}
	read := [5]int{401, 200, 200, 200, 200}
	write := [5]int{401, 403, ok, ok, ok}     // user: within its scope group
	anywhere := [5]int{401, 403, 403, ok, ok} // what belongs to no group
	bulk := [5]int{401, 403, 403, ok, ok}
	admin := [5]int{401, 403, 403, 403, ok}
	self := [5]int{401, 200, 200, 200, 200}
	rid := fmt.Sprint(res.ID)
	rows := []row{
		{"GET", "/v1/resources", "", read},
		{"GET", "/v1/resource?id=" + rid, "", read},
		{"HEAD", "/v1/resource?id=" + rid, "", read},
		{"GET", "/v1/resource/view?id=" + rid, "", [5]int{401, 302, 302, 302, 302}},
		{"GET", file, "", read},
		{"GET", "/v1/resources/meta/keys", "", read},
		{"GET", "/v1/tags", "", read},
		{"GET", "/v1/groups", "", read},
		{"GET", "/v1/notes", "", read},
		{"GET", "/v1/categories", "", read},
		{"GET", "/v1/resourceCategories", "", read},
		{"GET", "/v1/seriesList", "", read},
		{"GET", "/v1/resource/versions?resourceId=" + rid, "", read},
		{"GET", "/v1/resource/similar?id=" + rid, "", [5]int{401, ok, ok, ok, ok}},
		{"GET", "/v1/jobs/queue", "", [5]int{401, ok, ok, ok, ok}},
		{"POST", "/v1/tag", "name=t-%s", anywhere},
		{"POST", "/v1/group", "name=g-%s", write},
		{"POST", "/v1/note", "name=n-%s", write},
		{"POST", "/v1/series", "name=s-%s", anywhere},
		{"POST", "/v1/resource", "", write},
		{"POST", "/v1/resource/edit", "id=" + rid + "&description=by-%s", write},
		{"POST", "/v1/resource/editName", "id=" + rid + "&name=n-%s", write},
		{"POST", "/v1/resource/versions", "resourceId=" + rid, write},
		{"POST", "/v1/resource/remote", "URL=", anywhere},
		{"POST", "/v1/download/submit", "URL=", anywhere},
		{"POST", "/v1/jobs/cancel", "id=999", anywhere},
		{"POST", "/v1/resource/delete", "id=999999", bulk},
		{"POST", "/v1/tag/delete", "id=999999", bulk},
		{"POST", "/v1/group/delete", "id=999999", bulk},
		{"POST", "/v1/resources/addTags", "ID=999999&EditedId=1", write},
		{"POST", "/v1/resources/addGroups", "ID=999999&EditedId=1", bulk},
		{"POST", "/v1/resources/merge", "winner=999999&losers=999998", bulk},
		{"POST", "/v1/resources/rotate", "ID=999999&degrees=90", bulk},
		{"DELETE", "/v1/resource/version?id=999999", "", bulk},
		{"POST", "/v1/resource/version/delete", "id=999999", bulk},
		{"POST", "/v1/resources/versions/cleanup", "", bulk},
		{"POST", "/v1/category", "name=c-%s", admin},
		{"POST", "/v1/category/delete", "id=999999", admin},
		{"POST", "/v1/resourceCategory", "name=rc-%s", admin},
		{"GET", "/v1/users", "", admin},
		{"GET", "/v1/user?id=1", "", admin},
		{"POST", "/v1/users", "username=new-%s&password=long-enough-1&role=guest", admin},
		{"POST", "/v1/user", "id=999999&role=guest", admin},
		{"POST", "/v1/user/delete", "id=999999", admin},
		{"POST", "/v1/links/rotate", "", admin},
		{"GET", "/v1/links/sign?path=" + url.QueryEscape(file), "", read},
		{"GET", "/v1/auth/me", "", self},
		{"GET", "/v1/account/tokens", "", self},
		{"POST", "/v1/account/tokens", "name=x-%s", self},
		{"POST", "/v1/account/tokens/delete", "id=999999", [5]int{401, 404, 404, 404, 404}},
		{"GET", "/v1/no-such-endpoint", "", [5]int{401, 404, 404, 404, 404}},
	}
	for _, tt := range rows {
		for i, role := range roles {
			body := tt.body
			if strings.Contains(body, "%s") {
				body = fmt.Sprintf(body, role)
			}
			r := call(t, nil, tt.method, e.URL+tt.path, bearer(e.tokens[role]), body)
			want := tt.want[i]
			name := role
			if name == "" {
				name = "(none)"
			}
			switch {
			case want == ok && (r.Status == 401 || r.Status == 403):
				t.Errorf("%s %s as %s: status %d, want past authorization: %s", tt.method, tt.path, name, r.Status, r.Body)
			case want != ok && r.Status != want:
				t.Errorf("%s %s as %s: status %d, want %d: %s", tt.method, tt.path, name, r.Status, want, r.Body)
			case (r.Status == 401 || r.Status == 403) && tt.method != "HEAD":
				msg := errorOf(t, r)
				if r.Status == 403 && !strings.Contains(msg, "role "+role) {
					t.Errorf("%s %s as %s: 403 %q does not name the role", tt.method, tt.path, name, msg)
				}
			}
		}
	}
}
