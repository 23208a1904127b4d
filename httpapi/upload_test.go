package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestUploadSingleFileAllFields(t *testing.T) {
	e := newTestEnv(t)
	tag1 := e.createID(t, "/v1/tag", map[string]any{"Name": "red"})
	tag2 := e.createID(t, "/v1/tag", map[string]any{"Name": "blue"})
	owner := e.createID(t, "/v1/group", map[string]any{"Name": "Alice"})
	related := e.createID(t, "/v1/group", map[string]any{"Name": "Trip"})
	note := e.createID(t, "/v1/note", map[string]any{"Name": "a note"})
	rc := e.createID(t, "/v1/resourceCategory", map[string]any{"Name": "Photos"})
	img := pngBytes(t, 7, 5, 1)
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }

	// Fields on both sides of the file, names in assorted cases.
	resp := e.upload(t,
		fieldPart("Name", "My Photo"),
		fieldPart("tags", itoa(tag1)),
		fieldPart("OWNERID", itoa(owner)),
		fieldPart("Meta", `{"camera": "X100", "nested": {"iso": 200}}`),
		filePart("resource", "IMG_0001.png", img),
		fieldPart("Tags", itoa(tag2)),
		fieldPart("Description", "taken at dawn"),
		fieldPart("Groups", itoa(related)),
		fieldPart("Notes", itoa(note)),
		fieldPart("ResourceCategoryId", itoa(rc)),
		fieldPart("OriginalName", "original.png"),
		fieldPart("OriginalLocation", "/Users/me/original.png"),
		fieldPart("Category", "legacy"),
		fieldPart("ContentCategory", "pictures"),
		fieldPart("SeriesSlug", "Summer Trip"),
	).wantStatus(t, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	got := resp.object(t)
	hash := sha256Hex(img)

	// The members that matter, checked one by one.
	type summary struct {
		Name, Description, ContentType, Hash, OriginalName, OriginalLocation string
		FileSize, Width, Height                                              int64
		OwnerId, ResourceCategoryId                                          any
		Tags, Groups, Notes                                                  []int64
		Meta                                                                 any
		SeriesSlug                                                           any
	}
	sum := summary{
		Name: got["Name"].(string), Description: got["Description"].(string),
		ContentType: got["ContentType"].(string), Hash: got["Hash"].(string),
		OriginalName: got["OriginalName"].(string), OriginalLocation: got["OriginalLocation"].(string),
		FileSize: got["FileSize"].(int64), Width: got["Width"].(int64), Height: got["Height"].(int64),
		OwnerId: got["OwnerId"], ResourceCategoryId: got["ResourceCategoryId"],
		Tags: idsSorted(t, got["Tags"]), Groups: idsSorted(t, got["Groups"]), Notes: idsSorted(t, got["Notes"]),
		Meta: got["Meta"],
	}
	if s, ok := got["Series"].(map[string]any); ok {
		sum.SeriesSlug = s["Slug"]
	}
	want := summary{
		Name: "My Photo", Description: "taken at dawn", ContentType: "image/png", Hash: hash,
		OriginalName: "original.png", OriginalLocation: "/Users/me/original.png",
		FileSize: int64(len(img)), Width: 7, Height: 5,
		OwnerId: owner, ResourceCategoryId: rc,
		Tags: sortedIDs(tag1, tag2), Groups: []int64{related}, Notes: []int64{note},
		Meta:       map[string]any{"camera": "X100", "nested": map[string]any{"iso": int64(200)}},
		SeriesSlug: "summer-trip",
	}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("uploaded resource (-want +got):\n%s", diff)
	}
	if got["currentVersionId"] == nil {
		t.Errorf("currentVersionId is missing: %s", resp.Body)
	}
	// The whole answer, stable across runs once the times are dropped.
	golden(t, "upload_single.json", dropVolatile(t, got))

	// GET answers the same resource.
	again := do(t, "GET", e.URL+"/v1/resource"+qs("id", strconv.FormatInt(got["ID"].(int64), 10)), nil).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(dropVolatile(t, got), dropVolatile(t, again)); diff != "" {
		t.Errorf("GET differs from the upload answer (-upload +get):\n%s", diff)
	}
	if diff := cmp.Diff([]string{hash}, e.blobs(t)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

func idsSorted(tb testing.TB, v any) []int64 {
	tb.Helper()
	items, ok := v.([]any)
	if !ok {
		tb.Fatalf("%v is not an array", v)
	}
	out := ids(tb, items)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sortedIDs(ns ...int64) []int64 {
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	return ns
}

func TestUploadSeveralFiles(t *testing.T) {
	e := newTestEnv(t)
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "batch"})
	a, b := []byte("first file\n"), []byte("second file\n")
	got := e.upload(t,
		fieldPart("Tags", strconv.FormatInt(tag, 10)),
		filePart("resource", "a.txt", a),
		filePart("resource", `C:\Users\me\b.txt`, b),
		fieldPart("Description", "shared"),
	).wantStatus(t, http.StatusOK).array(t)
	if len(got) != 2 {
		t.Fatalf("got %d resources, want 2", len(got))
	}
	type row struct {
		Name, OriginalName, Description, Hash, ContentType string
		Tags                                               []int64
	}
	var rows []row
	for _, it := range got {
		m := it.(map[string]any)
		rows = append(rows, row{m["Name"].(string), m["OriginalName"].(string), m["Description"].(string),
			m["Hash"].(string), m["ContentType"].(string), idsSorted(t, m["Tags"])})
	}
	want := []row{
		{"a.txt", "a.txt", "shared", sha256Hex(a), "text/plain", []int64{tag}},
		{"b.txt", "b.txt", "shared", sha256Hex(b), "text/plain", []int64{tag}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("uploaded resources (-want +got):\n%s", diff)
	}
	if n := len(e.resourceIDs(t)); n != 2 {
		t.Errorf("%d resources stored, want 2", n)
	}
}

// TestUploadContentTypeFromBytes checks that neither the part's
// Content-Type nor the file name decides the content type.
func TestUploadContentTypeFromBytes(t *testing.T) {
	img := pngBytes(t, 3, 2, 2)
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	tests := []struct {
		name, filename, partType string
		body                     []byte
		wantType                 string
		wantW, wantH             int64
	}{
		{"png named pdf", "report.pdf", "application/pdf", img, "image/png", 3, 2},
		{"png without type", "noext", "", img, "image/png", 3, 2},
		{"text named jpg", "photo.jpg", "image/jpeg", []byte("just some words\n"), "text/plain", 0, 0},
		{"pdf named txt", "notes.txt", "text/plain", pdf, "application/pdf", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			p := filePart("resource", tt.filename, tt.body)
			p.contentType = tt.partType
			got := e.upload(t, p).wantStatus(t, http.StatusOK).object(t)
			gotSum := []any{got["ContentType"], got["Width"], got["Height"], got["Name"]}
			wantSum := []any{tt.wantType, tt.wantW, tt.wantH, tt.filename}
			if diff := cmp.Diff(wantSum, gotSum); diff != "" {
				t.Errorf("ContentType, Width, Height, Name (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUploadDimensionOverride(t *testing.T) {
	e := newTestEnv(t)
	got := e.upload(t,
		filePart("resource", "a.png", pngBytes(t, 7, 5, 3)),
		fieldPart("Width", "700"),
		fieldPart("height", "500"),
	).wantStatus(t, http.StatusOK).object(t)
	if got["Width"] != int64(700) || got["Height"] != int64(500) {
		t.Errorf("Width, Height = %v, %v; want 700, 500", got["Width"], got["Height"])
	}
}

func TestUploadSeries(t *testing.T) {
	e := newTestEnv(t)
	first := e.upload(t, fieldPart("SeriesSlug", "scan-2024"), filePart("resource", "p1.txt", []byte("page 1"))).
		wantStatus(t, http.StatusOK).object(t)
	seriesID, ok := first["SeriesId"].(int64)
	if !ok {
		t.Fatalf("SeriesId = %v, want the new series", first["SeriesId"])
	}
	second := e.upload(t, fieldPart("seriesslug", "scan-2024"), filePart("resource", "p2.txt", []byte("page 2"))).
		wantStatus(t, http.StatusOK).object(t)
	third := e.upload(t, filePart("resource", "p3.txt", []byte("page 3")), fieldPart("SeriesId", strconv.FormatInt(seriesID, 10))).
		wantStatus(t, http.StatusOK).object(t)
	if second["SeriesId"] != seriesID || third["SeriesId"] != seriesID {
		t.Errorf("SeriesId of the later uploads = %v, %v; want %d", second["SeriesId"], third["SeriesId"], seriesID)
	}
	list := do(t, "GET", e.URL+"/v1/seriesList", nil).wantStatus(t, http.StatusOK).array(t)
	if len(list) != 1 {
		t.Fatalf("series list has %d entries, want 1: %v", len(list), list)
	}
	s := do(t, "GET", e.URL+"/v1/series"+qs("id", strconv.FormatInt(seriesID, 10)), nil).wantStatus(t, http.StatusOK).object(t)
	if s["Slug"] != "scan-2024" {
		t.Errorf("Slug %v", s["Slug"])
	}
	if diff := cmp.Diff(sortedIDs(first["ID"].(int64), second["ID"].(int64), third["ID"].(int64)), idsSorted(t, s["Resources"])); diff != "" {
		t.Errorf("series resources (-want +got):\n%s", diff)
	}
	// An unknown series ID is a 404.
	e.upload(t, filePart("resource", "p4.txt", []byte("page 4")), fieldPart("SeriesId", "999")).wantError(t, http.StatusNotFound, "series")
}

func TestUploadQueryFields(t *testing.T) {
	e := newTestEnv(t)
	body, ct := multipartBody(t, filePart("resource", "a.txt", []byte("a")), fieldPart("Description", "from the body"))
	got := do(t, "POST", e.URL+"/v1/resource"+qs("Name", "from the query", "Description", "query loses"), body, "Content-Type", ct).
		wantStatus(t, http.StatusOK).object(t)
	if got["Name"] != "from the query" || got["Description"] != "from the body" {
		t.Errorf("Name, Description = %q, %q", got["Name"], got["Description"])
	}
}

// TestUploadErrors checks that each bad upload is a JSON error with the
// right status and leaves no row, blob or temporary file behind.
func TestUploadErrors(t *testing.T) {
	file := filePart("resource", "a.txt", []byte("some content that must not stay\n"))
	other := filePart("resource", "b.txt", []byte("other content that must not stay\n"))
	type request struct {
		body        []byte
		contentType string
	}
	mp := func(parts ...mpPart) func(t *testing.T) request {
		return func(t *testing.T) request {
			b, ct := multipartBody(t, parts...)
			return request{b, ct}
		}
	}
	raw := func(body, ct string) func(t *testing.T) request {
		return func(*testing.T) request { return request{[]byte(body), ct} }
	}
	tests := []struct {
		name      string
		req       func(t *testing.T) request
		status    int
		fragments []string
	}{
		{"unknown tag", mp(fieldPart("Tags", "999"), file), 404, []string{"tag 999"}},
		{"unknown tag after two files", mp(file, other, fieldPart("Tags", "999")), 404, []string{"tag 999"}},
		{"unknown owner", mp(file, fieldPart("OwnerId", "999")), 404, []string{"group 999"}},
		{"unknown group", mp(file, fieldPart("Groups", "999")), 404, []string{"group 999"}},
		{"unknown note", mp(file, fieldPart("Notes", "999")), 404, []string{"note 999"}},
		{"unknown resource category", mp(file, fieldPart("ResourceCategoryId", "999")), 404, []string{"resource category 999"}},
		{"malformed Meta", mp(file, fieldPart("Meta", `{"a": `)), 400, []string{"Meta"}},
		{"Meta array", mp(file, fieldPart("Meta", `[1, 2]`)), 400, []string{"Meta"}},
		{"Meta string", mp(file, fieldPart("Meta", `"text"`)), 400, []string{"Meta"}},
		{"OwnerId not an integer", mp(file, fieldPart("OwnerId", "abc")), 400, []string{"OwnerId"}},
		{"Tags not integers", mp(fieldPart("Tags", "1x"), file), 400, []string{"Tags"}},
		{"negative tag", mp(file, fieldPart("Tags", "-3")), 400, []string{"Tags"}},
		{"Width not an integer", mp(file, fieldPart("Width", "wide")), 400, []string{"Width"}},
		{"JSON body", raw(`{"Name": "x"}`, "application/json"), 400, []string{"multipart"}},
		{"form body", raw(`Name=x`, "application/x-www-form-urlencoded"), 400, []string{"multipart"}},
		{"no Content-Type", raw(`hello`, ""), 400, []string{"multipart"}},
		{"no boundary", raw("--x\r\n\r\n", "multipart/form-data"), 400, []string{"multipart"}},
		{"garbage multipart", raw("this is not multipart at all", "multipart/form-data; boundary=xyz"), 400, nil},
		{"file cut before the closing boundary", raw("--xyz\r\nContent-Disposition: form-data; name=\"resource\"; filename=\"a.txt\"\r\n\r\nhello world", "multipart/form-data; boundary=xyz"), 400, nil},
		{"file cut after its line end", raw("--xyz\r\nContent-Disposition: form-data; name=\"resource\"; filename=\"a.txt\"\r\n\r\nhello world\r\n", "multipart/form-data; boundary=xyz"), 400, nil},
		{"no file part", mp(fieldPart("Name", "x"), fieldPart("Tags", "1")), 400, []string{"no file"}},
		{"empty multipart", mp(), 400, []string{"no file"}},
		{"file under another field", mp(fieldPart("Name", "x"), filePart("file", "a.png", pngBytes(t, 2, 2, 1))), 400, []string{`"resource"`, `"file"`}},
		{"second file under another field", mp(file, filePart("upload", "b.png", pngBytes(t, 2, 2, 2))), 400, []string{`"resource"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			before := e.state(t)
			r := tt.req(t)
			var h []string
			if r.contentType != "" {
				h = []string{"Content-Type", r.contentType}
			}
			e.upload0(t, r.body, h...).wantError(t, tt.status, tt.fragments...)
			e.wait()
			e.wantUnchanged(t, before)
		})
	}
}

// TestUploadCutShortOnDisk: a file part that ends without its closing
// boundary is a client's failure, not the end of the file, on the data
// folder's path for small files too (which reads them whole first).
func TestUploadCutShortOnDisk(t *testing.T) {
	e := newTestEnv(t, withDiskBlobs())
	before := e.state(t)
	head := "--xyz\r\nContent-Disposition: form-data; name=\"resource\"; filename=\"a.txt\"\r\n\r\n"
	for _, body := range []string{head + "hello world", head + "hello world\r\n", head + strings.Repeat("x", 100<<10)} {
		e.upload0(t, []byte(body), "Content-Type", "multipart/form-data; boundary=xyz").wantError(t, http.StatusBadRequest)
	}
	e.wait()
	e.wantUnchanged(t, before)
}

// upload0 posts a raw body to /v1/resource.
func (e *testEnv) upload0(tb testing.TB, body []byte, header ...string) *response {
	tb.Helper()
	req := newRequest(tb, "POST", e.URL+"/v1/resource", body, header...)
	if len(header) == 0 {
		req.Header.Del("Content-Type")
	}
	return send(tb, req)
}

func TestUploadDuplicate(t *testing.T) {
	e := newTestEnv(t)
	content := []byte("the same bytes twice\n")
	id := e.uploadOK(t, filePart("resource", "one.txt", content))
	before := e.state(t)
	got := e.upload(t, filePart("resource", "two.txt", content), fieldPart("Name", "second")).
		wantError(t, http.StatusConflict, strconv.FormatInt(id, 10))
	if got["existingResourceId"] != id {
		t.Errorf("existingResourceId = %v, want %d", got["existingResourceId"], id)
	}
	wantDetails := []any{map[string]any{"error": got["error"], "existingResourceId": id}}
	if diff := cmp.Diff(wantDetails, got["details"]); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	e.wantUnchanged(t, before)

	// With a new file beside it, nothing of the request stays either.
	got = e.upload(t, filePart("resource", "new.txt", []byte("new bytes\n")), filePart("resource", "two.txt", content)).
		wantError(t, http.StatusConflict)
	if got["existingResourceId"] != id {
		t.Errorf("existingResourceId = %v, want %d", got["existingResourceId"], id)
	}
	e.wantUnchanged(t, before)
}

// TestUploadSameContentTwiceInOneRequest sends one content in two parts of
// a request: a conflict that names no resource that does not exist.
func TestUploadSameContentTwiceInOneRequest(t *testing.T) {
	e := newTestEnv(t)
	before := e.state(t)
	content := []byte("twice in one request\n")
	got := e.upload(t, filePart("resource", "a.txt", content), filePart("resource", "b.txt", content)).
		wantError(t, http.StatusConflict)
	if id, ok := got["existingResourceId"]; ok {
		do(t, "GET", e.URL+"/v1/resource"+qs("id", fmt.Sprint(id)), nil).wantStatus(t, http.StatusOK)
	}
	e.wantUnchanged(t, before)
}

func TestUploadTooLarge(t *testing.T) {
	tests := []struct {
		name  string
		parts []mpPart
	}{
		{"file", []mpPart{fieldPart("Name", "big"), filePart("resource", "big.bin", bytes.Repeat([]byte("x"), 4096))}},
		{"second file", []mpPart{filePart("resource", "a.bin", bytes.Repeat([]byte("a"), 600)), filePart("resource", "b.bin", bytes.Repeat([]byte("b"), 600))}},
		{"field after the file", []mpPart{filePart("resource", "a.bin", []byte("small")), fieldPart("Description", strings.Repeat("d", 4096))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, withMaxUploadSize(1024))
			before := e.state(t)
			e.upload(t, tt.parts...).wantError(t, http.StatusRequestEntityTooLarge)
			e.wait()
			e.wantUnchanged(t, before)
		})
	}
	t.Run("file over the store's limit", func(t *testing.T) {
		e := newTestEnv(t, withMaxFileSize(100))
		before := e.state(t)
		e.upload(t, filePart("resource", "a.bin", bytes.Repeat([]byte("a"), 50)), filePart("resource", "b.bin", bytes.Repeat([]byte("b"), 101))).
			wantError(t, http.StatusRequestEntityTooLarge)
		e.wait()
		e.wantUnchanged(t, before)
		e.upload(t, filePart("resource", "c.bin", bytes.Repeat([]byte("c"), 100))).wantStatus(t, http.StatusOK)
	})
	t.Run("just under the limit", func(t *testing.T) {
		e := newTestEnv(t, withMaxUploadSize(1024))
		e.upload(t, filePart("resource", "ok.bin", bytes.Repeat([]byte("o"), 512))).wantStatus(t, http.StatusOK)
	})
}

// truncatedUpload is a multipart body with one complete file part and a
// second one cut off in the middle, as a client that fails sends it.
func truncatedUpload(tb testing.TB) (full, cut []byte, contentType string) {
	tb.Helper()
	full, contentType = multipartBody(tb,
		fieldPart("Name", "cut"),
		filePart("resource", "complete.txt", bytes.Repeat([]byte("complete part\n"), 100)),
		filePart("resource", "cut.txt", bytes.Repeat([]byte("this part is cut off\n"), 200)),
	)
	return full, full[:len(full)*3/4], contentType
}

func TestUploadTruncated(t *testing.T) {
	t.Run("exact Content-Length", func(t *testing.T) {
		e := newTestEnv(t)
		before := e.state(t)
		_, cut, ct := truncatedUpload(t)
		e.upload0(t, cut, "Content-Type", ct).wantError(t, http.StatusBadRequest)
		e.wait()
		e.wantUnchanged(t, before)
	})
	t.Run("chunked", func(t *testing.T) {
		e := newTestEnv(t)
		before := e.state(t)
		_, cut, ct := truncatedUpload(t)
		// A reader of unknown length makes the client send it chunked.
		req := newRequest(t, "POST", e.URL+"/v1/resource", io.MultiReader(bytes.NewReader(cut)), "Content-Type", ct)
		if req.ContentLength != 0 && req.ContentLength != -1 {
			t.Fatalf("ContentLength %d: the body would not be chunked", req.ContentLength)
		}
		send(t, req).wantError(t, http.StatusBadRequest)
		e.wait()
		e.wantUnchanged(t, before)
	})
	t.Run("connection closed early", func(t *testing.T) {
		e := newTestEnv(t)
		before := e.state(t)
		full, cut, ct := truncatedUpload(t)
		// Announce the whole body, send three quarters, stop sending.
		e.rawUpload(t, ct, int64(len(full)), cut, true).wantError(t, http.StatusBadRequest)
		e.wait()
		e.wantUnchanged(t, before)
	})
}

// rawUpload sends a POST /v1/resource by hand: the head announces
// contentLength bytes, of which only body is sent. With closeWrite the
// client then stops sending; without, it keeps the request open, so an
// answer can only come from a server that decided early. The answer must
// arrive within ten seconds.
func (e *testEnv) rawUpload(tb testing.TB, contentType string, contentLength int64, body []byte, closeWrite bool, extraHeaders ...string) *response {
	tb.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	extra := ""
	for _, h := range extraHeaders {
		extra += h + "\r\n"
	}
	fmt.Fprintf(conn, "POST /v1/resource HTTP/1.1\r\nHost: test\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n", contentType, contentLength, extra)
	if _, err := conn.Write(body); err != nil {
		tb.Fatal(err)
	}
	if closeWrite {
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			tb.Fatal(err)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("reading the answer: %v", err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b, Close: resp.Close}
}

// TestUploadDeclaredTooLarge announces a body over the limit: the answer
// comes before any of it is sent.
func TestUploadDeclaredTooLarge(t *testing.T) {
	for _, expect := range []bool{false, true} {
		t.Run(fmt.Sprintf("Expect 100-continue %v", expect), func(t *testing.T) {
			e := newTestEnv(t, withMaxUploadSize(1024))
			before := e.state(t)
			var extra []string
			if expect {
				// The answer is the 413, not an invitation to send the body.
				extra = append(extra, "Expect: 100-continue")
			}
			r := e.rawUpload(t, "multipart/form-data; boundary=b", 1025, nil, false, extra...)
			r.wantError(t, http.StatusRequestEntityTooLarge)
			if !r.Close {
				t.Error("the connection stays open for a body that will not be read")
			}
			e.wait()
			e.wantUnchanged(t, before)
		})
	}
}

// TestUploadBadFieldsBeforeFile sends invalid fields ahead of a file that
// has barely begun: the answer comes without waiting for the file.
func TestUploadBadFieldsBeforeFile(t *testing.T) {
	tests := []struct {
		name     string
		field    mpPart
		fragment string
	}{
		{"Meta", fieldPart("Meta", "{not json"), "Meta"},
		{"OwnerId", fieldPart("OwnerId", "x"), "OwnerId"},
		{"Tags", fieldPart("Tags", "-1"), "Tags"},
		{"SeriesId", fieldPart("SeriesId", "1.5"), "SeriesId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			before := e.state(t)
			full, ct := multipartBody(t, fieldPart("Name", "x"), tt.field, filePart("resource", "big.bin", bytes.Repeat([]byte("z"), 1<<20)))
			// Up to a few bytes into the file.
			end := bytes.Index(full, []byte("zzzz")) + 4
			e.rawUpload(t, ct, int64(len(full)), full[:end], false).wantError(t, http.StatusBadRequest, tt.fragment)
			e.wait()
			e.wantUnchanged(t, before)
		})
	}
	// A bad value in the query is decided at the end: the body may still
	// replace it.
	e := newTestEnv(t)
	body, ct := multipartBody(t, fieldPart("OwnerId", ""), filePart("resource", "a.txt", []byte("a")))
	do(t, "POST", e.URL+"/v1/resource"+qs("Meta", "[]"), body, "Content-Type", ct).wantError(t, http.StatusBadRequest, "Meta")
	body, ct = multipartBody(t, filePart("resource", "a.txt", []byte("a")), fieldPart("Meta", `{"ok": 1}`))
	do(t, "POST", e.URL+"/v1/resource"+qs("Meta", "[]"), body, "Content-Type", ct).wantStatus(t, http.StatusOK)
}

// cancelReader cancels the request's context when its content runs out, as
// the server does when the client goes away, and then fails.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		c.cancel()
		return n, errors.New("connection reset by peer")
	}
	return n, err
}

// TestUploadClientGone cuts the body and cancels the request's context
// after a complete file part: the staged blob must not stay behind.
func TestUploadClientGone(t *testing.T) {
	e := newTestEnv(t)
	before := e.state(t)
	// The first file is far larger than the multipart reader's buffer, so
	// that it is staged completely before the body fails.
	full, ct := multipartBody(t,
		filePart("resource", "complete.bin", bytes.Repeat([]byte("complete part\n"), 20000)),
		filePart("resource", "cut.bin", bytes.Repeat([]byte("this part is cut off\n"), 20000)),
	)
	cut := full[:len(full)*3/4]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "POST", "/v1/resource", &cancelReader{r: bytes.NewReader(cut), cancel: cancel})
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code < 400 || rec.Code >= 500 {
		t.Errorf("status %d, want a 4xx; body %s", rec.Code, rec.Body)
	}
	e.wantUnchanged(t, before)
}

// TestUploadConcurrentSameContent sends the same bytes in two requests
// whose bodies interleave: one wins, the other is a conflict naming it.
func TestUploadConcurrentSameContent(t *testing.T) {
	e := newTestEnv(t)
	content := bytes.Repeat([]byte("concurrent upload\n"), 4096)
	body, ct := multipartBody(t, filePart("resource", "same.txt", content))
	half := len(body) / 2

	var halfway sync.WaitGroup // both bodies have sent their first half
	halfway.Add(2)
	results := make([]*response, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		pr, pw := io.Pipe()
		go func() {
			pw.Write(body[:half])
			halfway.Done()
			halfway.Wait()
			pw.Write(body[half:])
			pw.Close()
		}()
		go func() {
			defer wg.Done()
			req, err := http.NewRequest("POST", e.URL+"/v1/resource", pr)
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results[i] = &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Status < results[j].Status })
	won := results[0].wantStatus(t, http.StatusOK).object(t)
	lost := results[1].wantError(t, http.StatusConflict)
	if lost["existingResourceId"] != won["ID"] {
		t.Errorf("existingResourceId %v, want the winner %v", lost["existingResourceId"], won["ID"])
	}
	e.wait()
	want := state{Resources: []int64{won["ID"].(int64)}, Versions: 1, Blobs: []string{sha256Hex(content)}}
	want.Files = []string{want.Blobs[0][0:2] + "/" + want.Blobs[0][2:4] + "/" + want.Blobs[0]}
	if diff := cmp.Diff(want, e.state(t)); diff != "" {
		t.Errorf("library after the race (-want +got):\n%s", diff)
	}
}
