package webui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// listData is a list page of tags, groups, categories, series or notes.
type listData struct {
	Kind     string // tags, groups, ...
	Singular string
	API      string // the save endpoint: /v1/tag
	Delete   string // the delete endpoint
	Merge    string // the merge endpoint, "" where there is none
	Rows     []listRow
	Total    int
	Page     int
	Next     string
	Prev     string
	Search   string
	CanWrite bool
}

type listRow struct {
	ID     int64
	Name   string
	Count  int
	Capped bool
	Link   string // the grid filtered by it
}

type kindInfo struct {
	singular, api, del, merge, filter string
	list                              func(ctx context.Context, s *resources.Store, o resources.ListOptions) ([]listRow, int, error)
	count                             func(f *query.Filter, id int64)
}

func rows[T any](items []T, total int, err error, f func(T) listRow) ([]listRow, int, error) {
	out := make([]listRow, 0, len(items))
	for _, it := range items {
		out = append(out, f(it))
	}
	return out, total, err
}

var kinds = map[string]kindInfo{
	"tags": {"tag", "/v1/tag", "/v1/tag/delete", "/v1/tags/merge", "tags",
		func(ctx context.Context, s *resources.Store, o resources.ListOptions) ([]listRow, int, error) {
			l, err := s.ListTags(ctx, o)
			return rows(l.Items, l.Total, err, func(t *resources.Tag) listRow { return listRow{ID: t.ID, Name: t.Name} })
		}, func(f *query.Filter, id int64) { f.Tags = []int64{id} }},
	"groups": {"group", "/v1/group", "/v1/group/delete", "/v1/groups/merge", "groups",
		func(ctx context.Context, s *resources.Store, o resources.ListOptions) ([]listRow, int, error) {
			l, err := s.ListGroups(ctx, o)
			return rows(l.Items, l.Total, err, func(t *resources.Group) listRow { return listRow{ID: t.ID, Name: t.Name} })
		}, func(f *query.Filter, id int64) { f.Groups = []int64{id} }},
	"categories": {"category", "/v1/resourceCategory", "/v1/resourceCategory/delete", "", "",
		func(ctx context.Context, s *resources.Store, o resources.ListOptions) ([]listRow, int, error) {
			l, err := s.ListResourceCategories(ctx, o)
			return rows(l.Items, l.Total, err, func(t *resources.ResourceCategory) listRow { return listRow{ID: t.ID, Name: t.Name} })
		}, func(f *query.Filter, id int64) { f.ResourceCategoryID = id }},
	"series": {"series", "/v1/series", "/v1/series/delete", "", "",
		func(ctx context.Context, s *resources.Store, o resources.ListOptions) ([]listRow, int, error) {
			l, err := s.ListSeries(ctx, o)
			return rows(l.Items, l.Total, err, func(t *resources.Series) listRow { return listRow{ID: t.ID, Name: t.Name} })
		}, func(f *query.Filter, id int64) { f.SeriesID = id }},
	"notes": {"note", "/v1/note", "/v1/note/delete", "", "",
		func(ctx context.Context, s *resources.Store, o resources.ListOptions) ([]listRow, int, error) {
			l, err := s.ListNotes(ctx, o)
			return rows(l.Items, l.Total, err, func(t *resources.Note) listRow { return listRow{ID: t.ID, Name: t.Name} })
		}, func(f *query.Filter, id int64) { f.Notes = []int64{id} }},
}

const listPerPage = 100

// entityList renders the list page of kind with a count of resources per
// row (bounded: query.List caps counts of broad filters).
func (u *ui) entityList(kind string) func(r *http.Request, v *view) (string, error) {
	k := kinds[kind]
	return func(r *http.Request, v *view) (string, error) {
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		if page < 1 {
			page = 1
		}
		o := resources.ListOptions{Name: q.Get("q"), Page: page, PerPage: listPerPage, SortBy: []string{"name asc"}}
		list, total, err := k.list(r.Context(), u.Store, o)
		if err != nil {
			return "", err
		}
		d := &listData{Kind: kind, Singular: k.singular, API: k.api, Delete: k.del, Merge: k.merge,
			Total: total, Page: page, Search: q.Get("q"), CanWrite: v.Me.CanWrite()}
		for _, row := range list {
			f := query.Filter{MaxResults: 1}
			k.count(&f, row.ID)
			p, err := u.Query.List(r.Context(), f)
			if err != nil {
				return "", err
			}
			row.Count, row.Capped = p.Total, p.TotalCapped
			if k.filter != "" {
				row.Link = "/?" + url.Values{k.filter: {row.Name}}.Encode()
			}
			d.Rows = append(d.Rows, row)
		}
		if page*listPerPage < total {
			d.Next = "?" + url.Values{"q": {d.Search}, "page": {strconv.Itoa(page + 1)}}.Encode()
		}
		if page > 1 {
			d.Prev = "?" + url.Values{"q": {d.Search}, "page": {strconv.Itoa(page - 1)}}.Encode()
		}
		v.Title, v.Nav, v.Data = titleOf(kind), kind, d
		return "list.html", nil
	}
}

func titleOf(kind string) string {
	return map[string]string{"tags": "Tags", "groups": "Groups", "categories": "Categories", "series": "Series", "notes": "Notes"}[kind]
}

// users renders the admins' list of users.
func (u *ui) users(r *http.Request, v *view) (string, error) {
	if u.Access == nil {
		return "", errs.E("", errs.NotFound, "auth is off on this server: there are no users")
	}
	if !v.Me.CanAdmin() {
		return "", errs.E("", errs.Forbidden, "only admins may manage users")
	}
	list, err := u.Access.ListUsers(r.Context(), 0, 500)
	if err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Users", "users", list
	return "users.html", nil
}

// tokens renders the signed-in user's API tokens.
func (u *ui) tokens(r *http.Request, v *view) (string, error) {
	if u.Access == nil || v.Me.UserID == 0 {
		return "", errs.E("", errs.NotFound, "auth is off on this server: there are no tokens")
	}
	list, err := u.Access.ListTokens(r.Context(), v.Me.UserID)
	if err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "API tokens", "tokens", list
	return "tokens.html", nil
}

var _ = access.RoleAdmin
