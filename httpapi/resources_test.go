package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestGetResource(t *testing.T) {
	e := newTestEnv(t)
	content := []byte("get me\n")
	id := e.uploadOK(t, filePart("resource", "get.txt", content))
	for _, key := range []string{"id", "ID", "Id", "resourceId", "RESOURCEID"} {
		t.Run(key, func(t *testing.T) {
			got := do(t, "GET", e.URL+"/v1/resource"+qs(key, itoa(id)), nil).wantStatus(t, http.StatusOK).object(t)
			if got["ID"] != id || got["Hash"] != sha256Hex(content) {
				t.Errorf("got ID %v Hash %v", got["ID"], got["Hash"])
			}
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		r := do(t, "HEAD", e.URL+"/v1/resource"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusOK)
		if len(r.Body) != 0 {
			t.Errorf("HEAD answered a body: %q", r.Body)
		}
	})
	errs := []struct {
		name, query string
		status      int
		fragment    string
	}{
		{"unknown", qs("id", "999"), 404, "resource 999 not found"},
		{"missing", "", 400, "id"},
		{"empty", qs("id", ""), 400, "id"},
		{"not a number", qs("id", "abc"), 400, "id"},
		{"zero", qs("id", "0"), 400, "id"},
		{"negative", qs("id", "-1"), 400, "id"},
		{"fraction", qs("id", "1.5"), 400, "id"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			do(t, "GET", e.URL+"/v1/resource"+tt.query, nil).wantError(t, tt.status, tt.fragment)
		})
	}
}

// editFixture is a resource with every relation set, and spare entities.
type editFixture struct {
	id                   int64
	tag1, tag2, tag3     int64
	owner, group, note   int64
	otherOwner           int64
	resourceCategoryID   int64
	originalDescription  string
	originalMetaExpected map[string]any
}

func newEditFixture(t *testing.T, e *testEnv) *editFixture {
	t.Helper()
	f := &editFixture{
		tag1:                e.createID(t, "/v1/tag", map[string]any{"Name": "one"}),
		tag2:                e.createID(t, "/v1/tag", map[string]any{"Name": "two"}),
		tag3:                e.createID(t, "/v1/tag", map[string]any{"Name": "three"}),
		owner:               e.createID(t, "/v1/group", map[string]any{"Name": "owner"}),
		otherOwner:          e.createID(t, "/v1/group", map[string]any{"Name": "other owner"}),
		group:               e.createID(t, "/v1/group", map[string]any{"Name": "related"}),
		note:                e.createID(t, "/v1/note", map[string]any{"Name": "note"}),
		resourceCategoryID:  e.createID(t, "/v1/resourceCategory", map[string]any{"Name": "docs"}),
		originalDescription: "original description",
	}
	f.id = e.uploadOK(t,
		filePart("resource", "edit.txt", []byte("edit me\n")),
		fieldPart("Description", f.originalDescription),
		fieldPart("Tags", itoa(f.tag1)), fieldPart("Tags", itoa(f.tag2)),
		fieldPart("OwnerId", itoa(f.owner)),
		fieldPart("Groups", itoa(f.group)),
		fieldPart("Notes", itoa(f.note)),
		fieldPart("ResourceCategoryId", itoa(f.resourceCategoryID)),
		fieldPart("Meta", `{"keep": "me", "n": 1}`),
	)
	return f
}

// resourceSummary is what the edit tests compare.
type resourceSummary struct {
	Name, Description, OriginalName   string
	OwnerId, ResourceCategoryId       any
	Tags, Groups, Notes               []int64
	Meta                              any
	Width, Height                     int64
	ContentType, Hash                 string
	OriginalLocation, ContentCategory string
}

func summarize(t *testing.T, m map[string]any) resourceSummary {
	t.Helper()
	return resourceSummary{
		Name: m["Name"].(string), Description: m["Description"].(string), OriginalName: m["OriginalName"].(string),
		OwnerId: m["OwnerId"], ResourceCategoryId: m["ResourceCategoryId"],
		Tags: idsSorted(t, m["Tags"]), Groups: idsSorted(t, m["Groups"]), Notes: idsSorted(t, m["Notes"]),
		Meta: m["Meta"], Width: m["Width"].(int64), Height: m["Height"].(int64),
		ContentType: m["ContentType"].(string), Hash: m["Hash"].(string),
		OriginalLocation: m["OriginalLocation"].(string), ContentCategory: m["ContentCategory"].(string),
	}
}

func (e *testEnv) getResource(t *testing.T, id int64) map[string]any {
	t.Helper()
	return do(t, "GET", e.URL+"/v1/resource"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusOK).object(t)
}

func TestEditResource(t *testing.T) {
	tests := []struct {
		name string
		// send returns the request to make for the fixture.
		send   func(f *editFixture) (method, path string, body any)
		change func(f *editFixture, s *resourceSummary)
	}{
		{
			name: "JSON",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", map[string]any{
					"ID": f.id, "Name": "renamed", "Tags": []int64{f.tag3}, "Meta": map[string]any{"new": true},
				}
			},
			change: func(f *editFixture, s *resourceSummary) {
				s.Name, s.Tags, s.Meta = "renamed", []int64{f.tag3}, map[string]any{"new": true}
			},
		},
		{
			name: "JSON Meta as a string, lower-case keys",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", map[string]any{"id": f.id, "meta": `{"s": "x"}`, "description": ""}
			},
			change: func(f *editFixture, s *resourceSummary) { s.Meta, s.Description = map[string]any{"s": "x"}, "" },
		},
		{
			name: "JSON empty arrays clear the sets",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", map[string]any{"Id": f.id, "Tags": []int64{}, "Groups": []int64{}, "Notes": []int64{}}
			},
			change: func(f *editFixture, s *resourceSummary) { s.Tags, s.Groups, s.Notes = []int64{}, []int64{}, []int64{} },
		},
		{
			name: "JSON OwnerId 0 clears the owner",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", map[string]any{"ID": f.id, "OwnerId": 0, "ResourceCategoryId": 0}
			},
			change: func(f *editFixture, s *resourceSummary) { s.OwnerId, s.ResourceCategoryId = nil, nil },
		},
		{
			name: "JSON only the ID changes nothing",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", map[string]any{"ID": f.id}
			},
			change: func(*editFixture, *resourceSummary) {},
		},
		{
			name: "form",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", url.Values{
					"ID": {itoa(f.id)}, "Description": {"from a form"}, "Tags": {itoa(f.tag2), itoa(f.tag3)},
					"OwnerId": {itoa(f.otherOwner)}, "Width": {"640"}, "Height": {"480"},
				}
			},
			change: func(f *editFixture, s *resourceSummary) {
				s.Description, s.Tags, s.OwnerId = "from a form", sortedIDs(f.tag2, f.tag3), f.otherOwner
				s.Width, s.Height = 640, 480
			},
		},
		{
			name: "form empty Tags clears them",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit", url.Values{"id": {itoa(f.id)}, "Tags": {""}, "Meta": {`{"f": 1}`}}
			},
			change: func(f *editFixture, s *resourceSummary) { s.Tags, s.Meta = []int64{}, map[string]any{"f": int64(1)} },
		},
		{
			name: "query",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit" + qs("ID", itoa(f.id), "originalName", "q.txt", "OriginalLocation", "/q", "Notes", ""), nil
			},
			change: func(f *editFixture, s *resourceSummary) {
				s.OriginalName, s.OriginalLocation, s.Notes = "q.txt", "/q", []int64{}
			},
		},
		{
			name: "query ID, JSON fields",
			send: func(f *editFixture) (string, string, any) {
				return "POST", "/v1/resource/edit" + qs("id", itoa(f.id)), map[string]any{"Name": "mixed", "Groups": []int64{}}
			},
			change: func(f *editFixture, s *resourceSummary) { s.Name, s.Groups = "mixed", []int64{} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			f := newEditFixture(t, e)
			want := summarize(t, e.getResource(t, f.id))
			tt.change(f, &want)
			method, path, body := tt.send(f)
			answer := do(t, method, e.URL+path, body).wantStatus(t, http.StatusOK).object(t)
			if diff := cmp.Diff(want, summarize(t, answer)); diff != "" {
				t.Errorf("edit answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, summarize(t, e.getResource(t, f.id))); diff != "" {
				t.Errorf("stored after edit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEditResourceErrors(t *testing.T) {
	e := newTestEnv(t)
	f := newEditFixture(t, e)
	before := summarize(t, e.getResource(t, f.id))
	tests := []struct {
		name      string
		body      any
		status    int
		fragments []string
	}{
		{"unknown resource", map[string]any{"ID": 999, "Name": "x"}, 404, []string{"resource 999"}},
		{"no ID", map[string]any{"Name": "x"}, 400, []string{"id"}},
		{"unknown tag", map[string]any{"ID": f.id, "Name": "x", "Tags": []int64{f.tag1, 999}}, 404, []string{"tag 999"}},
		{"unknown owner", map[string]any{"ID": f.id, "Name": "x", "OwnerId": 999}, 404, []string{"group 999"}},
		{"Meta array", map[string]any{"ID": f.id, "Name": "x", "Meta": []int{1}}, 400, []string{"Meta"}},
		{"Meta malformed string", map[string]any{"ID": f.id, "Name": "x", "Meta": `{"a":`}, 400, []string{"Meta"}},
		{"OwnerId text", map[string]any{"ID": f.id, "OwnerId": "abc"}, 400, []string{"OwnerId"}},
		{"negative Width", map[string]any{"ID": f.id, "Width": -1}, 400, []string{"Width"}},
		{"Tags object", map[string]any{"ID": f.id, "Tags": map[string]any{"a": 1}}, 400, []string{"Tags"}},
		{"not an object", []int{1, 2}, 400, nil},
		{"malformed JSON", `{"ID": 1,`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(t, "POST", e.URL+"/v1/resource/edit", tt.body)
			r.Header.Set("Content-Type", "application/json")
			send(t, r).wantError(t, tt.status, tt.fragments...)
			if diff := cmp.Diff(before, summarize(t, e.getResource(t, f.id))); diff != "" {
				t.Errorf("a failed edit changed the resource (-before +after):\n%s", diff)
			}
		})
	}
}

func TestEditNameAndDescription(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadOK(t, filePart("resource", "inline.txt", []byte("inline\n")), fieldPart("Description", "old"))
	tests := []struct {
		name, path string
		body       any
		field      string
		want       string
	}{
		{"name form", "/v1/resource/editName" + qs("id", itoa(id)), url.Values{"Name": {"form name"}}, "Name", "form name"},
		{"name JSON", "/v1/resource/editName" + qs("ID", itoa(id)), map[string]any{"name": "json name"}, "Name", "json name"},
		{"name query", "/v1/resource/editName" + qs("Id", itoa(id), "NAME", "query name"), nil, "Name", "query name"},
		{"description form", "/v1/resource/editDescription" + qs("id", itoa(id)), url.Values{"Description": {"form desc"}}, "Description", "form desc"},
		{"description JSON", "/v1/resource/editDescription" + qs("id", itoa(id)), map[string]any{"Description": "json desc"}, "Description", "json desc"},
		{"description empty", "/v1/resource/editDescription" + qs("id", itoa(id)), url.Values{"description": {""}}, "Description", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, "POST", e.URL+tt.path, tt.body).wantStatus(t, http.StatusOK).object(t)
			if diff := cmp.Diff(map[string]any{"id": id, "ok": true}, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if v := e.getResource(t, id)[tt.field]; v != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, v, tt.want)
			}
		})
	}
	errs := []struct {
		name, path string
		body       any
		status     int
		fragment   string
	}{
		{"no value", "/v1/resource/editName" + qs("id", itoa(id)), url.Values{}, 400, "Name"},
		{"no id", "/v1/resource/editName", url.Values{"Name": {"x"}}, 400, "id"},
		{"unknown id", "/v1/resource/editDescription" + qs("id", "999"), url.Values{"Description": {"x"}}, 404, "resource 999"},
		{"GET", "/v1/resource/editName" + qs("id", itoa(id), "Name", "x"), nil, 405, "GET"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if tt.name == "GET" {
				method = "GET"
			}
			do(t, method, e.URL+tt.path, tt.body).wantError(t, tt.status, tt.fragment)
		})
	}
}

func TestDeleteResource(t *testing.T) {
	e := newTestEnv(t)
	keep := e.uploadOK(t, filePart("resource", "keep.txt", []byte("keep\n")))
	before := e.state(t)
	gone := e.uploadOK(t, filePart("resource", "gone.png", pngBytes(t, 4, 4, 9)))
	got := do(t, "POST", e.URL+"/v1/resource/delete"+qs("Id", itoa(gone)), nil).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"ID": gone}, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	e.wantUnchanged(t, before) // row, version and blob are gone
	do(t, "GET", e.URL+"/v1/resource"+qs("id", itoa(gone)), nil).wantError(t, http.StatusNotFound)
	do(t, "POST", e.URL+"/v1/resource/delete"+qs("Id", itoa(gone)), nil).wantError(t, http.StatusNotFound, "resource")
	do(t, "POST", e.URL+"/v1/resource/delete", nil).wantError(t, http.StatusBadRequest, "id")
	// The ID in a JSON body or a form works too.
	do(t, "POST", e.URL+"/v1/resource/delete", url.Values{"ID": {itoa(keep)}}).wantStatus(t, http.StatusOK)
	if n := len(e.state(t).Blobs); n != 0 {
		t.Errorf("%d blobs left after deleting everything", n)
	}
}

func TestDeleteResources(t *testing.T) {
	e := newTestEnv(t)
	var idList []int64
	for i := range 4 {
		idList = append(idList, e.uploadOK(t, filePart("resource", fmt.Sprintf("%d.txt", i), []byte(fmt.Sprintf("content %d\n", i)))))
	}
	before := e.state(t)
	// One unknown ID: nothing is deleted.
	do(t, "POST", e.URL+"/v1/resources/delete", map[string]any{"ID": []int64{idList[0], 999}}).wantError(t, http.StatusNotFound, "999")
	e.wantUnchanged(t, before)
	do(t, "POST", e.URL+"/v1/resources/delete", map[string]any{"ID": []int64{}}).wantError(t, http.StatusBadRequest, "ID")
	do(t, "POST", e.URL+"/v1/resources/delete", map[string]any{"ID": []any{"x"}}).wantError(t, http.StatusBadRequest, "ID")
	e.wantUnchanged(t, before)

	got := do(t, "POST", e.URL+"/v1/resources/delete", map[string]any{"ID": []int64{idList[0], idList[1]}}).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"ok": true}, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	do(t, "POST", e.URL+"/v1/resources/delete", url.Values{"id": {itoa(idList[2])}}).wantStatus(t, http.StatusOK)
	if diff := cmp.Diff([]int64{idList[3]}, e.resourceIDs(t)); diff != "" {
		t.Errorf("resources left (-want +got):\n%s", diff)
	}
	if n := len(e.blobs(t)); n != 1 {
		t.Errorf("%d blobs left, want 1", n)
	}
}

func TestViewResource(t *testing.T) {
	e := newTestEnv(t)
	img := pngBytes(t, 5, 5, 4)
	id := e.uploadOK(t, filePart("resource", "view.png", img))
	hash := sha256Hex(img)
	for _, key := range []string{"id", "ID"} {
		r := do(t, "GET", e.URL+"/v1/resource/view"+qs(key, itoa(id)), nil).wantStatus(t, http.StatusFound)
		want := "/files/" + hash[:2] + "/" + hash[2:4] + "/" + hash + ".png"
		if loc := r.Header.Get("Location"); loc != want {
			t.Errorf("Location %q, want %q", loc, want)
		}
	}
	do(t, "GET", e.URL+"/v1/resource/view"+qs("id", "999"), nil).wantError(t, http.StatusNotFound)
	do(t, "GET", e.URL+"/v1/resource/view", nil).wantError(t, http.StatusBadRequest)
}
