package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/resources"
)

// TestPages renders every page without auth and checks what each shows,
// the CSP, and that "/" is no longer the API's JSON 404.
func TestPages(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	red := e.create(t, pngOf(t, 40, 30, color.RGBA{200, 0, 0, 255}), "red.png")
	e.create(t, []byte("plain words"), "notes.txt")
	if _, err := e.Lib.Store.Create(ctx, bytes.NewReader([]byte("a day out")), resources.CreateInput{Name: "trip.txt", Description: "picnic by the lake"}); err != nil {
		t.Fatal(err)
	}
	tag, err := e.Lib.Store.SaveTag(ctx, resources.TagInput{Name: ptr("sunset")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Lib.Store.AddTags(ctx, []int64{red.ID}, []int64{tag.ID}); err != nil {
		t.Fatal(err)
	}
	c := http.DefaultClient
	for _, tt := range []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/", 200, []string{"red.png", "notes.txt", "3 resources", `srcset="/v1/resource/preview?id=`}, nil},
		{"/?tags=sunset", 200, []string{"red.png", "1 resource"}, []string{"notes.txt"}},
		{"/?tags=nope", 200, []string{"No tag is named “nope”."}, []string{"red.png"}},
		{"/?groups=nobody", 200, []string{"No group is named “nobody”."}, []string{"red.png"}},
		{"/?q=notes", 200, []string{"notes.txt"}, []string{"red.png"}},
		{"/?q=LAKE", 200, []string{"0 resources"}, []string{"trip.txt"}},
		{"/?q=LAKE&in=description", 200, []string{"trip.txt", "1 resource", `value="description" selected`}, []string{"notes.txt", "red.png"}},
		{"/?q=notes&in=description", 200, []string{"0 resources"}, []string{"notes.txt"}},
		{"/?q=x&in=tags", 400, []string{"search in name or description"}, nil},
		{"/?minw=41", 200, []string{"0 resources"}, []string{"red.png"}},
		{"/?sort=name+asc", 200, []string{"red.png", "notes.txt"}, nil},
		{"/?from=bad", 400, []string{"want a date"}, nil},
		{"/?after=garbage", 400, []string{"cursor"}, nil},
		{fmt.Sprintf("/ui/resource/%d", red.ID), 200, []string{"red.png", "40×30", "sunset", "Versions", "(current)", `id="newer"`}, []string{`id="older"`}},
		{"/ui/resource/999", 404, []string{"999"}, nil},
		{"/ui/resource/x", 400, []string{"positive"}, nil},
		{"/ui/tags", 200, []string{"sunset", `href="/?tags=sunset">1</a>`}, nil},
		{"/ui/groups", 200, []string{"Groups"}, nil},
		{"/ui/categories", 200, []string{"Categories"}, nil},
		{"/ui/series", 200, []string{"Series"}, nil},
		{"/ui/notes", 200, []string{"Notes"}, nil},
		{"/ui/users", 404, []string{"auth is off"}, nil},
		{"/nowhere", 404, []string{"no such page"}, nil},
	} {
		status, h, body := get(t, c, e.URL+tt.path)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d\n%s", tt.path, status, tt.status, body)
			continue
		}
		if got := h.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe-inline") {
			t.Errorf("%s: CSP %q", tt.path, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", tt.path, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(body, w) {
				t.Errorf("%s: page shows %q", tt.path, w)
			}
		}
	}
	// The static files are served, cacheable with the page's version.
	_, _, body := get(t, c, e.URL+"/")
	i := strings.Index(body, "/ui/static/app.js?v=")
	if i < 0 {
		t.Fatal("no script link")
	}
	src := body[i : i+strings.IndexByte(body[i:], '"')]
	status, h, js := get(t, c, e.URL+src)
	if status != 200 || !strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.Contains(js, "X-CSRF-Token") {
		t.Errorf("app.js: %d %q", status, h.Get("Cache-Control"))
	}
	// "Select all matching" gets the IDs of the filter.
	if status, _, body := get(t, c, e.URL+"/ui/ids?tags=sunset"); status != 200 || body != fmt.Sprintf(`{"ids":[%d],"capped":false}`+"\n", red.ID) {
		t.Errorf("/ui/ids?tags=sunset: %d %s", status, body)
	}
	// Without auth there is no one to sign in as.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Get(e.URL + "/ui/login"); err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("login page without auth: %v %v", resp, err)
	}
	// The API still answers its paths.
	if status, _, _ := get(t, c, e.URL+"/v1/resources"); status != 200 {
		t.Errorf("/v1/resources: %d", status)
	}
}

// TestKeysetPages walks the grid by its "Next page" links across
// resources that share a creation instant: every resource is shown once.
func TestKeysetPages(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	const n = 150
	var ids []int64
	for i := 0; i < n; i++ {
		ids = append(ids, e.create(t, []byte(fmt.Sprintf("file %d", i)), fmt.Sprintf("f%03d.txt", i)).ID)
	}
	// 70 of them at one instant, so that a page boundary falls inside it.
	same := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := e.Lib.Store.DB().NewUpdate().Table("resources").Set("created_at = ?", same).
		Where("id BETWEEN ? AND ?", ids[20], ids[89]).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	next := "/"
	pages := 0
	for next != "" {
		pages++
		if pages > 10 {
			t.Fatal("the pages never end")
		}
		status, _, body := get(t, http.DefaultClient, e.URL+next)
		if status != 200 {
			t.Fatalf("%s: %d", next, status)
		}
		for _, part := range strings.Split(body, `data-id="`)[1:] {
			seen[part[:strings.IndexByte(part, '"')]]++
		}
		next = ""
		if i := strings.Index(body, `rel="next"`); i >= 0 {
			j := strings.LastIndex(body[:i], `href="`)
			raw := body[j+6 : j+6+strings.IndexByte(body[j+6:], '"')]
			next = strings.ReplaceAll(raw, "&amp;", "&")
			if _, err := url.Parse(next); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(seen) != n {
		t.Errorf("saw %d distinct resources over %d pages, want %d", len(seen), pages, n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("resource %s shown %d times", id, k)
		}
	}
}

// TestSignIn: with auth on, pages send a stranger to the login page, a
// session opens them, previews are signed links, and admins alone see
// the users page.
func TestSignIn(t *testing.T) {
	e := newEnv(t, true)
	res := e.create(t, pngOf(t, 8, 8, color.White), "w.png")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(e.URL + "/?q=w")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/ui/login?next=%2F%3Fq%3Dw" {
		t.Errorf("stranger: %d to %q", resp.StatusCode, loc)
	}
	if status, _, body := get(t, http.DefaultClient, e.URL+"/ui/login"); status != 200 || !strings.Contains(body, `<label for="password">`) {
		t.Errorf("login page: %d", status)
	}
	admin := e.signIn(t, "ada", access.RoleAdmin)
	status, _, body := get(t, admin, e.URL+"/")
	if status != 200 || !strings.Contains(body, "w.png") || !strings.Contains(body, "&amp;sig=") {
		t.Fatalf("admin's grid: %d %s", status, body)
	}
	// The signed preview opens without the cookie.
	i := strings.Index(body, `src="/v1/resource/preview?`)
	src := strings.ReplaceAll(body[i+5:i+5+strings.IndexByte(body[i+5:], '"')], "&amp;", "&")
	if status, h, _ := get(t, http.DefaultClient, e.URL+src); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "image/") {
		t.Errorf("signed preview %s: %d", src, status)
	}
	if status, _, _ := get(t, admin, e.URL+"/ui/users"); status != 200 {
		t.Errorf("admin's users page: %d", status)
	}
	guest := e.signIn(t, "gus", access.RoleGuest)
	if status, _, body := get(t, guest, e.URL+fmt.Sprintf("/ui/resource/%d", res.ID)); status != 200 || strings.Contains(body, `id="save"`) || !strings.Contains(body, "readonly") {
		t.Errorf("guest's resource page: %d (editable?)", status)
	}
	if status, _, _ := get(t, guest, e.URL+"/ui/users"); status != 403 {
		t.Errorf("guest's users page: %d, want 403", status)
	}
}

func ptr[T any](v T) *T { return &v }

// TestFirstViewTransfer sums what a browser fetches for the first grid
// view before any preview: the page of a full grid (signed in, so with
// signed preview links and the upload and bulk controls), every
// stylesheet, script, icon and font it links, and /favicon.ico, which
// browsers ask for unbidden. The budget is 300 KB.
func TestFirstViewTransfer(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	var tags []int64
	for _, name := range []string{"landscape", "holiday-2024", "client-review"} {
		tag, err := e.Lib.Store.SaveTag(ctx, resources.TagInput{Name: ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		tags = append(tags, tag.ID)
	}
	var ids []int64
	for i := range perPage + 1 {
		ids = append(ids, e.create(t, pngOf(t, 4, 3, color.RGBA{uint8(i), 0, 0, 255}), fmt.Sprintf("Harbour at dusk, seen from the north pier %03d.png", i)).ID)
	}
	if err := e.Lib.Store.AddTags(ctx, ids, tags); err != nil {
		t.Fatal(err)
	}
	c := e.signIn(t, "ada", access.RoleAdmin)
	status, _, page := get(t, c, e.URL+"/")
	if status != 200 || strings.Count(page, `class="tile"`) != perPage {
		t.Fatalf("grid: %d with %d tiles", status, strings.Count(page, `class="tile"`))
	}
	sizes := map[string]int{"/": len(page)}
	var links []string
	for _, attr := range []string{`<link rel="stylesheet" href="`, `<link rel="icon" href="`, `<script src="`} {
		for _, part := range strings.Split(page, attr)[1:] {
			links = append(links, strings.ReplaceAll(part[:strings.IndexByte(part, '"')], "&amp;", "&"))
		}
	}
	if len(links) < 2 {
		t.Fatalf("the page links %v, want the stylesheet and the script", links)
	}
	links = append(links, "/favicon.ico")
	for len(links) > 0 {
		link := links[0]
		links = links[1:]
		if _, ok := sizes[link]; ok {
			continue
		}
		_, _, body := get(t, c, e.URL+link)
		sizes[link] = len(body)
		// Fonts and images a stylesheet pulls in.
		for _, part := range strings.Split(body, "url(")[1:] {
			if u := strings.Trim(part[:strings.IndexByte(part, ')')], `"'`); strings.HasPrefix(u, "/") {
				links = append(links, u)
			}
		}
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	t.Logf("first grid view: %d bytes in all, %v", total, sizes)
	if total >= 300_000 {
		t.Errorf("the first grid view transfers %d bytes, want under 300 KB: %v", total, sizes)
	}
}

// perPage is the grid's page size (webui's perPage).
const perPage = 60
