package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMultipartForms sends the parameters of ordinary endpoints as a
// multipart form, as an HTML form with enctype="multipart/form-data" does.
func TestMultipartForms(t *testing.T) {
	e := newTestEnv(t, withMaxBodySize(64<<10))
	post := func(path string, parts ...mpPart) *response {
		t.Helper()
		body, ct := multipartBody(t, parts...)
		return do(t, "POST", e.URL+path, body, "Content-Type", ct)
	}
	tag1 := post("/v1/tag", fieldPart("name", "from multipart"), fieldPart("Description", "d")).wantStatus(t, http.StatusOK).object(t)
	if tag1["Name"] != "from multipart" || tag1["Description"] != "d" {
		t.Errorf("tag %v", tag1)
	}
	t1 := tag1["ID"].(int64)
	t2 := e.createID(t, "/v1/tag", map[string]any{"Name": "second"})
	id := e.uploadOK(t, filePart("resource", "m.txt", []byte("multipart edit\n")))

	// A file part among the fields is ignored.
	got := post("/v1/resource/edit",
		fieldPart("ID", itoa(id)), fieldPart("Name", "edited"),
		filePart("resource", "ignored.bin", []byte("not stored")),
		fieldPart("Tags", itoa(t1)), fieldPart("Tags", itoa(t2)), fieldPart("Meta", `{"m": 1}`),
	).wantStatus(t, http.StatusOK).object(t)
	want := []any{"edited", sortedIDs(t1, t2), map[string]any{"m": int64(1)}}
	if diff := cmp.Diff(want, []any{got["Name"], idsSorted(t, got["Tags"]), got["Meta"]}); diff != "" {
		t.Errorf("edited resource: Name, Tags, Meta (-want +got):\n%s", diff)
	}
	post("/v1/resource/editDescription"+qs("id", itoa(id)), fieldPart("Description", "multipart description")).wantStatus(t, http.StatusOK)
	if d := e.getResource(t, id)["Description"]; d != "multipart description" {
		t.Errorf("Description %v", d)
	}
	// The body wins over the query.
	post("/v1/resource/editName"+qs("id", itoa(id), "Name", "query"), fieldPart("Name", "body")).wantStatus(t, http.StatusOK)
	if n := e.getResource(t, id)["Name"]; n != "body" {
		t.Errorf("Name %v, want the body's", n)
	}
	if n := len(e.blobs(t)); n != 1 {
		t.Errorf("%d blobs: the ignored file part was stored", n)
	}

	t.Run("too large", func(t *testing.T) {
		post("/v1/tag", fieldPart("Name", "big"), fieldPart("Description", strings.Repeat("x", 65<<10))).wantError(t, http.StatusRequestEntityTooLarge)
		post("/v1/tag", fieldPart("Name", "big"), filePart("f", "f.bin", bytes.Repeat([]byte("x"), 65<<10))).wantError(t, http.StatusRequestEntityTooLarge)
		body, ct := multipartBody(t, fieldPart("Name", "big"), fieldPart("Description", strings.Repeat("x", 65<<10)))
		// Without a Content-Length, the limit applies while reading.
		req := newRequest(t, "POST", e.URL+"/v1/tag", struct{ *bytes.Reader }{bytes.NewReader(body)}, "Content-Type", ct)
		send(t, req).wantError(t, http.StatusRequestEntityTooLarge)
	})
	t.Run("malformed", func(t *testing.T) {
		do(t, "POST", e.URL+"/v1/tag", "--b\r\nnot a part", "Content-Type", "multipart/form-data; boundary=b").wantError(t, http.StatusBadRequest, "multipart")
		do(t, "POST", e.URL+"/v1/tag", "x", "Content-Type", "multipart/form-data").wantError(t, http.StatusBadRequest, "boundary")
		body, ct := multipartBody(t, fieldPart("Name", "cut"), fieldPart("Description", "the rest"))
		do(t, "POST", e.URL+"/v1/tag", body[:len(body)-20], "Content-Type", ct).wantError(t, http.StatusBadRequest, "multipart")
		// No boundary at all, or none after the last field: neither falls
		// back to the query's Name.
		do(t, "POST", e.URL+"/v1/tag?Name=fallback", "garbage", "Content-Type", "multipart/form-data; boundary=b").wantError(t, http.StatusBadRequest, "multipart")
		do(t, "POST", e.URL+"/v1/tag", bytes.TrimSuffix(body, []byte("--\r\n")), "Content-Type", ct).wantError(t, http.StatusBadRequest, "multipart")
	})
	if n := do(t, "GET", e.URL+"/v1/tags", nil).wantStatus(t, http.StatusOK).Header.Get("X-Total-Count"); n != "2" {
		t.Errorf("%s tags after the failed requests, want 2", n)
	}
}
