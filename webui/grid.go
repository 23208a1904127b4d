package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// perPage is the grid's page size.
const perPage = 60

// gridData is the grid page.
type gridData struct {
	Form     url.Values // the filters as given, to refill the controls
	Tiles    []tile
	Total    int
	Capped   bool
	Next     string // URL of the next page; "" on the last
	First    string // URL of the first page, when not on it
	Problem  string // a filter that matched no entity, said plainly
	Sorts    []option
	Filtered bool
}

type option struct{ Value, Label string }

// tile is one resource in the grid.
type tile struct {
	ID       int64
	Name     string
	Type     string
	Src      string // the 256 preview
	SrcSet   string
	Width    int
	Height   int
	Tags     string
	IsImage  bool
	Category string
}

var sorts = []option{
	{"", "Newest first"}, {"created_at asc", "Oldest first"}, {"name asc", "Name A–Z"}, {"name desc", "Name Z–A"},
	{"file_size desc", "Largest first"}, {"file_size asc", "Smallest first"}, {"updated_at desc", "Recently edited"},
}

// grid renders "/": the previews of the resources the filters select,
// newest first. With the default order, pages follow a keyset cursor
// (the created_at of the last tile, and how many tiles of that instant
// were shown), so a deep page costs what the first does.
func (u *ui) grid(r *http.Request, v *view) (string, error) {
	q := r.URL.Query()
	f, problem, err := u.filter(r.Context(), q)
	if err != nil {
		return "", err
	}
	d := &gridData{Form: q, Sorts: sorts, Problem: problem}
	for k := range q {
		if k != "after" && k != "page" && k != "sort" && q.Get(k) != "" {
			d.Filtered = true
		}
	}
	v.Title, v.Nav, v.Data = "Library", "grid", d
	if problem != "" {
		return "grid.html", nil
	}
	keyset := len(f.SortBy) == 0
	var skip int
	var at time.Time
	if c := q.Get("after"); c != "" && keyset {
		if at, skip, err = parseCursor(c); err != nil {
			return "", err
		}
		// created_at <= at: CreatedBefore is exclusive, and times are stored
		// to the microsecond.
		if f.CreatedBefore.IsZero() || at.Add(time.Microsecond).Before(f.CreatedBefore) {
			f.CreatedBefore = at.Add(time.Microsecond)
		}
		f.MaxResults = perPage + skip
	} else if !keyset {
		f.Page, _ = strconv.Atoi(q.Get("page"))
	}
	page, err := u.Query.List(r.Context(), f)
	if err != nil {
		return "", err
	}
	list := page.Resources
	if skip > 0 {
		if skip > len(list) {
			skip = len(list)
		}
		list = list[skip:]
	}
	d.Total, d.Capped = page.Total, page.TotalCapped
	for _, res := range list {
		d.Tiles = append(d.Tiles, u.tileOf(r.Context(), res))
	}
	more := len(page.Resources) == f.MaxResults || (f.MaxResults == 0 && len(page.Resources) == perPage)
	if keyset && more && len(list) > 0 {
		last := list[len(list)-1].CreatedAt
		n := 0 // tiles of this page at the last instant
		for i := len(list) - 1; i >= 0 && list[i].CreatedAt.Equal(last); i-- {
			n++
		}
		if at.Equal(last) {
			n += skip
		}
		nq := cloneValues(q)
		nq.Set("after", last.UTC().Format(time.RFC3339Nano)+"~"+strconv.Itoa(n))
		d.Next = "/?" + nq.Encode()
	} else if !keyset && page.Page*page.PerPage < page.Total {
		nq := cloneValues(q)
		nq.Set("page", strconv.Itoa(page.Page+1))
		d.Next = "/?" + nq.Encode()
	}
	if q.Get("after") != "" || q.Get("page") != "" {
		nq := cloneValues(q)
		nq.Del("after")
		nq.Del("page")
		d.First = "/?" + nq.Encode()
	}
	return "grid.html", nil
}

func parseCursor(c string) (time.Time, int, error) {
	ts, n, _ := strings.Cut(c, "~")
	t, err := time.Parse(time.RFC3339Nano, ts)
	skip, err2 := strconv.Atoi(n)
	if err != nil || err2 != nil || skip < 0 || skip > query.MaxPerPage-perPage {
		return time.Time{}, 0, errs.E("", errs.Invalid, "the page cursor \"after\" is damaged: go back to the first page")
	}
	return t, skip, nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

// filter turns the form's controls into a query.Filter. Tags, groups and
// the owner are given by name; a name that matches nothing makes a
// problem, shown instead of an empty grid with no reason.
func (u *ui) filter(ctx context.Context, q url.Values) (query.Filter, string, error) {
	f := query.Filter{MaxResults: perPage, ContentType: strings.TrimSpace(q.Get("type"))}
	bad := func(field, msg string) error { return errs.E("", errs.Invalid, field+": "+msg) }
	// The search box looks in names, or in descriptions when "in" says
	// so: each has its index; a search of either would be an OR that no
	// index serves.
	switch text := strings.TrimSpace(q.Get("q")); q.Get("in") {
	case "", "name":
		f.Name = text
	case "description":
		f.Description = text
	default:
		return f, "", bad("in", "search in name or description")
	}
	for _, name := range splitNames(q.Get("tags")) {
		id, err := u.tagID(ctx, name)
		if err != nil {
			return f, "", err
		}
		if id == 0 {
			return f, "No tag is named “" + name + "”.", nil
		}
		f.Tags = append(f.Tags, id)
	}
	for _, name := range splitNames(q.Get("groups")) {
		id, err := u.groupID(ctx, name)
		if err != nil {
			return f, "", err
		}
		if id == 0 {
			return f, "No group is named “" + name + "”.", nil
		}
		f.Groups = append(f.Groups, id)
	}
	if name := strings.TrimSpace(q.Get("owner")); name != "" {
		id, err := u.groupID(ctx, name)
		if err != nil {
			return f, "", err
		}
		if id == 0 {
			return f, "No group is named “" + name + "” (owner).", nil
		}
		f.OwnerID = id
	}
	for _, p := range []struct {
		key string
		dst *time.Time
		add time.Duration
	}{{"from", &f.CreatedAfter, 0}, {"to", &f.CreatedBefore, 24 * time.Hour}} {
		if s := q.Get(p.key); s != "" {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				return f, "", bad(p.key, "want a date as YYYY-MM-DD")
			}
			*p.dst = t.Add(p.add)
		}
	}
	for _, p := range []struct {
		key string
		dst *int
	}{{"minw", &f.MinWidth}, {"maxw", &f.MaxWidth}, {"minh", &f.MinHeight}, {"maxh", &f.MaxHeight}} {
		if s := q.Get(p.key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return f, "", bad(p.key, "want a number of pixels")
			}
			*p.dst = n
		}
	}
	if m := strings.TrimSpace(q.Get("meta")); m != "" {
		f.MetaQuery = []string{m}
	}
	if s := q.Get("sort"); s != "" {
		f.SortBy = []string{s}
	}
	return f, "", nil
}

func splitNames(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// tagID finds a tag by its exact name through the index, then, for a
// name typed in another case, among the tags whose names contain it.
func (u *ui) tagID(ctx context.Context, name string) (int64, error) {
	if id, err := u.Store.TagByName(ctx, name); err != nil || id != 0 {
		return id, err
	}
	l, err := u.Store.ListTags(ctx, resources.ListOptions{Name: name, PerPage: 100})
	if err != nil {
		return 0, err
	}
	for _, t := range l.Items {
		if strings.EqualFold(t.Name, name) {
			return t.ID, nil
		}
	}
	return 0, nil
}

func (u *ui) groupID(ctx context.Context, name string) (int64, error) {
	if id, err := u.Store.GroupByName(ctx, name); err != nil || id != 0 {
		return id, err
	}
	l, err := u.Store.ListGroups(ctx, resources.ListOptions{Name: name, PerPage: 100})
	if err != nil {
		return 0, err
	}
	for _, g := range l.Items {
		if strings.EqualFold(g.Name, name) {
			return g.ID, nil
		}
	}
	return 0, nil
}

func (u *ui) tileOf(ctx context.Context, res *resources.Resource) tile {
	t := tile{ID: res.ID, Name: res.Name, Type: res.ContentType, Width: res.Width, Height: res.Height,
		IsImage: strings.HasPrefix(res.ContentType, "image/"), Category: res.ContentCategory}
	if t.Name == "" {
		t.Name = res.OriginalName
	}
	var names []string
	for _, tg := range res.Tags {
		names = append(names, tg.Name)
	}
	t.Tags = strings.Join(names, ", ")
	t.Src, t.SrcSet = u.previewSet(ctx, res.ID, 256, previewWidths[1:5])
	return t
}

// previewWidths are the widths the pages offer in a srcset: few, so that
// the previews the server caches for them are few per image.
var previewWidths = []int{64, 128, 256, 512, 1024, 2048}

// previewSet returns the preview URL at width src and a srcset over the
// widths steps, signed when auth is on.
func (u *ui) previewSet(ctx context.Context, id int64, src int, steps []int) (string, string) {
	var set []string
	var main string
	for _, w := range steps {
		s := u.sign(ctx, fmt.Sprintf("/v1/resource/preview?id=%d&Width=%d", id, w))
		set = append(set, s+" "+strconv.Itoa(w)+"w")
		if w == src {
			main = s
		}
	}
	return main, strings.Join(set, ", ")
}

// sign signs target when auth is on. The expiry is rounded to the TTL so
// that a preview's URL stays the same for a while and the browser's cache
// keeps working.
func (u *ui) sign(ctx context.Context, target string) string {
	if u.Access == nil {
		return target
	}
	exp := time.Now().Truncate(u.LinkTTL).Add(2 * u.LinkTTL)
	s, err := u.Access.SignLink(ctx, target, exp)
	if err != nil {
		return target // the session cookie still opens it
	}
	return s
}

// maxMatching bounds "select all matching": the IDs of at most this many
// resources are sent to the page.
const maxMatching = 10000

// ids answers the IDs of every resource the grid's filters select (up to
// maxMatching), for "select all matching" in the bulk bar.
func (u *ui) ids(w http.ResponseWriter, r *http.Request) {
	p, ok := u.who(r)
	if !ok || !p.CanRead() {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in first"})
		return
	}
	f, problem, err := u.filter(r.Context(), r.URL.Query())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": errs.Message(err)})
		return
	}
	out := struct {
		IDs    []int64 `json:"ids"`
		Capped bool    `json:"capped"`
	}{IDs: []int64{}}
	if problem == "" {
		f.MaxResults = query.MaxPerPage
		for f.Page = 1; ; f.Page++ {
			page, err := u.Query.List(r.Context(), f)
			if err != nil {
				u.Logger.Error("web UI ids", "err", err)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "listing failed"})
				return
			}
			for _, res := range page.Resources {
				out.IDs = append(out.IDs, res.ID)
			}
			if len(page.Resources) < f.MaxResults {
				break
			}
			if len(out.IDs) >= maxMatching {
				out.IDs, out.Capped = out.IDs[:maxMatching], true
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
