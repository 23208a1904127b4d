package httpapi

import (
	"net/http"
	"strings"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/query"
)

// listResources serves GET /v1/resources with every filter of the spec.
//
// X-Total-Count is exact unless the response also has
// X-Total-Count-Capped: true. Then counting stopped early, because an
// exact count of a broad filter over a large library would cost more than
// the page, and X-Total-Count is a lower bound: at least the number of
// resources up to the end of this page, plus one when another page
// follows. The last page always has the exact count.
func (a *api) listResources(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f := query.Filter{
		Page:               d.int("page"),
		MaxResults:         d.int("MaxResults"),
		Name:               d.filter("Name"),
		Description:        d.filter("Description"),
		ContentType:        d.filter("ContentType"),
		OriginalName:       d.filter("OriginalName"),
		OriginalLocation:   d.filter("OriginalLocation"),
		Hash:               d.filter("Hash"),
		OwnerID:            d.int64("OwnerId"),
		ResourceCategoryID: d.int64("ResourceCategoryId"),
		SeriesID:           d.int64("SeriesId"),
		Groups:             d.ids("Groups"),
		Tags:               d.ids("Tags"),
		Notes:              d.ids("Notes"),
		IDs:                d.ids("Ids"),
		ContentTypes:       d.strs("ContentTypes"),
		ShowWithoutOwner:   d.bool("ShowWithoutOwner"),
		Untagged:           d.bool("Untagged"),
		ShowWithSimilar:    d.bool("ShowWithSimilar"),
		MinWidth:           d.dim("MinWidth"),
		MaxWidth:           d.dim("MaxWidth"),
		MinHeight:          d.dim("MinHeight"),
		MaxHeight:          d.dim("MaxHeight"),
		MetaQuery:          d.strs("MetaQuery"),
		SortBy:             d.strs("SortBy"),
		JSON:               true,
	}
	f.CreatedAfter, f.CreatedBefore = d.createdRange()
	f.UpdatedAfter, f.UpdatedBefore = d.timeRange("UpdatedAfter", "UpdatedBefore")
	d.refuseUnsupportedFilters(f.OwnerID)
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	page, err := a.query.List(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	setPageHeaders(w, page.Page, page.PerPage, page.Total)
	if page.TotalCapped {
		w.Header().Set("X-Total-Count-Capped", "true")
	}
	if page.JSON != nil {
		writeEncoded(w, http.StatusOK, append(page.JSON, '\n'), true)
		return
	}
	writeJSON(w, http.StatusOK, page.Resources)
}

func (a *api) metaKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := a.query.MetaKeys(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if keys == nil {
		keys = []string{}
	}
	writeJSON(w, http.StatusOK, keys)
}

// refuseUnsupportedFilters keeps an error for the first filter of newer
// versions of the reference that this server does not apply, when it is
// given a value that would narrow the list. Ignored, as unknown parameters
// are, it would list everything to a client that believes the list narrowed
// (and may delete what it lists).
// IncludeSubgroups widens OwnerId, so it narrows nothing without one.
func (d *decoder) refuseUnsupportedFilters(ownerID int64) {
	for _, f := range []struct {
		field string
		given bool
	}{
		{"IncludeSubgroups", d.bool("IncludeSubgroups") && ownerID != 0},
		{"ShowDhashZero", d.bool("ShowDhashZero")},
		{"MRQL", strings.TrimSpace(d.str("MRQL")) != ""},
	} {
		if f.given {
			d.keep(&params.Error{Field: f.field, Msg: "this filter is not supported by this server"})
		}
	}
}
