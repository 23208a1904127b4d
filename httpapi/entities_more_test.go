package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// entitySnapshot is every group, note, tag, note type and resource as the
// API shows them: what a refused request must leave exactly as it was.
func (e *testEnv) entitySnapshot(tb testing.TB) map[string]any {
	tb.Helper()
	out := map[string]any{}
	for _, path := range []string{"/v1/groups", "/v1/notes", "/v1/tags", "/v1/note/noteTypes", "/v1/resources", "/v1/categories", "/v1/seriesList"} {
		out[path] = do(tb, "GET", e.URL+path+qs("MaxResults", "1000"), nil).wantStatus(tb, http.StatusOK).json(tb)
	}
	return out
}

func (e *testEnv) wantSnapshot(tb testing.TB, before map[string]any) {
	tb.Helper()
	if diff := cmp.Diff(before, e.entitySnapshot(tb)); diff != "" {
		tb.Errorf("a refused request changed the library (-before +after):\n%s", diff)
	}
}

func (e *testEnv) get(tb testing.TB, path string, id int64) map[string]any {
	tb.Helper()
	return do(tb, "GET", e.URL+path+qs("id", itoa(id)), nil).wantStatus(tb, http.StatusOK).object(tb)
}

func TestEditNameAndDescriptionOfEveryEntity(t *testing.T) {
	e := newTestEnv(t)
	kinds := []struct {
		path, create, get string
		description       bool
	}{
		{"tag", "/v1/tag", "/v1/tag", true},
		{"category", "/v1/category", "/v1/category", true},
		{"group", "/v1/group", "/v1/group", true},
		{"note", "/v1/note", "/v1/note", true},
		{"resourceCategory", "/v1/resourceCategory", "/v1/resourceCategory", true},
		{"series", "/v1/series/create", "/v1/series", false},
		{"noteType", "/v1/note/noteType", "/v1/note/noteType", true},
	}
	for _, k := range kinds {
		t.Run(k.path, func(t *testing.T) {
			id := e.createID(t, k.create, map[string]any{"Name": "first " + k.path})
			// As the reference's client sends it: id in the query, the
			// value in a form.
			got := do(t, "POST", e.URL+"/v1/"+k.path+"/editName"+qs("id", itoa(id)), url.Values{"Name": {"renamed " + k.path}}).
				wantStatus(t, http.StatusOK).object(t)
			if diff := cmp.Diff(map[string]any{"id": id, "ok": true}, got); diff != "" {
				t.Errorf("editName answer (-want +got):\n%s", diff)
			}
			if name := e.get(t, k.get, id)["Name"]; name != "renamed "+k.path {
				t.Errorf("Name = %v after editName", name)
			}
			// JSON, with the ID in the body.
			do(t, "POST", e.URL+"/v1/"+k.path+"/editName", map[string]any{"ID": id, "Name": "json " + k.path}).wantStatus(t, http.StatusOK)
			if name := e.get(t, k.get, id)["Name"]; name != "json "+k.path {
				t.Errorf("Name = %v after editName in JSON", name)
			}
			if k.description {
				do(t, "POST", e.URL+"/v1/"+k.path+"/editDescription"+qs("id", itoa(id)), url.Values{"Description": {"told"}}).wantStatus(t, http.StatusOK)
				if d := e.get(t, k.get, id)["Description"]; d != "told" {
					t.Errorf("Description = %v after editDescription", d)
				}
			} else {
				do(t, "POST", e.URL+"/v1/"+k.path+"/editDescription"+qs("id", itoa(id)), url.Values{"Description": {"x"}}).wantError(t, http.StatusNotFound)
			}
			before := e.entitySnapshot(t)
			do(t, "POST", e.URL+"/v1/"+k.path+"/editName"+qs("id", "999"), url.Values{"Name": {"x"}}).wantError(t, http.StatusNotFound, "999")
			do(t, "POST", e.URL+"/v1/"+k.path+"/editName"+qs("id", itoa(id)), url.Values{"Name": {"  "}}).wantError(t, http.StatusBadRequest, "Name")
			do(t, "POST", e.URL+"/v1/"+k.path+"/editName"+qs("id", itoa(id)), nil).wantError(t, http.StatusBadRequest, "Name")
			do(t, "POST", e.URL+"/v1/"+k.path+"/editName", url.Values{"Name": {"x"}}).wantError(t, http.StatusBadRequest, "id")
			e.wantSnapshot(t, before)
		})
	}
	// A tag's name stays unique.
	a := e.createID(t, "/v1/tag", map[string]any{"Name": "alpha"})
	e.createID(t, "/v1/tag", map[string]any{"Name": "beta"})
	before := e.entitySnapshot(t)
	do(t, "POST", e.URL+"/v1/tag/editName"+qs("id", itoa(a)), url.Values{"Name": {"beta"}}).wantError(t, http.StatusConflict, "beta")
	e.wantSnapshot(t, before)
}

func TestEditMeta(t *testing.T) {
	e := newTestEnv(t)
	g := e.createID(t, "/v1/group", map[string]any{"Name": "g", "Meta": `{"existing": "value", "n": 1}`})
	// As the reference's client sends it: id in the query, path and value
	// in a form. The answer is the group.
	got := do(t, "POST", e.URL+"/v1/group/editMeta"+qs("id", itoa(g)), url.Values{"path": {"address.city"}, "value": {`"Berlin"`}}).
		wantStatus(t, http.StatusOK).object(t)
	want := map[string]any{"existing": "value", "n": int64(1), "address": map[string]any{"city": "Berlin"}}
	if got["ID"] != g || !cmp.Equal(want, got["Meta"]) {
		t.Errorf("editMeta answered %v, want the group with Meta %v", got, want)
	}
	// Everything in the query; objects merge, other values replace.
	do(t, "POST", e.URL+"/v1/group/editMeta"+qs("id", itoa(g), "path", "address.zip", "value", `10115`), nil).wantStatus(t, http.StatusOK)
	do(t, "POST", e.URL+"/v1/group/editMeta"+qs("id", itoa(g), "path", "n", "value", `[1, {"a": null}]`), nil).wantStatus(t, http.StatusOK)
	want = map[string]any{"existing": "value", "n": []any{int64(1), map[string]any{"a": nil}}, "address": map[string]any{"city": "Berlin", "zip": int64(10115)}}
	if diff := cmp.Diff(want, e.get(t, "/v1/group", g)["Meta"]); diff != "" {
		t.Errorf("group Meta (-want +got):\n%s", diff)
	}

	n := e.createID(t, "/v1/note", map[string]any{"Name": "n"})
	got = do(t, "POST", e.URL+"/v1/note/editMeta", map[string]any{"id": n, "path": "status", "value": `"active"`}).wantStatus(t, http.StatusOK).object(t)
	if !cmp.Equal(map[string]any{"status": "active"}, got["Meta"]) {
		t.Errorf("note editMeta answered Meta %v", got["Meta"])
	}

	// A resource: the search index follows, so MetaQuery finds it.
	r := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 3, 3, 1)))
	got = do(t, "POST", e.URL+"/v1/resource/editMeta"+qs("id", itoa(r), "path", "rating", "value", "5"), nil).wantStatus(t, http.StatusOK).object(t)
	if !cmp.Equal(map[string]any{"rating": int64(5)}, got["Meta"]) {
		t.Errorf("resource editMeta answered Meta %v", got["Meta"])
	}
	found := do(t, "GET", e.URL+"/v1/resources"+qs("MetaQuery", "rating:EQ:5"), nil).wantStatus(t, http.StatusOK).array(t)
	if !slices.Equal(ids(t, found), []int64{r}) {
		t.Errorf("MetaQuery rating:EQ:5 found %v, want [%d]", ids(t, found), r)
	}

	before := e.entitySnapshot(t)
	for _, tt := range []struct {
		path, query string
		status      int
		fragment    string
	}{
		{"/v1/group/editMeta", qs("id", itoa(g), "path", "x", "value", "not json"), 400, "value"},
		{"/v1/group/editMeta", qs("id", itoa(g), "path", "x", "value", "1 2"), 400, "value"},
		{"/v1/group/editMeta", qs("id", itoa(g), "path", "existing.deeper", "value", "1"), 400, "existing"},
		{"/v1/group/editMeta", qs("id", itoa(g), "path", "a..b", "value", "1"), 400, "path"},
		{"/v1/group/editMeta", qs("id", itoa(g), "value", "1"), 400, "path"},
		{"/v1/group/editMeta", qs("id", itoa(g), "path", "x"), 400, "value"},
		{"/v1/group/editMeta", qs("id", "999", "path", "x", "value", "1"), 404, "group 999"},
		{"/v1/note/editMeta", qs("id", "999", "path", "x", "value", "1"), 404, "note 999"},
		{"/v1/resource/editMeta", qs("id", "999", "path", "x", "value", "1"), 404, "resource 999"},
		{"/v1/resource/editMeta", qs("path", "x", "value", "1"), 400, "id"},
	} {
		do(t, "POST", e.URL+tt.path+tt.query, nil).wantError(t, tt.status, tt.fragment)
	}
	e.wantSnapshot(t, before)
}

func TestGroupTree(t *testing.T) {
	e := newTestEnv(t)
	cat := e.createID(t, "/v1/category", map[string]any{"Name": "Places"})
	a := e.createID(t, "/v1/group", map[string]any{"Name": "A", "CategoryId": cat})
	b := e.createID(t, "/v1/group", map[string]any{"Name": "B", "OwnerId": a})
	c := e.createID(t, "/v1/group", map[string]any{"Name": "C", "OwnerId": b})
	b2 := e.createID(t, "/v1/group", map[string]any{"Name": "B2", "OwnerId": a})
	lone := e.createID(t, "/v1/group", map[string]any{"Name": "Lone"})

	parents := do(t, "GET", e.URL+"/v1/group/parents"+qs("id", itoa(c)), nil).wantStatus(t, http.StatusOK).array(t)
	if got := ids(t, parents); !slices.Equal(got, []int64{c, b, a}) {
		t.Errorf("parents of C = %v, want [C B A] = %v", got, []int64{c, b, a})
	}
	if got := ids(t, do(t, "GET", e.URL+"/v1/group/parents"+qs("id", itoa(lone)), nil).wantStatus(t, http.StatusOK).array(t)); !slices.Equal(got, []int64{lone}) {
		t.Errorf("parents of a root = %v", got)
	}
	do(t, "GET", e.URL+"/v1/group/parents"+qs("id", "999"), nil).wantError(t, http.StatusNotFound, "group 999")

	node := func(id int64, name, category string, children int64, owner any) map[string]any {
		return map[string]any{"id": id, "name": name, "categoryName": category, "childCount": children, "ownerId": owner}
	}
	children := do(t, "GET", e.URL+"/v1/group/tree/children"+qs("parentId", itoa(a)), nil).wantStatus(t, http.StatusOK).json(t)
	want := []any{node(b, "B", "", 1, a), node(b2, "B2", "", 0, a)}
	if diff := cmp.Diff(want, children); diff != "" {
		t.Errorf("children of A (-want +got):\n%s", diff)
	}
	// The reference's client sends the parent as id.
	if got := do(t, "GET", e.URL+"/v1/group/tree/children"+qs("id", itoa(b)), nil).wantStatus(t, http.StatusOK).json(t); !cmp.Equal([]any{node(c, "C", "", 0, b)}, got) {
		t.Errorf("children of B by id: %v", got)
	}
	roots := do(t, "GET", e.URL+"/v1/group/tree/children", nil).wantStatus(t, http.StatusOK).json(t)
	if diff := cmp.Diff([]any{node(a, "A", "Places", 2, nil), node(lone, "Lone", "", 0, nil)}, roots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
	if got := do(t, "GET", e.URL+"/v1/group/tree/children"+qs("limit", "1"), nil).wantStatus(t, http.StatusOK).array(t); len(got) != 1 {
		t.Errorf("limit 1 gave %d nodes", len(got))
	}
	do(t, "GET", e.URL+"/v1/group/tree/children"+qs("parentId", "999"), nil).wantError(t, http.StatusNotFound, "group 999")
	do(t, "GET", e.URL+"/v1/group/tree/children"+qs("limit", "-1"), nil).wantError(t, http.StatusBadRequest, "limit")
	do(t, "GET", e.URL+"/v1/group/tree/children"+qs("parentId", "x"), nil).wantError(t, http.StatusBadRequest, "parentId")

	// Cycles are refused and change nothing.
	before := e.entitySnapshot(t)
	do(t, "POST", e.URL+"/v1/group", map[string]any{"ID": a, "OwnerId": c}).wantError(t, http.StatusBadRequest, "cycle")
	do(t, "POST", e.URL+"/v1/group", map[string]any{"ID": a, "OwnerId": a, "Name": "renamed too"}).wantError(t, http.StatusBadRequest, "cycle")
	do(t, "POST", e.URL+"/v1/group", map[string]any{"ID": b, "OwnerId": c}).wantError(t, http.StatusBadRequest, "cycle")
	e.wantSnapshot(t, before)
	// Moving a subtree elsewhere is fine.
	if got := e.create(t, "/v1/group", map[string]any{"ID": b, "OwnerId": lone}); got["OwnerId"] != lone {
		t.Errorf("moved B: OwnerId %v", got["OwnerId"])
	}
}

func TestGroupListFilters(t *testing.T) {
	e := newTestEnv(t)
	cat := e.createID(t, "/v1/category", map[string]any{"Name": "cat"})
	t1 := e.createID(t, "/v1/tag", map[string]any{"Name": "t1"})
	t2 := e.createID(t, "/v1/tag", map[string]any{"Name": "t2"})
	top := e.createID(t, "/v1/group", map[string]any{"Name": "Top family", "Meta": `{"rank": 3, "kind": "x"}`})
	mid := e.createID(t, "/v1/group", map[string]any{"Name": "Middle", "OwnerId": top, "CategoryId": cat, "Tags": []int64{t1, t2}, "Meta": `{"rank": 1}`})
	leaf := e.createID(t, "/v1/group", map[string]any{"Name": "Leaf", "OwnerId": mid, "Tags": []int64{t1}, "Meta": `{"rank": 2, "kind": "y"}`, "URL": "https://leaf.example"})
	r := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 3, 3, 1)), fieldPart("OwnerId", itoa(leaf)), fieldPart("Groups", itoa(mid)))
	n := e.createID(t, "/v1/note", map[string]any{"Name": "n", "Groups": []int64{top}})

	list := func(kv ...string) []int64 {
		t.Helper()
		return ids(t, do(t, "GET", e.URL+"/v1/groups"+qs(kv...), nil).wantStatus(t, http.StatusOK).array(t))
	}
	for _, tt := range []struct {
		name  string
		query []string
		want  []int64
	}{
		{"all", nil, []int64{top, mid, leaf}},
		{"OwnerId", []string{"OwnerId", itoa(top)}, []int64{mid}},
		{"CategoryId", []string{"categoryId", itoa(cat)}, []int64{mid}},
		{"Tags all of", []string{"Tags", itoa(t1), "Tags", itoa(t2)}, []int64{mid}},
		{"Tags one", []string{"tags", itoa(t1)}, []int64{mid, leaf}},
		{"Groups: descendants", []string{"Groups", itoa(top)}, []int64{mid, leaf}},
		{"Groups: all of", []string{"Groups", itoa(top), "Groups", itoa(mid)}, []int64{leaf}},
		{"Resources: owner or related", []string{"Resources", itoa(r)}, []int64{mid, leaf}},
		{"Notes", []string{"Notes", itoa(n)}, []int64{top}},
		{"Ids", []string{"Ids", itoa(leaf), "Ids", itoa(top)}, []int64{top, leaf}},
		{"Name", []string{"Name", "middle"}, []int64{mid}},
		{"URL", []string{"URL", "leaf.example"}, []int64{leaf}},
		{"SearchParentsForName", []string{"Name", "family", "SearchParentsForName", "true"}, []int64{top, mid}},
		{"SearchChildrenForName", []string{"Name", "leaf", "SearchChildrenForName", "true"}, []int64{mid, leaf}},
		{"MetaQuery", []string{"MetaQuery", "rank:GT:1"}, []int64{top, leaf}},
		{"MetaQuery EQ or'ed", []string{"MetaQuery", "kind:EQ:x", "MetaQuery", "kind:EQ:y"}, []int64{top, leaf}},
		{"SortBy meta", []string{"SortBy", "meta->>'rank' desc"}, []int64{top, leaf, mid}},
		{"SortBy name", []string{"SortBy", "NAME asc"}, []int64{leaf, mid, top}},
		{"page size", []string{"MaxResults", "2", "page", "2"}, []int64{leaf}},
		{"CreatedBefore", []string{"CreatedBefore", "2000-01-01"}, []int64{}},
		{"CreatedAfter", []string{"createdAfter", "2000-01-01"}, []int64{top, mid, leaf}},
		{"CreatedAfter tomorrow", []string{"CreatedAfter", time.Now().AddDate(0, 0, 2).Format("2006-01-02")}, []int64{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.query...); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, q := range [][]string{
		{"SortBy", "size"}, {"SortBy", "name sideways"}, {"CreatedBefore", "yesterday"}, {"MetaQuery", "rank:XX:1"}, {"OwnerId", "x"}, {"Tags", "-1"}, {"page", "-1"},
	} {
		do(t, "GET", e.URL+"/v1/groups"+qs(q...), nil).wantError(t, http.StatusBadRequest, q[0])
	}
}

func TestGroupClone(t *testing.T) {
	e := newTestEnv(t)
	cat := e.createID(t, "/v1/category", map[string]any{"Name": "cat"})
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "t"})
	parent := e.createID(t, "/v1/group", map[string]any{"Name": "parent"})
	g := e.createID(t, "/v1/group", map[string]any{"Name": "orig", "Description": "d", "URL": "https://x.example", "Meta": `{"a": 1}`,
		"OwnerId": parent, "CategoryId": cat, "Tags": []int64{tag}})
	owned := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 3, 3, 1)), fieldPart("OwnerId", itoa(g)))
	related := e.uploadOK(t, filePart("resource", "b.png", pngBytes(t, 3, 3, 2)), fieldPart("Groups", itoa(g)))
	note := e.createID(t, "/v1/note", map[string]any{"Name": "n", "Groups": []int64{g}})

	clone := do(t, "POST", e.URL+"/v1/group/clone", map[string]any{"ID": g}).wantStatus(t, http.StatusOK).object(t)
	cid := clone["ID"].(int64)
	if cid == g {
		t.Fatal("the clone has the original's ID")
	}
	orig := e.get(t, "/v1/group", g)
	for _, k := range []string{"Name", "Description", "URL", "Meta", "OwnerId", "CategoryId", "Tags", "Owner", "Category"} {
		if !cmp.Equal(orig[k], clone[k]) {
			t.Errorf("clone %s = %v, original %v", k, clone[k], orig[k])
		}
	}
	// Resources and notes are linked, not copied or moved.
	if got := ids(t, do(t, "GET", e.URL+"/v1/resources"+qs("Groups", itoa(cid)), nil).wantStatus(t, http.StatusOK).array(t)); !cmp.Equal([]int64{related, owned}, got) {
		t.Errorf("resources of the clone %v, want %v", got, []int64{related, owned})
	}
	if e.get(t, "/v1/resource", owned)["OwnerId"] != g {
		t.Error("the owned resource changed owner")
	}
	if got := ids(t, do(t, "GET", e.URL+"/v1/notes"+qs("Groups", itoa(cid)), nil).wantStatus(t, http.StatusOK).array(t)); !cmp.Equal([]int64{note}, got) {
		t.Errorf("notes of the clone %v", got)
	}
	before := e.entitySnapshot(t)
	do(t, "POST", e.URL+"/v1/group/clone", map[string]any{"ID": 999}).wantError(t, http.StatusNotFound, "group 999")
	do(t, "POST", e.URL+"/v1/group/clone", nil).wantError(t, http.StatusBadRequest, "id")
	e.wantSnapshot(t, before)
}

func TestGroupBulk(t *testing.T) {
	e := newTestEnv(t)
	t1 := e.createID(t, "/v1/tag", map[string]any{"Name": "t1"})
	t2 := e.createID(t, "/v1/tag", map[string]any{"Name": "t2"})
	g1 := e.createID(t, "/v1/group", map[string]any{"Name": "g1", "Meta": `{"keep": 1, "drop": 2}`})
	g2 := e.createID(t, "/v1/group", map[string]any{"Name": "g2", "Tags": []int64{t1}})
	g3 := e.createID(t, "/v1/group", map[string]any{"Name": "g3"})
	ok := map[string]any{"ok": true}
	post := func(path string, body any) map[string]any {
		t.Helper()
		return do(t, "POST", e.URL+path, body).wantStatus(t, http.StatusOK).object(t)
	}
	tagsOf := func(id int64) []int64 { return ids(t, e.get(t, "/v1/group", id)["Tags"].([]any)) }

	if got := post("/v1/groups/addTags", map[string]any{"ID": []int64{g1, g2}, "EditedId": []int64{t1, t2}}); !cmp.Equal(ok, got) {
		t.Errorf("addTags answered %v", got)
	}
	if got := tagsOf(g2); !slices.Equal(got, []int64{t1, t2}) {
		t.Errorf("g2 tags %v", got)
	}
	// A form, with repeated keys.
	post("/v1/groups/removeTags", url.Values{"ID": {itoa(g1), itoa(g2)}, "EditedId": {itoa(t1)}})
	if got := tagsOf(g1); !slices.Equal(got, []int64{t2}) {
		t.Errorf("g1 tags after removeTags %v", got)
	}
	post("/v1/groups/addMeta", map[string]any{"ID": []int64{g1, g2}, "Meta": `{"drop": null, "new": {"x": 1}}`})
	if got := e.get(t, "/v1/group", g1)["Meta"]; !cmp.Equal(map[string]any{"keep": int64(1), "new": map[string]any{"x": int64(1)}}, got) {
		t.Errorf("g1 meta after addMeta %v", got)
	}
	keys := do(t, "GET", e.URL+"/v1/groups/meta/keys", nil).wantStatus(t, http.StatusOK).json(t)
	if !cmp.Equal([]any{"keep", "new"}, keys) {
		t.Errorf("meta keys %v", keys)
	}

	// Refusals: unknown IDs anywhere change nothing.
	before := e.entitySnapshot(t)
	for _, tt := range []struct {
		path     string
		body     any
		status   int
		fragment string
	}{
		{"/v1/groups/addTags", map[string]any{"ID": []int64{g1, 999}, "EditedId": []int64{t1}}, 404, "group 999"},
		{"/v1/groups/addTags", map[string]any{"ID": []int64{g1}, "EditedId": []int64{t1, 999}}, 404, "tag 999"},
		{"/v1/groups/addTags", map[string]any{"ID": []int64{g1}}, 400, "EditedId"},
		{"/v1/groups/addTags", map[string]any{"EditedId": []int64{t1}}, 400, "ID"},
		{"/v1/groups/removeTags", map[string]any{"ID": []int64{999}, "EditedId": []int64{t2}}, 404, "group 999"},
		{"/v1/groups/addMeta", map[string]any{"ID": []int64{g1, 999}, "Meta": `{"a": 1}`}, 404, "group 999"},
		{"/v1/groups/addMeta", map[string]any{"ID": []int64{g1}, "Meta": `[1]`}, 400, "Meta"},
		{"/v1/groups/addMeta", map[string]any{"ID": []int64{g1}}, 400, "Meta"},
		{"/v1/groups/delete", map[string]any{"ID": []int64{g1, 999}}, 404, "group 999"},
		{"/v1/groups/delete", map[string]any{}, 400, "ID"},
		{"/v1/groups/merge", map[string]any{"Winner": g1, "Losers": []int64{g2, 999}}, 404, "group 999"},
		{"/v1/groups/merge", map[string]any{"Winner": 999, "Losers": []int64{g2}}, 404, "group 999"},
		{"/v1/groups/merge", map[string]any{"Winner": g1, "Losers": []int64{g1}}, 400, "winner"},
		{"/v1/groups/merge", map[string]any{"Winner": g1}, 400, "Losers"},
	} {
		do(t, "POST", e.URL+tt.path, tt.body).wantError(t, tt.status, tt.fragment)
	}
	e.wantSnapshot(t, before)

	if got := post("/v1/groups/delete", map[string]any{"ID": []int64{g3}}); !cmp.Equal(ok, got) {
		t.Errorf("delete answered %v", got)
	}
	do(t, "GET", e.URL+"/v1/group"+qs("id", itoa(g3)), nil).wantError(t, http.StatusNotFound)
}

func TestGroupMerge(t *testing.T) {
	e := newTestEnv(t)
	t1 := e.createID(t, "/v1/tag", map[string]any{"Name": "t1"})
	t2 := e.createID(t, "/v1/tag", map[string]any{"Name": "t2"})
	root := e.createID(t, "/v1/group", map[string]any{"Name": "root"})
	loser := e.createID(t, "/v1/group", map[string]any{"Name": "loser", "OwnerId": root, "Tags": []int64{t2}, "Meta": `{"a": "loser", "b": 2}`})
	winner := e.createID(t, "/v1/group", map[string]any{"Name": "winner", "OwnerId": loser, "Tags": []int64{t1}, "Meta": `{"a": "winner"}`})
	child := e.createID(t, "/v1/group", map[string]any{"Name": "child of loser", "OwnerId": loser})
	owned := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 3, 3, 1)), fieldPart("OwnerId", itoa(loser)))
	related := e.uploadOK(t, filePart("resource", "b.png", pngBytes(t, 3, 3, 2)), fieldPart("Groups", itoa(loser)))
	note := e.createID(t, "/v1/note", map[string]any{"Name": "n", "Groups": []int64{loser}, "OwnerId": loser})

	do(t, "POST", e.URL+"/v1/groups/merge", map[string]any{"Winner": winner, "Losers": []int64{loser}}).wantStatus(t, http.StatusOK)
	do(t, "GET", e.URL+"/v1/group"+qs("id", itoa(loser)), nil).wantError(t, http.StatusNotFound)
	w := e.get(t, "/v1/group", winner)
	if got := ids(t, w["Tags"].([]any)); !slices.Equal(got, []int64{t1, t2}) {
		t.Errorf("winner tags %v", got)
	}
	if !cmp.Equal(map[string]any{"a": "winner", "b": int64(2)}, w["Meta"]) {
		t.Errorf("winner meta %v", w["Meta"])
	}
	// The winner was the loser's child: it is not made its own child, and
	// loses its parent with the loser.
	if w["OwnerId"] != nil {
		t.Errorf("winner OwnerId %v", w["OwnerId"])
	}
	if got := e.get(t, "/v1/group", child)["OwnerId"]; got != winner {
		t.Errorf("loser's child now owned by %v, want the winner", got)
	}
	if got := e.get(t, "/v1/resource", owned)["OwnerId"]; got != winner {
		t.Errorf("loser's resource now owned by %v", got)
	}
	if got := ids(t, do(t, "GET", e.URL+"/v1/resources"+qs("Groups", itoa(winner)), nil).wantStatus(t, http.StatusOK).array(t)); !slices.Contains(got, related) {
		t.Errorf("related resource not moved: %v", got)
	}
	if n := e.get(t, "/v1/note", note); n["OwnerId"] != winner || !slices.Equal(ids(t, n["Groups"].([]any)), []int64{winner}) {
		t.Errorf("note after merge: owner %v, groups %v", n["OwnerId"], n["Groups"])
	}
}

func TestNoteBulkAndFilters(t *testing.T) {
	e := newTestEnv(t)
	t1 := e.createID(t, "/v1/tag", map[string]any{"Name": "t1"})
	g := e.createID(t, "/v1/group", map[string]any{"Name": "g"})
	nt := e.createID(t, "/v1/note/noteType", map[string]any{"Name": "memo"})
	n1 := e.createID(t, "/v1/note", map[string]any{"Name": "first", "NoteTypeId": nt, "Meta": `{"k": 1}`})
	n2 := e.createID(t, "/v1/note", map[string]any{"Name": "second", "OwnerId": g})
	if got := e.get(t, "/v1/note", n1)["NoteTypeId"]; got != nt {
		t.Errorf("NoteTypeId %v, want %d", got, nt)
	}
	list := func(kv ...string) []int64 {
		t.Helper()
		return ids(t, do(t, "GET", e.URL+"/v1/notes"+qs(kv...), nil).wantStatus(t, http.StatusOK).array(t))
	}
	post := func(path string, body any) {
		t.Helper()
		if got := do(t, "POST", e.URL+path, body).wantStatus(t, http.StatusOK).object(t); !cmp.Equal(map[string]any{"ok": true}, got) {
			t.Errorf("%s answered %v", path, got)
		}
	}
	post("/v1/notes/addTags", map[string]any{"ID": []int64{n1, n2}, "EditedId": []int64{t1}})
	if got := list("tags", itoa(t1)); !slices.Equal(got, []int64{n1, n2}) {
		t.Errorf("notes with t1 %v", got)
	}
	post("/v1/notes/removeTags", map[string]any{"ID": []int64{n2}, "EditedId": []int64{t1}})
	if got := list("Tags", itoa(t1)); !slices.Equal(got, []int64{n1}) {
		t.Errorf("notes with t1 after removeTags %v", got)
	}
	post("/v1/notes/addGroups", map[string]any{"ID": []int64{n1}, "EditedId": []int64{g}})
	if got := list("Groups", itoa(g)); !slices.Equal(got, []int64{n1, n2}) {
		t.Errorf("notes of g (related or owned) %v", got)
	}
	post("/v1/notes/addMeta", map[string]any{"ID": []int64{n1, n2}, "Meta": `{"m": "x"}`})
	if got := list("MetaQuery", "k:1"); !slices.Equal(got, []int64{n1}) {
		t.Errorf("MetaQuery k:1 %v", got)
	}
	if got := list("NoteTypeId", itoa(nt)); !slices.Equal(got, []int64{n1}) {
		t.Errorf("NoteTypeId filter %v", got)
	}
	if got := list("OwnerId", itoa(g)); !slices.Equal(got, []int64{n2}) {
		t.Errorf("OwnerId filter %v", got)
	}
	if got := list("CreatedBefore", "2000-01-01"); len(got) != 0 {
		t.Errorf("notes created before 2000: %v", got)
	}
	if got := list("SortBy", "name desc"); !slices.Equal(got, []int64{n2, n1}) {
		t.Errorf("SortBy name desc %v", got)
	}
	if keys := do(t, "GET", e.URL+"/v1/notes/meta/keys", nil).wantStatus(t, http.StatusOK).json(t); !cmp.Equal([]any{"k", "m"}, keys) {
		t.Errorf("note meta keys %v", keys)
	}

	before := e.entitySnapshot(t)
	for _, tt := range []struct {
		path     string
		body     any
		status   int
		fragment string
	}{
		{"/v1/notes/addTags", map[string]any{"ID": []int64{n1, 999}, "EditedId": []int64{t1}}, 404, "note 999"},
		{"/v1/notes/addGroups", map[string]any{"ID": []int64{n1}, "EditedId": []int64{999}}, 404, "group 999"},
		{"/v1/notes/addMeta", map[string]any{"ID": []int64{n2, 999}, "Meta": `{"z": 1}`}, 404, "note 999"},
		{"/v1/notes/delete", map[string]any{"ID": []int64{n1, 999}}, 404, "note 999"},
		{"/v1/note", map[string]any{"Name": "x", "NoteTypeId": 999}, 404, "note type 999"},
	} {
		do(t, "POST", e.URL+tt.path, tt.body).wantError(t, tt.status, tt.fragment)
	}
	e.wantSnapshot(t, before)

	post("/v1/notes/delete", map[string]any{"ID": []int64{n1, n2}})
	if got := list(); len(got) != 0 {
		t.Errorf("notes after delete %v", got)
	}
}

func TestTagsMergeAndDelete(t *testing.T) {
	e := newTestEnv(t)
	win := e.createID(t, "/v1/tag", map[string]any{"Name": "win", "Meta": `{"a": 1}`})
	lose := e.createID(t, "/v1/tag", map[string]any{"Name": "lose", "Meta": `{"a": 2, "b": 3}`})
	other := e.createID(t, "/v1/tag", map[string]any{"Name": "other"})
	r := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 3, 3, 1)), fieldPart("Tags", itoa(lose)))
	r2 := e.uploadOK(t, filePart("resource", "b.png", pngBytes(t, 3, 3, 2)), fieldPart("Tags", itoa(lose)), fieldPart("Tags", itoa(win)))
	g := e.createID(t, "/v1/group", map[string]any{"Name": "g", "Tags": []int64{lose}})
	n := e.createID(t, "/v1/note", map[string]any{"Name": "n", "Tags": []int64{lose}})

	before := e.entitySnapshot(t)
	do(t, "POST", e.URL+"/v1/tags/merge", map[string]any{"Winner": win, "Losers": []int64{lose, 999}}).wantError(t, http.StatusNotFound, "tag 999")
	do(t, "POST", e.URL+"/v1/tags/delete", map[string]any{"ID": []int64{other, 999}}).wantError(t, http.StatusNotFound, "tag 999")
	e.wantSnapshot(t, before)

	do(t, "POST", e.URL+"/v1/tags/merge", map[string]any{"Winner": win, "Losers": []int64{lose}}).wantStatus(t, http.StatusOK)
	do(t, "GET", e.URL+"/v1/tag"+qs("id", itoa(lose)), nil).wantError(t, http.StatusNotFound)
	if got := ids(t, do(t, "GET", e.URL+"/v1/resources"+qs("Tags", itoa(win)), nil).wantStatus(t, http.StatusOK).array(t)); !slices.Equal(got, []int64{r2, r}) {
		t.Errorf("resources tagged with the winner %v", got)
	}
	if got := ids(t, e.get(t, "/v1/group", g)["Tags"].([]any)); !slices.Equal(got, []int64{win}) {
		t.Errorf("group tags %v", got)
	}
	if got := ids(t, e.get(t, "/v1/note", n)["Tags"].([]any)); !slices.Equal(got, []int64{win}) {
		t.Errorf("note tags %v", got)
	}
	if got := e.get(t, "/v1/tag", win)["Meta"]; !cmp.Equal(map[string]any{"a": int64(1), "b": int64(3)}, got) {
		t.Errorf("winner meta %v", got)
	}
	do(t, "POST", e.URL+"/v1/tags/delete", url.Values{"ID": {itoa(other), itoa(win)}}).wantStatus(t, http.StatusOK)
	if got := do(t, "GET", e.URL+"/v1/tags", nil).wantStatus(t, http.StatusOK).array(t); len(got) != 0 {
		t.Errorf("tags after delete: %v", got)
	}
}

func TestRemoveSeries(t *testing.T) {
	e := newTestEnv(t)
	r := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 3, 3, 1)), fieldPart("SeriesSlug", "trip"))
	if e.get(t, "/v1/resource", r)["SeriesId"] == nil {
		t.Fatal("the upload is in no series")
	}
	got := do(t, "POST", e.URL+"/v1/resource/removeSeries"+qs("id", itoa(r)), nil).wantStatus(t, http.StatusOK).object(t)
	if got["ID"] != r || got["SeriesId"] != nil {
		t.Errorf("removeSeries answered ID %v SeriesId %v", got["ID"], got["SeriesId"])
	}
	// Again: nothing to take it out of, still fine.
	do(t, "POST", e.URL+"/v1/resource/removeSeries"+qs("id", itoa(r)), nil).wantStatus(t, http.StatusOK)
	before := e.entitySnapshot(t)
	do(t, "POST", e.URL+"/v1/resource/removeSeries"+qs("id", "999"), nil).wantError(t, http.StatusNotFound, "resource 999")
	do(t, "POST", e.URL+"/v1/resource/removeSeries", nil).wantError(t, http.StatusBadRequest, "id")
	e.wantSnapshot(t, before)
}

func TestNoteTypes(t *testing.T) {
	e := newTestEnv(t)
	nt := e.create(t, "/v1/note/noteType", map[string]any{"Name": "memo", "Description": "short", "MetaSchema": `{"type": "object"}`})
	id := nt["ID"].(int64)
	if nt["Name"] != "memo" || nt["Description"] != "short" || nt["MetaSchema"] != `{"type": "object"}` {
		t.Errorf("created %v", nt)
	}
	// Update with ID, on either path; absent fields stay.
	e.create(t, "/v1/note/noteType", map[string]any{"ID": id, "Name": "memo 2"})
	e.create(t, "/v1/note/noteType/edit", map[string]any{"ID": id, "Description": "longer"})
	got := e.get(t, "/v1/note/noteType", id)
	if got["Name"] != "memo 2" || got["Description"] != "longer" || got["MetaSchema"] != `{"type": "object"}` {
		t.Errorf("after updates %v", got)
	}
	other := e.createID(t, "/v1/note/noteType", map[string]any{"Name": "letter"})
	if got := ids(t, do(t, "GET", e.URL+"/v1/note/noteTypes"+qs("name", "LETT"), nil).wantStatus(t, http.StatusOK).array(t)); !slices.Equal(got, []int64{other}) {
		t.Errorf("list by name %v", got)
	}
	before := e.entitySnapshot(t)
	for _, tt := range []struct {
		path     string
		body     any
		status   int
		fragment string
	}{
		{"/v1/note/noteType", map[string]any{}, 400, "Name"},
		{"/v1/note/noteType", map[string]any{"Name": "x", "MetaSchema": "[1]"}, 400, "MetaSchema"},
		{"/v1/note/noteType", map[string]any{"ID": 999, "Name": "x"}, 404, "note type 999"},
		{"/v1/note/noteType/delete" + qs("Id", "999"), nil, 404, "note type 999"},
	} {
		do(t, "POST", e.URL+tt.path, tt.body).wantError(t, tt.status, tt.fragment)
	}
	e.wantSnapshot(t, before)
	// Deleting a type keeps its notes, untyped.
	n := e.createID(t, "/v1/note", map[string]any{"Name": "n", "NoteTypeId": id})
	do(t, "POST", e.URL+"/v1/note/noteType/delete"+qs("Id", itoa(id)), nil).wantStatus(t, http.StatusOK)
	do(t, "GET", e.URL+"/v1/note/noteType"+qs("id", itoa(id)), nil).wantError(t, http.StatusNotFound)
	if got := e.get(t, "/v1/note", n)["NoteTypeId"]; got != nil {
		t.Errorf("note keeps NoteTypeId %v", got)
	}
}
