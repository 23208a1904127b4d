package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/resources"
)

// TestScopedUser is the role table's rows for a user scoped to a group:
// each write family inside its scope (the group or one under it) and
// outside it. A refused write answers 403 naming the role and changes
// nothing at all; reads stay open.
func TestScopedUser(t *testing.T) {
	e := newAuthEnv(t, true, httpapi.AccessConfig{})
	e.addUsers(t)
	ctx := context.Background()
	s := e.Lib.Store
	scope := e.scope
	group := func(name string, parent *int64) int64 {
		t.Helper()
		g, err := s.SaveGroup(ctx, resources.GroupInput{Name: &name, OwnerID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	child := group("child", &scope)
	grandchild := group("grandchild", &child)
	other := group("other", nil)
	owned := func(content string, owner int64) int64 {
		t.Helper()
		r, err := s.Create(ctx, strings.NewReader(content), resources.CreateInput{Name: content, OwnerID: &owner})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	in, deep, out := owned("inside", child), owned("deep inside", grandchild), owned("outside", other)
	tagName := "t"
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: &tagName})
	if err != nil {
		t.Fatal(err)
	}
	noteName := "theirs"
	noteOut, err := s.SaveNote(ctx, resources.NoteInput{Name: &noteName, OwnerID: &other})
	if err != nil {
		t.Fatal(err)
	}

	// state is everything a write could change, as the API shows it.
	state := func() []string {
		t.Helper()
		var all []string
		for _, p := range []string{"/v1/resources?pageSize=100", "/v1/groups?pageSize=100", "/v1/notes?pageSize=100", "/v1/tags"} {
			r := call(t, nil, "GET", e.URL+p, bearer(e.tokens["admin"]), "")
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: status %d: %s", p, r.Status, r.Body)
			}
			all = append(all, string(r.Body))
		}
		for _, id := range []int64{in, deep, out} {
			r := call(t, nil, "GET", e.URL+fmt.Sprintf("/v1/resource/versions?resourceId=%d", id), bearer(e.tokens["admin"]), "")
			all = append(all, string(r.Body))
		}
		return all
	}
	upload := func(fields ...string) (string, string) {
		var parts []mpPart
		for i := 0; i+1 < len(fields); i += 2 {
			parts = append(parts, fieldPart(fields[i], fields[i+1]))
		}
		body, ct := multipartBody(t, append(parts, filePart("resource", "new.txt", []byte("new "+strings.Join(fields, ","))))...)
		return string(body), ct
	}
	version := func(id int64) (string, string) {
		body, ct := multipartBody(t, fieldPart("resourceId", fmt.Sprint(id)), filePart("file", "v.txt", []byte(fmt.Sprint("version of ", id))))
		return string(body), ct
	}
	form := func(f string, args ...any) (string, string) { return fmt.Sprintf(f, args...), "" }
	// ownerOf answers the OwnerId of the entity a 200 answered.
	ownerOf := func(r *response) any { return r.object(t)["OwnerId"] }

	type row struct {
		name, path string
		body, ct   string
		want       int
		owner      int64 // when > 0, the OwnerId the answer must show
	}
	rowOf := func(name, path string, want int, body func() (string, string)) row {
		b, ct := body()
		return row{name: name, path: path, body: b, ct: ct, want: want}
	}
	withOwner := func(r row, owner int64) row { r.owner = owner; return r }
	rows := []row{
		rowOf("edit a resource in a child group", "/v1/resource/edit", 200, func() (string, string) { return form("id=%d&description=mine", in) }),
		rowOf("edit a resource two levels down", "/v1/resource/edit", 200, func() (string, string) { return form("id=%d&description=mine", deep) }),
		rowOf("edit a resource outside", "/v1/resource/edit", 403, func() (string, string) { return form("id=%d&description=mine", out) }),
		rowOf("move a resource out", "/v1/resource/edit", 403, func() (string, string) { return form("id=%d&OwnerId=%d", in, other) }),
		rowOf("leave a resource without owner", "/v1/resource/edit", 403, func() (string, string) { return form("id=%d&OwnerId=0", in) }),
		withOwner(rowOf("move a resource within", "/v1/resource/edit", 200, func() (string, string) { return form("id=%d&OwnerId=%d", deep, child) }), child),
		rowOf("rename a resource outside", "/v1/resource/editName", 403, func() (string, string) { return form("id=%d&name=mine", out) }),
		rowOf("edit the meta of a resource outside", "/v1/resource/editMeta", 403, func() (string, string) { return form(`id=%d&path=k&value="v"`, out) }),
		withOwner(rowOf("upload into a child group", "/v1/resource", 200, func() (string, string) { return upload("OwnerId", fmt.Sprint(child)) }), child),
		withOwner(rowOf("upload without an owner lands in the scope group", "/v1/resource", 200, func() (string, string) { return upload() }), scope),
		rowOf("upload outside", "/v1/resource", 403, func() (string, string) { return upload("OwnerId", fmt.Sprint(other)) }),
		rowOf("upload outside, owner after the file", "/v1/resource", 403, func() (string, string) {
			body, ct := multipartBody(t, filePart("resource", "late.txt", []byte("late owner")), fieldPart("OwnerId", fmt.Sprint(other)))
			return string(body), ct
		}),
		rowOf("new version inside", "/v1/resource/versions", 200, func() (string, string) { return version(in) }),
		rowOf("new version outside", "/v1/resource/versions", 403, func() (string, string) { return version(out) }),
		rowOf("tag many inside", "/v1/resources/addTags", 200, func() (string, string) { return form("ID=%d,%d&EditedId=%d", in, deep, tag.ID) }),
		rowOf("tag many, one outside", "/v1/resources/addTags", 403, func() (string, string) { return form("ID=%d,%d&EditedId=%d", deep, out, tag.ID) }),
		rowOf("untag many, one outside", "/v1/resources/removeTags", 403, func() (string, string) { return form("ID=%d,%d&EditedId=%d", in, out, tag.ID) }),
		rowOf("meta on many, one outside", "/v1/resources/addMeta", 403, func() (string, string) { return form(`{"ID":[%d,%d],"Meta":{"k":"v"}}`, in, out) }),
		rowOf("edit a child group", "/v1/group", 200, func() (string, string) { return form("ID=%d&Description=mine", child) }),
		rowOf("edit the scope group itself", "/v1/group", 200, func() (string, string) { return form("ID=%d&Description=mine", scope) }),
		rowOf("edit a group outside", "/v1/group", 403, func() (string, string) { return form("ID=%d&Description=mine", other) }),
		rowOf("move a child group out", "/v1/group", 403, func() (string, string) { return form("ID=%d&OwnerId=%d", child, other) }),
		rowOf("rename a group outside", "/v1/group/editName", 403, func() (string, string) { return form("id=%d&name=mine", other) }),
		rowOf("tag groups, one outside", "/v1/groups/addTags", 403, func() (string, string) { return form("ID=%d,%d&EditedId=%d", child, other, tag.ID) }),
		withOwner(rowOf("create a group under a child", "/v1/group", 200, func() (string, string) { return form("Name=new&OwnerId=%d", child) }), child),
		withOwner(rowOf("create a group without a parent: under the scope", "/v1/group", 200, func() (string, string) { return form("Name=new") }), scope),
		rowOf("create a group outside", "/v1/group", 403, func() (string, string) { return form("Name=new&OwnerId=%d", other) }),
		withOwner(rowOf("create a note in a child group", "/v1/note", 200, func() (string, string) { return form("Name=n&OwnerId=%d", child) }), child),
		withOwner(rowOf("create a note without owner: in the scope", "/v1/note", 200, func() (string, string) { return form("Name=n") }), scope),
		rowOf("create a note outside", "/v1/note", 403, func() (string, string) { return form("Name=n&OwnerId=%d", other) }),
		rowOf("edit a note outside", "/v1/note", 403, func() (string, string) { return form("ID=%d&Description=mine", noteOut.ID) }),
		rowOf("meta on a note outside", "/v1/note/editMeta", 403, func() (string, string) { return form(`id=%d&path=k&value="v"`, noteOut.ID) }),
		// Deleting stays with editor and admin, inside the scope too.
		rowOf("delete a resource inside", "/v1/resource/delete", 403, func() (string, string) { return form("id=%d", in) }),
		rowOf("delete a group inside", "/v1/group/delete", 403, func() (string, string) { return form("id=%d", grandchild) }),
		// What belongs to no group is not the user's to change.
		rowOf("create a tag", "/v1/tag", 403, func() (string, string) { return form("name=mine") }),
		rowOf("link a resource to a group", "/v1/resources/addGroups", 403, func() (string, string) { return form("ID=%d&EditedId=%d", in, child) }),
	}
	for _, tt := range rows {
		h := bearer(e.tokens["user"])
		if tt.ct != "" {
			h["Content-Type"] = tt.ct
		}
		before := state()
		r := call(t, nil, "POST", e.URL+tt.path, h, tt.body)
		if r.Status != tt.want {
			t.Errorf("%s (POST %s): status %d, want %d: %s", tt.name, tt.path, r.Status, tt.want, r.Body)
			continue
		}
		if r.Status == http.StatusForbidden {
			if msg := errorOf(t, r); !strings.Contains(msg, "role user") {
				t.Errorf("%s: 403 %q does not name the role", tt.name, msg)
			}
			if diff := cmp.Diff(before, state()); diff != "" {
				t.Errorf("%s: refused, but the library changed (-before +after):\n%s", tt.name, diff)
			}
		}
		if tt.owner > 0 {
			if got := ownerOf(r); got != tt.owner {
				t.Errorf("%s: OwnerId %v, want %d", tt.name, got, tt.owner)
			}
		}
	}

	// The tags added inside are there; the refused call added none.
	for id, want := range map[int64]int{in: 1, deep: 1, out: 0} {
		res, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Tags) != want {
			t.Errorf("resource %d has %d tags, want %d", id, len(res.Tags), want)
		}
	}

	// Reads are not scoped.
	for _, p := range []string{fmt.Sprintf("/v1/resource?id=%d", out), fmt.Sprintf("/v1/group?id=%d", other), fmt.Sprintf("/v1/note?id=%d", noteOut.ID)} {
		if r := call(t, nil, "GET", e.URL+p, bearer(e.tokens["user"]), ""); r.Status != http.StatusOK {
			t.Errorf("GET %s as the scoped user: status %d: %s", p, r.Status, r.Body)
		}
	}
	// An editor is not scoped.
	if r := call(t, nil, "POST", e.URL+"/v1/resource/edit", bearer(e.tokens["editor"]), fmt.Sprintf("id=%d&description=edited", out)); r.Status != http.StatusOK {
		t.Errorf("editor edits outside the user's scope: status %d: %s", r.Status, r.Body)
	}

	// A user without a scope group writes nothing, and is told why.
	u, err := e.Lib.Access.CreateUser(ctx, access.UserInput{Username: "drifter", Password: "password-drifter", Role: access.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := e.Lib.Access.CreateToken(ctx, u.ID, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	before := state()
	for _, p := range []string{"/v1/resource/edit", "/v1/note", "/v1/resources/addTags"} {
		r := call(t, nil, "POST", e.URL+p, bearer(secret), fmt.Sprintf("id=%d&ID=%d&EditedId=%d&Name=x", in, in, tag.ID))
		if r.Status != http.StatusForbidden {
			t.Errorf("POST %s by a user without a scope group: status %d: %s", p, r.Status, r.Body)
			continue
		}
		if msg := errorOf(t, r); !strings.Contains(msg, "role user") || !strings.Contains(msg, "scope group") {
			t.Errorf("POST %s by a user without a scope group: %q does not say why", p, msg)
		}
	}
	if diff := cmp.Diff(before, state()); diff != "" {
		t.Errorf("refused writes changed the library (-before +after):\n%s", diff)
	}
	if me := call(t, nil, "GET", e.URL+"/v1/auth/me", bearer(secret), "").object(t); me["canWrite"] != false {
		t.Errorf("/v1/auth/me of a user without a scope group: canWrite %v", me["canWrite"])
	}
}
