package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entityKind names the endpoints of one supporting entity.
type entityKind struct {
	name                       string
	create, get, list, destroy string
	// update is where an existing entity is saved; create when empty.
	update string
}

var entityKinds = []entityKind{
	{name: "tag", create: "/v1/tag", get: "/v1/tag", list: "/v1/tags", destroy: "/v1/tag/delete"},
	{name: "group", create: "/v1/group", get: "/v1/group", list: "/v1/groups", destroy: "/v1/group/delete"},
	{name: "category", create: "/v1/category", get: "/v1/category", list: "/v1/categories", destroy: "/v1/category/delete"},
	{name: "note", create: "/v1/note", get: "/v1/note", list: "/v1/notes", destroy: "/v1/note/delete"},
	{name: "resource category", create: "/v1/resourceCategory", get: "/v1/resourceCategory", list: "/v1/resourceCategories", destroy: "/v1/resourceCategory/delete"},
	{name: "series", create: "/v1/series/create", get: "/v1/series", list: "/v1/seriesList", destroy: "/v1/series/delete", update: "/v1/series"},
}

// TestEntities runs the same create, get, list, update and delete checks
// on every supporting entity.
func TestEntities(t *testing.T) {
	for _, k := range entityKinds {
		t.Run(k.name, func(t *testing.T) {
			e := newTestEnv(t)
			// Create three ways, with names in assorted cases.
			alpha := e.create(t, k.create, map[string]any{"Name": "Alpha"})
			beta := e.create(t, k.create, url.Values{"name": {"Beta"}})
			gamma := do(t, "POST", e.URL+k.create+qs("NAME", "Gamma"), nil).wantStatus(t, http.StatusOK).object(t)
			a, b, c := alpha["ID"].(int64), beta["ID"].(int64), gamma["ID"].(int64)
			names := []any{alpha["Name"], beta["Name"], gamma["Name"]}
			if diff := cmp.Diff([]any{"Alpha", "Beta", "Gamma"}, names); diff != "" {
				t.Errorf("created names (-want +got):\n%s", diff)
			}
			if a == b || b == c || a == c || a <= 0 {
				t.Errorf("IDs %d, %d, %d", a, b, c)
			}

			t.Run("get", func(t *testing.T) {
				for _, key := range []string{"id", "ID", "Id"} {
					got := do(t, "GET", e.URL+k.get+qs(key, itoa(b)), nil).wantStatus(t, http.StatusOK).object(t)
					if got["ID"] != b || got["Name"] != "Beta" {
						t.Errorf("%s: got %v", key, got)
					}
				}
				got := do(t, "GET", e.URL+k.get+qs("id", itoa(a)), nil).wantStatus(t, http.StatusOK).object(t)
				delete(alpha, "Resources")
				delete(got, "Resources")
				if diff := cmp.Diff(alpha, got); diff != "" {
					t.Errorf("GET differs from the create answer (-create +get):\n%s", diff)
				}
				do(t, "GET", e.URL+k.get+qs("id", "999"), nil).wantError(t, http.StatusNotFound, "999")
				do(t, "GET", e.URL+k.get, nil).wantError(t, http.StatusBadRequest, "id")
				do(t, "GET", e.URL+k.get+qs("id", "abc"), nil).wantError(t, http.StatusBadRequest, "id")
			})

			t.Run("list", func(t *testing.T) {
				tests := []struct {
					name, query          string
					want                 []int64
					total, page, perPage string
				}{
					{"all", "", []int64{a, b, c}, "3", "1", "50"},
					{"Name filter", qs("Name", "ET"), []int64{b}, "1", "1", "50"},
					{"name filter lower-case key", qs("name", "a"), []int64{a, b, c}, "3", "1", "50"},
					{"Ids", qs("Ids", itoa(a), "Ids", itoa(c)), []int64{a, c}, "2", "1", "50"},
					{"page", qs("MaxResults", "1", "page", "2"), []int64{b}, "3", "2", "1"},
					{"page lower-case keys", qs("maxresults", "2", "PAGE", "2"), []int64{c}, "3", "2", "2"},
					{"SortBy", qs("SortBy", "name desc"), []int64{c, b, a}, "3", "1", "50"},
					{"SortBy id desc", qs("sortBy", "ID DESC"), []int64{c, b, a}, "3", "1", "50"},
					{"MaxResults capped", qs("MaxResults", "5000"), []int64{a, b, c}, "3", "1", "1000"},
					{"page 0 is page 1", qs("page", "0", "MaxResults", "1"), []int64{a}, "3", "1", "1"},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						r := do(t, "GET", e.URL+k.list+tt.query, nil).wantStatus(t, http.StatusOK)
						if diff := cmp.Diff(tt.want, ids(t, r.array(t))); diff != "" {
							t.Errorf("IDs (-want +got):\n%s", diff)
						}
						got := []string{r.Header.Get("X-Total-Count"), r.Header.Get("X-Page"), r.Header.Get("X-Per-Page")}
						if diff := cmp.Diff([]string{tt.total, tt.page, tt.perPage}, got); diff != "" {
							t.Errorf("X-Total-Count, X-Page, X-Per-Page (-want +got):\n%s", diff)
						}
					})
				}
				for _, bad := range []string{qs("SortBy", "color"), qs("SortBy", "name sideways"), qs("SortBy", "id; DROP TABLE tags"), qs("page", "one"), qs("Ids", "x")} {
					do(t, "GET", e.URL+k.list+bad, nil).wantError(t, http.StatusBadRequest)
				}
			})

			t.Run("update", func(t *testing.T) {
				path := k.update
				if path == "" {
					path = k.create
				}
				got := e.create(t, path, map[string]any{"ID": a, "Name": "Alpha 2"})
				if got["ID"] != a || got["Name"] != "Alpha 2" {
					t.Errorf("update answered %v", got)
				}
				// The create endpoint updates too.
				got = do(t, "POST", e.URL+k.create, url.Values{"id": {itoa(a)}, "Name": {"Alpha 3"}}).wantStatus(t, http.StatusOK).object(t)
				if got["ID"] != a || got["Name"] != "Alpha 3" {
					t.Errorf("update through create answered %v", got)
				}
				if name := do(t, "GET", e.URL+k.get+qs("id", itoa(a)), nil).wantStatus(t, http.StatusOK).object(t)["Name"]; name != "Alpha 3" {
					t.Errorf("stored name %v", name)
				}
				do(t, "POST", e.URL+path, map[string]any{"ID": 999, "Name": "x"}).wantError(t, http.StatusNotFound, "999")
				do(t, "POST", e.URL+path, map[string]any{"ID": -1, "Name": "x"}).wantError(t, http.StatusBadRequest, "ID")
				do(t, "POST", e.URL+path, map[string]any{"ID": "one", "Name": "x"}).wantError(t, http.StatusBadRequest, "ID")
				do(t, "POST", e.URL+path, map[string]any{"ID": a, "Name": " "}).wantError(t, http.StatusBadRequest, "Name")
				total := do(t, "GET", e.URL+k.list, nil).wantStatus(t, http.StatusOK).Header.Get("X-Total-Count")
				if total != "3" {
					t.Errorf("%s entities after updates, want 3", total)
				}
			})

			t.Run("name required", func(t *testing.T) {
				for _, body := range []any{map[string]any{}, map[string]any{"Name": ""}, map[string]any{"Name": "   "}, url.Values{"Description": {"x"}}, nil} {
					do(t, "POST", e.URL+k.create, body).wantError(t, http.StatusBadRequest, "Name")
				}
				total := do(t, "GET", e.URL+k.list, nil).wantStatus(t, http.StatusOK).Header.Get("X-Total-Count")
				if total != "3" {
					t.Errorf("%s entities after failed creates, want 3", total)
				}
			})

			t.Run("delete", func(t *testing.T) {
				got := do(t, "POST", e.URL+k.destroy+qs("Id", itoa(a)), nil).wantStatus(t, http.StatusOK).object(t)
				want := map[string]any{"ID": a}
				if k.name == "tag" {
					want["id"] = a // as the reference answers tag deletions
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
				do(t, "GET", e.URL+k.get+qs("id", itoa(a)), nil).wantError(t, http.StatusNotFound)
				do(t, "POST", e.URL+k.destroy+qs("Id", itoa(a)), nil).wantError(t, http.StatusNotFound, itoa(a))
				do(t, "POST", e.URL+k.destroy, map[string]any{"ID": b}).wantStatus(t, http.StatusOK)
				do(t, "POST", e.URL+k.destroy, nil).wantError(t, http.StatusBadRequest, "id")
				r := do(t, "GET", e.URL+k.list, nil).wantStatus(t, http.StatusOK)
				if diff := cmp.Diff([]int64{c}, ids(t, r.array(t))); diff != "" {
					t.Errorf("left after deletes (-want +got):\n%s", diff)
				}
				do(t, "GET", e.URL+k.destroy+qs("id", itoa(c)), nil).wantError(t, http.StatusMethodNotAllowed)
			})
		})
	}
}

func TestTagExistingName(t *testing.T) {
	e := newTestEnv(t)
	first := e.create(t, "/v1/tag", map[string]any{"Name": "sunset", "Description": "first"})
	again := e.create(t, "/v1/tag", map[string]any{"Name": "sunset", "Description": "second"})
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("creating an existing name (-first +again):\n%s", diff)
	}
	other := e.createID(t, "/v1/tag", map[string]any{"Name": "dawn"})
	// Renaming a tag to a taken name is a conflict.
	do(t, "POST", e.URL+"/v1/tag", map[string]any{"ID": other, "Name": "sunset"}).wantError(t, http.StatusConflict, "sunset")
	r := do(t, "GET", e.URL+"/v1/tags", nil).wantStatus(t, http.StatusOK)
	if r.Header.Get("X-Total-Count") != "2" {
		t.Errorf("X-Total-Count %q, want 2", r.Header.Get("X-Total-Count"))
	}
	golden(t, "tags_list.json", dropVolatile(t, r.json(t)))
}

func TestGroupFields(t *testing.T) {
	e := newTestEnv(t)
	cat := e.createID(t, "/v1/category", map[string]any{"Name": "People", "Description": "humans"})
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "family"})
	parent := e.createID(t, "/v1/group", map[string]any{"Name": "Family"})
	got := e.create(t, "/v1/group", map[string]any{
		"Name": "Alice", "Description": "sister", "URL": "https://example.com/alice",
		"Meta": `{"born": 1990}`, "OwnerId": parent, "CategoryId": cat, "Tags": []int64{tag},
	})
	golden(t, "group.json", dropVolatile(t, got))

	// A form, with Tags repeated and Meta as text.
	got = do(t, "POST", e.URL+"/v1/group", url.Values{"Name": {"Bob"}, "Tags": {itoa(tag)}, "meta": {`{"x": [1, 2]}`}, "ownerId": {itoa(parent)}}).
		wantStatus(t, http.StatusOK).object(t)
	if got["OwnerId"] != parent || got["Meta"] == nil || len(got["Tags"].([]any)) != 1 {
		t.Errorf("form-created group %v", got)
	}
	// Clearing with 0 and [].
	bob := got["ID"].(int64)
	got = e.create(t, "/v1/group", map[string]any{"ID": bob, "OwnerId": 0, "Tags": []int64{}})
	if got["OwnerId"] != nil || got["Tags"] != nil && len(got["Tags"].([]any)) != 0 {
		t.Errorf("after clearing: OwnerId %v, Tags %v", got["OwnerId"], got["Tags"])
	}
	errs := []struct {
		body     any
		status   int
		fragment string
	}{
		{map[string]any{"Name": "x", "OwnerId": 999}, 404, "group 999"},
		{map[string]any{"Name": "x", "CategoryId": 999}, 404, "category 999"},
		{map[string]any{"Name": "x", "Tags": []int64{999}}, 404, "tag 999"},
		{map[string]any{"Name": "x", "Meta": "[1]"}, 400, "Meta"},
		{map[string]any{"ID": parent, "OwnerId": parent}, 400, "cycle"},
	}
	for _, tt := range errs {
		do(t, "POST", e.URL+"/v1/group", tt.body).wantError(t, tt.status, tt.fragment)
	}
}

// TestGroupDeleteKeepsResources checks that deleting an owner leaves its
// resources in place, without an owner.
func TestGroupDeleteKeepsResources(t *testing.T) {
	e := newTestEnv(t)
	owner := e.createID(t, "/v1/group", map[string]any{"Name": "owner"})
	related := e.createID(t, "/v1/group", map[string]any{"Name": "related"})
	id := e.uploadOK(t, filePart("resource", "owned.txt", []byte("owned\n")), fieldPart("OwnerId", itoa(owner)), fieldPart("Groups", itoa(related)))
	do(t, "POST", e.URL+"/v1/group/delete"+qs("Id", itoa(owner)), nil).wantStatus(t, http.StatusOK)
	do(t, "POST", e.URL+"/v1/group/delete"+qs("Id", itoa(related)), nil).wantStatus(t, http.StatusOK)
	got := e.getResource(t, id)
	if got["OwnerId"] != nil || got["Owner"] != nil {
		t.Errorf("OwnerId %v, Owner %v; want null", got["OwnerId"], got["Owner"])
	}
	if diff := cmp.Diff([]any{}, got["Groups"]); diff != "" {
		t.Errorf("Groups (-want +got):\n%s", diff)
	}
	if len(e.blobs(t)) != 1 {
		t.Error("the resource's blob is gone")
	}
	r := do(t, "GET", e.URL+"/v1/resources"+qs("ShowWithoutOwner", "true"), nil).wantStatus(t, http.StatusOK)
	if diff := cmp.Diff([]int64{id}, ids(t, r.array(t))); diff != "" {
		t.Errorf("resources without owner (-want +got):\n%s", diff)
	}
}

func TestNoteFields(t *testing.T) {
	e := newTestEnv(t)
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "t"})
	group := e.createID(t, "/v1/group", map[string]any{"Name": "g"})
	res := e.uploadOK(t, filePart("resource", "n.txt", []byte("noted\n")))
	got := e.create(t, "/v1/note", map[string]any{
		"Name": "trip notes", "Description": "long text", "Meta": map[string]any{"k": "v"},
		"Tags": []int64{tag}, "Groups": []int64{group}, "Resources": []int64{res}, "OwnerId": group,
		"StartDate": "2024-06-01", "EndDate": "2024-06-03T12:00:00Z",
	})
	type summary struct {
		Name, Description, StartDate, EndDate any
		Meta                                  any
		OwnerId                               any
		Tags, Groups, Resources               []int64
	}
	want := summary{"trip notes", "long text", "2024-06-01T00:00:00Z", "2024-06-03T12:00:00Z",
		map[string]any{"k": "v"}, group, []int64{tag}, []int64{group}, []int64{res}}
	sum := func(m map[string]any) summary {
		return summary{m["Name"], m["Description"], m["StartDate"], m["EndDate"], m["Meta"], m["OwnerId"],
			idsSorted(t, m["Tags"]), idsSorted(t, m["Groups"]), idsSorted(t, m["Resources"])}
	}
	if diff := cmp.Diff(want, sum(got)); diff != "" {
		t.Errorf("created note (-want +got):\n%s", diff)
	}
	get := do(t, "GET", e.URL+"/v1/note"+qs("id", itoa(got["ID"].(int64))), nil).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(want, sum(get)); diff != "" {
		t.Errorf("stored note (-want +got):\n%s", diff)
	}
	// The resource sees the note.
	if diff := cmp.Diff([]int64{got["ID"].(int64)}, idsSorted(t, e.getResource(t, res)["Notes"])); diff != "" {
		t.Errorf("resource's notes (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		body     any
		status   int
		fragment string
	}{
		{map[string]any{"Name": "x", "StartDate": "June 1st"}, 400, "StartDate"},
		{map[string]any{"Name": "x", "StartDate": "2024-06-03", "EndDate": "2024-06-01"}, 400, "EndDate"},
		{map[string]any{"Name": "x", "Resources": []int64{999}}, 404, "resource 999"},
		{map[string]any{"Name": "x", "Tags": []int64{999}}, 404, "tag 999"},
	} {
		do(t, "POST", e.URL+"/v1/note", tt.body).wantError(t, tt.status, tt.fragment)
	}
}

func TestResourceCategoryFields(t *testing.T) {
	e := newTestEnv(t)
	got := e.create(t, "/v1/resourceCategory", map[string]any{"Name": "Invoices", "Description": "bills", "MetaSchema": `{"type": "object"}`})
	if got["MetaSchema"] != `{"type": "object"}` || got["Description"] != "bills" {
		t.Errorf("created %v", got)
	}
	do(t, "POST", e.URL+"/v1/resourceCategory", map[string]any{"Name": "x", "MetaSchema": "not json"}).wantError(t, http.StatusBadRequest, "MetaSchema")
	id := got["ID"].(int64)
	res := e.uploadOK(t, filePart("resource", "inv.txt", []byte("invoice\n")), fieldPart("ResourceCategoryId", itoa(id)))
	do(t, "POST", e.URL+"/v1/resourceCategory/delete"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusOK)
	if rc := e.getResource(t, res)["ResourceCategoryId"]; rc != nil {
		t.Errorf("ResourceCategoryId %v after deleting the category", rc)
	}
}

func TestSeriesFields(t *testing.T) {
	e := newTestEnv(t)
	got := e.create(t, "/v1/series/create", map[string]any{"Name": "Summer Trip 2024"})
	if got["Slug"] != "summer-trip-2024" {
		t.Errorf("default Slug %v", got["Slug"])
	}
	id := got["ID"].(int64)
	other := e.create(t, "/v1/series/create", map[string]any{"Name": "Other", "Slug": "My Slug"})
	if other["Slug"] != "my-slug" {
		t.Errorf("given Slug became %v", other["Slug"])
	}
	do(t, "POST", e.URL+"/v1/series/create", map[string]any{"Name": "Clash", "Slug": "summer-trip-2024"}).wantError(t, http.StatusConflict, "slug")
	do(t, "POST", e.URL+"/v1/series", map[string]any{"ID": other["ID"], "Slug": "summer trip 2024"}).wantError(t, http.StatusConflict, "slug")
	do(t, "POST", e.URL+"/v1/series/create", map[string]any{"Name": "!!!"}).wantError(t, http.StatusBadRequest, "Slug")

	// GET includes the resources, in ID order; [] when there are none.
	empty := do(t, "GET", e.URL+"/v1/series"+qs("ID", itoa(other["ID"].(int64))), nil).wantStatus(t, http.StatusOK).object(t)
	if items, ok := empty["Resources"].([]any); !ok || len(items) != 0 {
		t.Errorf("Resources of a series without any: %#v, want []", empty["Resources"])
	}
	r1 := e.uploadOK(t, filePart("resource", "1.txt", []byte("one\n")), fieldPart("SeriesId", itoa(id)))
	r2 := e.uploadOK(t, filePart("resource", "2.txt", []byte("two\n")), fieldPart("SeriesSlug", "summer-trip-2024"))
	e.uploadOK(t, filePart("resource", "3.txt", []byte("three\n")))
	s := do(t, "GET", e.URL+"/v1/series"+qs("ID", itoa(id)), nil).wantStatus(t, http.StatusOK).object(t)
	items, _ := s["Resources"].([]any)
	if diff := cmp.Diff([]int64{r1, r2}, ids(t, items)); diff != "" {
		t.Errorf("series resources (-want +got):\n%s", diff)
	}
	for _, it := range items {
		m := it.(map[string]any)
		if m["SeriesId"] != id {
			t.Errorf("resource %v has SeriesId %v", m["ID"], m["SeriesId"])
		}
	}
	// Deleting the series keeps its resources.
	do(t, "POST", e.URL+"/v1/series/delete"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusOK)
	if sid := e.getResource(t, r1)["SeriesId"]; sid != nil {
		t.Errorf("SeriesId %v after deleting the series", sid)
	}
	if n := len(e.resourceIDs(t)); n != 3 {
		t.Errorf("%d resources after deleting the series, want 3", n)
	}
}
