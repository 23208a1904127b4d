//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestE2EParity drives the binary as the reference's own client does: the
// one-field edits, editMeta, group trees and clones, the bulk endpoints of
// groups, notes and tags with their all-or-nothing refusals, note types,
// and a local file named with a leading slash.
func TestE2EParity(t *testing.T) {
	work := t.TempDir()
	alt := filepath.Join(work, "archive")
	if err := os.MkdirAll(filepath.Join(alt, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alt, "data", "existing-file.txt"), []byte("kept in place\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(work, "data"), "-alt-fs", "archive:"+alt)

	type entity struct {
		ID          int64
		Name        string
		Description string
		OwnerId     *int64
		NoteTypeId  *int64
		Meta        map[string]any
		Tags        []struct{ ID int64 }
	}
	post := func(path string, body any, status int, out any) {
		t.Helper()
		var r io.Reader
		ct := ""
		switch b := body.(type) {
		case nil:
		case url.Values:
			r, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
		default:
			r, ct = jsonBody(t, b), "application/json"
		}
		doJSON(t, newRequest(t, "POST", p.url("%s", path), ct, r), status, out)
	}
	get := func(path string, status int, out any) {
		t.Helper()
		doJSON(t, newRequest(t, "GET", p.url("%s", path), "", nil), status, out)
	}
	snapshot := func() string {
		t.Helper()
		var b bytes.Buffer
		for _, path := range []string{"/v1/groups", "/v1/notes", "/v1/tags", "/v1/note/noteTypes"} {
			var v any
			get(path, http.StatusOK, &v)
			j, _ := json.Marshal(v)
			b.Write(j)
		}
		return b.String()
	}

	// Groups: a tree, edits, the tree endpoints and a refused cycle.
	var parent, child entity
	post("/v1/group", map[string]any{"Name": "parent", "Meta": `{"existing": "value"}`}, http.StatusOK, &parent)
	post("/v1/group", map[string]any{"Name": "child", "OwnerId": parent.ID}, http.StatusOK, &child)
	var ok map[string]any
	post("/v1/group/editName?id="+itoa(child.ID), url.Values{"Name": {"renamed"}}, http.StatusOK, &ok)
	if !cmp.Equal(map[string]any{"id": float64(child.ID), "ok": true}, ok) {
		t.Errorf("editName answered %v", ok)
	}
	post("/v1/group/editDescription?id="+itoa(child.ID), url.Values{"Description": {"told"}}, http.StatusOK, nil)
	var edited entity
	post("/v1/group/editMeta?id="+itoa(parent.ID), url.Values{"path": {"address.city"}, "value": {`"Berlin"`}}, http.StatusOK, &edited)
	if want := map[string]any{"existing": "value", "address": map[string]any{"city": "Berlin"}}; !cmp.Equal(want, edited.Meta) {
		t.Errorf("editMeta answered Meta %v", edited.Meta)
	}
	var chain []entity
	get("/v1/group/parents?id="+itoa(child.ID), http.StatusOK, &chain)
	if len(chain) != 2 || chain[0].ID != child.ID || chain[0].Name != "renamed" || chain[0].Description != "told" || chain[1].ID != parent.ID {
		t.Errorf("parents of the child: %+v", chain)
	}
	var nodes []struct {
		ID         int64 `json:"id"`
		ChildCount int   `json:"childCount"`
	}
	get("/v1/group/tree/children?parentId="+itoa(parent.ID), http.StatusOK, &nodes)
	if len(nodes) != 1 || nodes[0].ID != child.ID || nodes[0].ChildCount != 0 {
		t.Errorf("children of the parent: %+v", nodes)
	}
	before := snapshot()
	post("/v1/group", map[string]any{"ID": parent.ID, "OwnerId": child.ID}, http.StatusBadRequest, nil)
	var clone entity
	post("/v1/group/clone", map[string]any{"ID": parent.ID}, http.StatusOK, &clone)
	if clone.ID == parent.ID || clone.Name != "parent" || !cmp.Equal(edited.Meta, clone.Meta) {
		t.Errorf("clone %+v", clone)
	}
	post("/v1/groups/delete", map[string]any{"ID": []int64{clone.ID}}, http.StatusOK, nil)
	if after := snapshot(); after != before {
		t.Errorf("the refused cycle or the clone and its deletion changed the library:\nbefore %s\nafter  %s", before, after)
	}

	// Bulk: unknown IDs change nothing; known ones apply.
	var tag, tag2 entity
	post("/v1/tag", map[string]any{"Name": "t"}, http.StatusOK, &tag)
	post("/v1/tag", map[string]any{"Name": "t2"}, http.StatusOK, &tag2)
	before = snapshot()
	post("/v1/groups/addTags", map[string]any{"ID": []int64{parent.ID, 999}, "EditedId": []int64{tag.ID}}, http.StatusNotFound, nil)
	post("/v1/notes/delete", map[string]any{"ID": []int64{999}}, http.StatusNotFound, nil)
	post("/v1/tags/merge", map[string]any{"Winner": tag.ID, "Losers": []int64{999}}, http.StatusNotFound, nil)
	if after := snapshot(); after != before {
		t.Errorf("refused bulk calls changed the library")
	}
	var bulkOK map[string]any
	post("/v1/groups/addTags", map[string]any{"ID": []int64{parent.ID, child.ID}, "EditedId": []int64{tag2.ID}}, http.StatusOK, &bulkOK)
	if !cmp.Equal(map[string]any{"ok": true}, bulkOK) {
		t.Errorf("addTags answered %v", bulkOK)
	}
	post("/v1/tags/merge", map[string]any{"Winner": tag.ID, "Losers": []int64{tag2.ID}}, http.StatusOK, nil)
	var tagged []entity
	get("/v1/groups?Tags="+itoa(tag.ID), http.StatusOK, &tagged)
	if len(tagged) != 2 {
		t.Errorf("groups tagged with the merged tag: %+v", tagged)
	}
	post("/v1/groups/addMeta", map[string]any{"ID": []int64{child.ID}, "Meta": `{"grpkey": "val"}`}, http.StatusOK, nil)
	var keys []string
	get("/v1/groups/meta/keys", http.StatusOK, &keys)
	if !slices.Contains(keys, "grpkey") || !slices.Contains(keys, "address") {
		t.Errorf("group meta keys %v", keys)
	}

	// Note types and a typed note.
	var nt, note entity
	post("/v1/note/noteType", map[string]any{"Name": "memo"}, http.StatusOK, &nt)
	post("/v1/noteType/editDescription?id="+itoa(nt.ID), url.Values{"Description": {"short"}}, http.StatusOK, nil)
	post("/v1/note", map[string]any{"Name": "n", "NoteTypeId": nt.ID}, http.StatusOK, &note)
	if note.NoteTypeId == nil || *note.NoteTypeId != nt.ID {
		t.Errorf("note type of the note: %v", note.NoteTypeId)
	}
	var types []entity
	get("/v1/note/noteTypes", http.StatusOK, &types)
	if len(types) != 1 || types[0].Description != "short" {
		t.Errorf("note types %+v", types)
	}

	// A local file named as the spec writes it, with a leading slash.
	var local resourceJSON
	post("/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "/data/existing-file.txt"}, http.StatusOK, &local)
	if local.ID == 0 || local.FileSize != int64(len("kept in place\n")) {
		t.Errorf("local resource %+v", local)
	}
	// An upload under another field than "resource" is refused by name.
	var refusal struct{ Error string }
	ct, body := multipartFile(t, "file", "a.png", testPNG(t))
	doJSON(t, newRequest(t, "POST", p.url("/v1/resource"), ct, body), http.StatusBadRequest, &refusal)
	if !strings.Contains(refusal.Error, `"resource"`) {
		t.Errorf("refusal %q does not name the field resource", refusal.Error)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// multipartFile is a multipart body with one file under field.
func multipartFile(t testing.TB, field, filename string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, filename)
	if err == nil {
		_, err = fw.Write(content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}
