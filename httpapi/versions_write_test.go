package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// uploadVersion posts parts to POST /v1/resource/versions with query.
func (e *testEnv) uploadVersion(tb testing.TB, query string, parts ...mpPart) *response {
	tb.Helper()
	body, ct := multipartBody(tb, parts...)
	return do(tb, "POST", e.URL+"/v1/resource/versions"+query, body, "Content-Type", ct)
}

// versionIDs lists the IDs of a resource's versions, newest first.
func (e *testEnv) versionIDs(tb testing.TB, resourceID int64) []int64 {
	tb.Helper()
	var out []int64
	for _, v := range do(tb, "GET", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(resourceID)), nil).wantStatus(tb, http.StatusOK).array(tb) {
		out = append(out, v.(map[string]any)["id"].(int64))
	}
	return out
}

// wantFollows checks through the API that the resource's file fields are
// those of the version (a decoded version object).
func (e *testEnv) wantFollows(tb testing.TB, resourceID int64, v map[string]any) {
	tb.Helper()
	r := do(tb, "GET", e.URL+"/v1/resource"+qs("id", itoa(resourceID)), nil).wantStatus(tb, http.StatusOK).object(tb)
	got := []any{r["Hash"], r["FileSize"], r["ContentType"], r["Width"], r["Height"], r["Location"], r["currentVersionId"]}
	want := []any{v["hash"], v["fileSize"], v["contentType"], v["width"], v["height"], v["location"], v["id"]}
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("resource %d does not follow version %v (-want +got):\n%s", resourceID, v["versionNumber"], diff)
	}
}

func TestUploadVersion(t *testing.T) {
	e := newTestEnv(t)
	v1 := pngBytes(t, 9, 6, 1)
	id := e.uploadOK(t, filePart("resource", "a.png", v1))
	v2 := pngBytes(t, 12, 4, 2)

	// The comment may follow the file: it is read after the file has been
	// streamed to the store.
	got := e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "b.png", v2), fieldPart("comment", "wider")).
		wantStatus(t, http.StatusOK).object(t)
	hash := sha256Hex(v2)
	want := map[string]any{
		"id": got["id"], "resourceId": id, "versionNumber": int64(2), "hash": hash, "hashType": "SHA256",
		"fileSize": int64(len(v2)), "contentType": "image/png", "width": int64(12), "height": int64(4),
		"location": hash[:2] + "/" + hash[2:4] + "/" + hash, "comment": "wider",
	}
	if diff := cmp.Diff(want, dropVolatile(t, got)); diff != "" {
		t.Errorf("new version (-want +got):\n%s", diff)
	}
	e.wantFollows(t, id, got)

	// Comment before the file, names in another case, resourceId in a field.
	got = e.uploadVersion(t, "", fieldPart("ResourceID", itoa(id)), fieldPart("Comment", "text now"), filePart("FILE", "c.txt", []byte("hello"))).
		wantStatus(t, http.StatusOK).object(t)
	if got["versionNumber"] != int64(3) || got["comment"] != "text now" || got["contentType"] != "text/plain" {
		t.Errorf("third version %v", got)
	}
	e.wantFollows(t, id, got)
	if n := len(e.blobs(t)); n != 3 {
		t.Errorf("%d blobs, want 3", n)
	}

	t.Run("errors change nothing", func(t *testing.T) {
		before := e.state(t)
		file := filePart("file", "x.bin", []byte("never stored"))
		tests := []struct {
			name      string
			resp      *response
			status    int
			fragments []string
		}{
			{"unknown resource", e.uploadVersion(t, qs("resourceId", "999"), file), http.StatusNotFound, []string{"resource 999"}},
			{"no resourceId", e.uploadVersion(t, "", file), http.StatusBadRequest, []string{"resourceId"}},
			{"bad resourceId", e.uploadVersion(t, qs("resourceId", "abc"), file), http.StatusBadRequest, []string{"resourceId"}},
			{"no file", e.uploadVersion(t, qs("resourceId", itoa(id)), fieldPart("comment", "c")), http.StatusBadRequest, []string{"no file"}},
			{"other field", e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("resource", "x.bin", []byte("x"))), http.StatusBadRequest, []string{`"file"`}},
			{"two files", e.uploadVersion(t, qs("resourceId", itoa(id)), file, filePart("file", "y.bin", []byte("second"))), http.StatusBadRequest, []string{"one file"}},
			{"not multipart", do(t, "POST", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(id)), map[string]any{"comment": "x"}), http.StatusBadRequest, []string{"multipart"}},
			{"no boundary", do(t, "POST", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(id)), "x", "Content-Type", "multipart/form-data"), http.StatusBadRequest, []string{"boundary"}},
			{"cut off", do(t, "POST", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(id)), "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\npartial", "Content-Type", "multipart/form-data; boundary=b"), http.StatusBadRequest, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.resp.wantError(t, tt.status, tt.fragments...)
			})
		}
		e.wait()
		e.wantUnchanged(t, before)
	})
	t.Run("too large", func(t *testing.T) {
		small := newTestEnv(t, withMaxUploadSize(4096))
		rid := small.uploadOK(t, filePart("resource", "a.txt", []byte("small")))
		before := small.state(t)
		small.uploadVersion(t, qs("resourceId", itoa(rid)), filePart("file", "big.bin", make([]byte, 10000))).
			wantError(t, http.StatusRequestEntityTooLarge)
		small.wait()
		small.wantUnchanged(t, before)
	})
}

// TestUploadVersionStreams uploads a 64 MiB version (16 MiB under the race
// detector) generated on the fly, with its comment after the file, and
// checks that the heap does not hold it.
func TestUploadVersionStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large upload skipped in -short mode")
	}
	size := int64(64 * mib)
	if raceEnabled {
		size = 16 * mib
	}
	const maxGrowth = 24 * mib
	e := newTestEnv(t, withDiskBlobs())
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("version one")))

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	hasher := sha256.New()
	go func() {
		err := func() error {
			fw, err := mw.CreateFormFile("file", "big.bin")
			if err != nil {
				return err
			}
			src := io.LimitReader(rand.NewChaCha8([32]byte{'v', 'e', 'r'}), size)
			if _, err := io.Copy(fw, io.TeeReader(src, hasher)); err != nil {
				return err
			}
			if err := mw.WriteField("comment", "big one"); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(id)), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	sampler := startHeapSampler()
	start := time.Now()
	resp := send(t, req)
	elapsed := time.Since(start)
	base, growth := sampler.Stop()
	t.Logf("version upload of %d MiB in %v: heap baseline %.1f MiB, peak growth %.1f MiB",
		size/mib, elapsed.Round(time.Millisecond), float64(base)/mib, float64(growth)/mib)
	got := resp.wantStatus(t, http.StatusOK).object(t)
	if growth > maxGrowth {
		t.Errorf("heap grew by %.1f MiB during the upload, want at most %d MiB", float64(growth)/mib, maxGrowth/mib)
	}
	if want := hex.EncodeToString(hasher.Sum(nil)); got["hash"] != want || got["fileSize"] != size || got["comment"] != "big one" {
		t.Errorf("hash %v size %v comment %v, want %s %d \"big one\"", got["hash"], got["fileSize"], got["comment"], want, size)
	}
}

func TestRestoreVersion(t *testing.T) {
	e := newTestEnv(t)
	v1 := pngBytes(t, 9, 6, 1)
	id := e.uploadOK(t, filePart("resource", "a.png", v1))
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "b.png", pngBytes(t, 3, 3, 2))).wantStatus(t, http.StatusOK)
	ids := e.versionIDs(t, id) // newest first
	first := ids[1]
	blobs := e.blobs(t)

	// JSON body, as in the spec's example.
	got := do(t, "POST", e.URL+"/v1/resource/version/restore", map[string]any{"resourceId": id, "versionId": first}).
		wantStatus(t, http.StatusOK).object(t)
	if got["versionNumber"] != int64(3) || got["comment"] != "Restored from version 1" || got["hash"] != sha256Hex(v1) {
		t.Errorf("restored version %v", got)
	}
	e.wantFollows(t, id, got)
	if diff := cmp.Diff(blobs, e.blobs(t)); diff != "" {
		t.Errorf("restore changed the blobs (-before +after):\n%s", diff)
	}
	// A form, with a comment.
	got = do(t, "POST", e.URL+"/v1/resource/version/restore", url.Values{"resourceId": {itoa(id)}, "versionId": {itoa(ids[0])}, "comment": {"back to two"}}).
		wantStatus(t, http.StatusOK).object(t)
	if got["versionNumber"] != int64(4) || got["comment"] != "back to two" {
		t.Errorf("restored version %v", got)
	}

	other := e.uploadOK(t, filePart("resource", "o.txt", []byte("other")))
	otherVersion := e.versionIDs(t, other)[0]
	before := e.state(t)
	restore := func(body any) *response { return do(t, "POST", e.URL+"/v1/resource/version/restore", body) }
	restore(map[string]any{"resourceId": id, "versionId": otherVersion}).wantError(t, http.StatusBadRequest, "belongs to resource")
	restore(map[string]any{"resourceId": id, "versionId": 999}).wantError(t, http.StatusNotFound, "version 999")
	restore(map[string]any{"resourceId": 999, "versionId": first}).wantError(t, http.StatusNotFound, "resource 999")
	restore(map[string]any{"resourceId": id}).wantError(t, http.StatusBadRequest, "versionId")
	restore(map[string]any{"versionId": first}).wantError(t, http.StatusBadRequest, "resourceId")
	restore(map[string]any{"resourceId": id, "versionId": "x"}).wantError(t, http.StatusBadRequest, "versionId")
	restore(`{"resourceId": `).wantError(t, http.StatusBadRequest)
	e.wantUnchanged(t, before)
}

func TestDeleteVersion(t *testing.T) {
	e := newTestEnv(t)
	shared := []byte("shared by two resources")
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("first")))
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "b.txt", shared)).wantStatus(t, http.StatusOK)
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "c.txt", []byte("third"))).wantStatus(t, http.StatusOK)
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "d.txt", []byte("fourth"))).wantStatus(t, http.StatusOK)
	other := e.uploadOK(t, filePart("resource", "o.txt", shared))
	ids := e.versionIDs(t, id) // 4 3 2 1

	// DELETE with the query of the spec.
	got := do(t, "DELETE", e.URL+"/v1/resource/version"+qs("resourceId", itoa(id), "versionId", itoa(ids[3])), nil).
		wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"status": "deleted", "resourceId": id, "versionId": ids[3]}, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if slices.Contains(e.blobs(t), sha256Hex([]byte("first"))) {
		t.Error("the deleted version's blob is still stored")
	}
	// POST with a JSON body; the blob stays, another resource uses it.
	do(t, "POST", e.URL+"/v1/resource/version/delete", map[string]any{"resourceId": id, "versionId": ids[2]}).wantStatus(t, http.StatusOK)
	if !slices.Contains(e.blobs(t), sha256Hex(shared)) {
		t.Error("deleting a version removed a blob another resource uses")
	}
	// POST with the query.
	do(t, "POST", e.URL+"/v1/resource/version/delete"+qs("resourceId", itoa(id), "versionId", itoa(ids[1])), nil).wantStatus(t, http.StatusOK)
	if diff := cmp.Diff([]int64{ids[0]}, e.versionIDs(t, id)); diff != "" {
		t.Errorf("versions left (-want +got):\n%s", diff)
	}

	before := e.state(t)
	del := func(method, path string, kv ...string) *response { return do(t, method, e.URL+path+qs(kv...), nil) }
	for _, path := range []string{"/v1/resource/version", "/v1/resource/version/delete"} {
		method := "POST"
		if path == "/v1/resource/version" {
			method = "DELETE"
		}
		del(method, path, "resourceId", itoa(id), "versionId", itoa(ids[0])).wantError(t, http.StatusConflict, "only version")
		del(method, path, "resourceId", itoa(other), "versionId", itoa(ids[0])).wantError(t, http.StatusBadRequest, "belongs to resource")
		del(method, path, "resourceId", itoa(id), "versionId", itoa(ids[3])).wantError(t, http.StatusNotFound, "version")
		del(method, path, "resourceId", "999", "versionId", itoa(ids[0])).wantError(t, http.StatusNotFound, "resource 999")
		del(method, path, "resourceId", itoa(id)).wantError(t, http.StatusBadRequest, "versionId")
		del(method, path, "versionId", itoa(ids[0])).wantError(t, http.StatusBadRequest, "resourceId")
	}
	e.wantUnchanged(t, before)

	// The current version of a resource with several.
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "e.txt", []byte("fifth"))).wantStatus(t, http.StatusOK)
	current := e.versionIDs(t, id)[0]
	newest := do(t, "GET", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(id)), nil).wantStatus(t, http.StatusOK).array(t)[0].(map[string]any)
	number := newest["versionNumber"].(int64)
	if number == current {
		t.Fatalf("version ID %d equals its number: the test cannot tell them apart", current)
	}
	// Named by the ID the request gave, with its number beside it.
	del("DELETE", "/v1/resource/version", "resourceId", itoa(id), "versionId", itoa(current)).
		wantError(t, http.StatusConflict, fmt.Sprintf("version %d (number %d) is the current version", current, number))
}

func TestCleanupVersions(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("v1")))
	for _, s := range []string{"v2", "v3", "v4", "v5"} {
		e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", s+".txt", []byte(s))).wantStatus(t, http.StatusOK)
	}
	ids := e.versionIDs(t, id) // 5 4 3 2 1
	cleanup := func(body any) *response { return do(t, "POST", e.URL+"/v1/resource/versions/cleanup", body) }

	// The spec's dry run.
	got := cleanup(map[string]any{"resourceId": id, "keepLast": 3, "dryRun": true}).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"deletedVersionIds": []any{ids[4], ids[3]}, "count": int64(2)}, got); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if n := len(e.versionIDs(t, id)); n != 5 {
		t.Errorf("dry run deleted versions: %d left", n)
	}
	// Nothing old enough: an empty list, not null.
	got = cleanup(url.Values{"resourceId": {itoa(id)}, "olderThanDays": {"1"}}).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"deletedVersionIds": []any{}, "count": int64(0)}, got); diff != "" {
		t.Errorf("nothing to delete (-want +got):\n%s", diff)
	}
	got = cleanup(map[string]any{"ResourceId": id, "KeepLast": "3"}).wantStatus(t, http.StatusOK).object(t)
	if got["count"] != int64(2) {
		t.Errorf("cleanup %v", got)
	}
	if diff := cmp.Diff(ids[:3], e.versionIDs(t, id)); diff != "" {
		t.Errorf("versions left (-want +got):\n%s", diff)
	}
	if n := len(e.blobs(t)); n != 3 {
		t.Errorf("%d blobs left, want 3", n)
	}

	before := e.state(t)
	cleanup(map[string]any{"resourceId": id}).wantError(t, http.StatusBadRequest, "keepLast", "olderThanDays")
	cleanup(map[string]any{"resourceId": id, "dryRun": true}).wantError(t, http.StatusBadRequest, "keepLast")
	cleanup(map[string]any{"resourceId": id, "keepLast": -1}).wantError(t, http.StatusBadRequest, "negative")
	cleanup(map[string]any{"resourceId": id, "keepLast": "many"}).wantError(t, http.StatusBadRequest, "keepLast")
	cleanup(map[string]any{"resourceId": id, "keepLast": 1, "dryRun": "perhaps"}).wantError(t, http.StatusBadRequest, "dryRun")
	cleanup(map[string]any{"resourceId": 999, "keepLast": 1}).wantError(t, http.StatusNotFound, "resource 999")
	cleanup(map[string]any{"keepLast": 1}).wantError(t, http.StatusBadRequest, "resourceId")
	e.wantUnchanged(t, before)
}

func TestCleanupAllVersions(t *testing.T) {
	e := newTestEnv(t)
	owner := e.createID(t, "/v1/group", map[string]any{"Name": "Alice"})
	a := e.uploadOK(t, filePart("resource", "a.txt", []byte("a1")), fieldPart("OwnerId", itoa(owner)))
	b := e.uploadOK(t, filePart("resource", "b.txt", []byte("b1")))
	for _, id := range []int64{a, b} {
		for _, s := range []string{"2", "3"} {
			e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", s, []byte(itoa(id)+"-"+s))).wantStatus(t, http.StatusOK)
		}
	}
	aIDs, bIDs := e.versionIDs(t, a), e.versionIDs(t, b)
	cleanup := func(body any) *response { return do(t, "POST", e.URL+"/v1/resources/versions/cleanup", body) }

	got := cleanup(map[string]any{"keepLast": 2, "dryRun": true}).wantStatus(t, http.StatusOK).object(t)
	want := map[string]any{
		"deletedByResource": map[string]any{itoa(a): []any{aIDs[2]}, itoa(b): []any{bIDs[2]}},
		"totalDeleted":      int64(2),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	got = cleanup(map[string]any{"keepLast": 1, "ownerId": owner}).wantStatus(t, http.StatusOK).object(t)
	want = map[string]any{"deletedByResource": map[string]any{itoa(a): []any{aIDs[2], aIDs[1]}}, "totalDeleted": int64(2)}
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", func(xs []any) []any {
		out := slices.Clone(xs)
		slices.SortFunc(out, func(x, y any) int { return int(x.(int64) - y.(int64)) })
		return out
	})); diff != "" {
		t.Errorf("owner's cleanup (-want +got):\n%s", diff)
	}
	if n := len(e.versionIDs(t, b)); n != 3 {
		t.Errorf("a resource of no owner lost versions: %d left", n)
	}
	got = cleanup(url.Values{"olderThanDays": {"3"}}).wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"deletedByResource": map[string]any{}, "totalDeleted": int64(0)}, got); diff != "" {
		t.Errorf("nothing to delete (-want +got):\n%s", diff)
	}

	before := e.state(t)
	cleanup(map[string]any{}).wantError(t, http.StatusBadRequest, "keepLast")
	cleanup(map[string]any{"keepLast": 1, "ownerId": 999}).wantError(t, http.StatusNotFound, "group 999")
	cleanup(map[string]any{"keepLast": 1, "ownerId": -2}).wantError(t, http.StatusBadRequest, "ownerId")
	cleanup(map[string]any{"olderThanDays": -2}).wantError(t, http.StatusBadRequest)
	e.wantUnchanged(t, before)
}

func TestCompareVersions(t *testing.T) {
	e := newTestEnv(t)
	small, big := pngBytes(t, 9, 6, 1), pngBytes(t, 30, 20, 2)
	id := e.uploadOK(t, filePart("resource", "a.png", small))
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "b.png", big), fieldPart("comment", "bigger")).wantStatus(t, http.StatusOK)
	ids := e.versionIDs(t, id)

	got := do(t, "GET", e.URL+"/v1/resource/versions/compare"+qs("resourceId", itoa(id), "v1", itoa(ids[1]), "v2", itoa(ids[0])), nil).
		wantStatus(t, http.StatusOK).object(t)
	v1 := got["version1"].(map[string]any)
	v2 := got["version2"].(map[string]any)
	if v1["id"] != ids[1] || v2["id"] != ids[0] || v2["comment"] != "bigger" {
		t.Errorf("versions %v and %v", v1["id"], v2["id"])
	}
	delete(got, "version1")
	delete(got, "version2")
	want := map[string]any{
		"sizeDelta": int64(len(big) - len(small)), "sameHash": false, "sameType": true,
		"dimensionsDiff": true, "crossResource": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comparison (-want +got):\n%s", diff)
	}

	other := e.uploadOK(t, filePart("resource", "o.png", pngBytes(t, 4, 4, 3)))
	otherVersion := e.versionIDs(t, other)[0]
	compare := func(kv ...string) *response {
		return do(t, "GET", e.URL+"/v1/resource/versions/compare"+qs(kv...), nil)
	}
	compare("resourceId", itoa(id), "v1", itoa(ids[0]), "v2", itoa(otherVersion)).wantError(t, http.StatusBadRequest, "belongs to resource")
	compare("resourceId", itoa(id), "v1", itoa(ids[0]), "v2", "999").wantError(t, http.StatusNotFound, "version 999")
	compare("resourceId", "999", "v1", itoa(ids[0]), "v2", itoa(ids[1])).wantError(t, http.StatusNotFound, "resource 999")
	compare("resourceId", itoa(id), "v1", itoa(ids[0])).wantError(t, http.StatusBadRequest, "v2")
	compare("v1", itoa(ids[0]), "v2", itoa(ids[1])).wantError(t, http.StatusBadRequest, "resourceId")
	compare("resourceId", itoa(id), "v1", "first", "v2", itoa(ids[1])).wantError(t, http.StatusBadRequest, "v1")
}

func TestComparePage(t *testing.T) {
	e := newTestEnv(t)
	a := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 9, 6, 1)), fieldPart("Name", "Sunrise <draft>"))
	e.uploadVersion(t, qs("resourceId", itoa(a)), filePart("file", "a2.png", pngBytes(t, 12, 6, 2)), fieldPart("comment", "cropped")).wantStatus(t, http.StatusOK)
	b := e.uploadOK(t, filePart("resource", "b.txt", []byte("just text")), fieldPart("Name", "Notes"))
	aIDs := e.versionIDs(t, a)

	t.Run("json", func(t *testing.T) {
		got := do(t, "GET", e.URL+"/resource/compare.json"+qs("r1", itoa(a), "v1", "1", "r2", itoa(b), "v2", "1"), nil).
			wantStatus(t, http.StatusOK).json(t)
		golden(t, "versions_compare.json", dropVolatile(t, got))
	})
	t.Run("html", func(t *testing.T) {
		r := do(t, "GET", e.URL+"/resource/compare"+qs("r1", itoa(a), "v1", "1", "r2", itoa(a)), nil, "Accept", "text/html").
			wantStatus(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q forbids too little", csp)
		}
		page := string(r.Body)
		for _, want := range []string{
			`<img src="` + fileURLOf(t, e, aIDs[1]) + `"`,
			`<img src="` + fileURLOf(t, e, aIDs[0]) + `"`,
			"Sunrise &lt;draft&gt; · version 1",
			"Sunrise &lt;draft&gt; · version 2",
			"cropped",
			`class="differs"`,
			"One resource",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(strings.ToLower(page), "<script") {
			t.Error("page has a script")
		}
	})
	t.Run("form with blanks", func(t *testing.T) {
		// What the page's form sends with the versions left empty: the
		// current versions.
		got := do(t, "GET", e.URL+"/resource/compare.json?r1="+itoa(a)+"&v1=&r2=&v2=", nil).wantStatus(t, http.StatusOK).object(t)
		v1, v2 := got["version1"].(map[string]any), got["version2"].(map[string]any)
		if v1["id"] != aIDs[0] || v2["id"] != aIDs[0] || got["crossResource"] != false {
			t.Errorf("versions %v and %v, want the current %d twice", v1["id"], v2["id"], aIDs[0])
		}
	})
	t.Run("no preview for text", func(t *testing.T) {
		page := string(do(t, "GET", e.URL+"/resource/compare"+qs("r1", itoa(b), "r2", itoa(a)), nil).wantStatus(t, http.StatusOK).Body)
		if !strings.Contains(page, "No preview for text/plain") || strings.Count(page, "<img") != 1 {
			t.Errorf("want one image and a placeholder for the text, got:\n%s", page)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			query  string
			status int
			msg    string
		}{
			{qs("r1", "999"), http.StatusNotFound, "resource 999"},
			{qs("r1", itoa(a), "v1", "7"), http.StatusNotFound, "no version 7"},
			{qs("r1", itoa(a), "v1", "-1"), http.StatusBadRequest, "positive"},
			{qs("r1", itoa(a), "r2", "0"), http.StatusBadRequest, "r2"},
			{qs("v1", "1"), http.StatusBadRequest, "r1"},
			{qs("r1", "x"), http.StatusBadRequest, "r1"},
		} {
			// JSON for API clients, on both paths.
			do(t, "GET", e.URL+"/resource/compare.json"+tt.query, nil).wantError(t, tt.status, tt.msg)
			do(t, "GET", e.URL+"/resource/compare"+tt.query, nil).wantError(t, tt.status, tt.msg)
			// A page for browsers.
			r := do(t, "GET", e.URL+"/resource/compare"+tt.query, nil, "Accept", "text/html,application/xhtml+xml").wantStatus(t, tt.status)
			if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !strings.Contains(string(r.Body), tt.msg) {
				t.Errorf("%s: %s %q", tt.query, ct, r.Body)
			}
		}
	})
}

// fileURLOf is the /files/ URL of a version's content.
func fileURLOf(tb testing.TB, e *testEnv, versionID int64) string {
	tb.Helper()
	v := do(tb, "GET", e.URL+"/v1/resource/version"+qs("id", itoa(versionID)), nil).wantStatus(tb, http.StatusOK).object(tb)
	h := v["hash"].(string)
	ext := map[string]string{"image/png": ".png", "text/plain": ".txt"}[v["contentType"].(string)]
	return "/files/" + h[:2] + "/" + h[2:4] + "/" + h + ext
}

// TestNewVersionChangesPreview checks that after a new version or a restore
// the resource's preview is that of the new current file, not a cached one
// of the old.
func TestNewVersionChangesPreview(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 40, 30, 1)))
	preview := func() *response {
		return do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", itoa(id)), nil).wantStatus(t, http.StatusOK)
	}
	first := preview()
	e.uploadVersion(t, qs("resourceId", itoa(id)), filePart("file", "b.png", pngBytes(t, 20, 40, 9))).wantStatus(t, http.StatusOK)
	second := preview()
	if first.Header.Get("ETag") == second.Header.Get("ETag") || string(first.Body) == string(second.Body) {
		t.Errorf("the preview did not change with the new version (ETag %s)", second.Header.Get("ETag"))
	}
	do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", itoa(id)), nil, "If-None-Match", first.Header.Get("ETag")).wantStatus(t, http.StatusOK)
	old := e.versionIDs(t, id)[1]
	do(t, "POST", e.URL+"/v1/resource/version/restore", map[string]any{"resourceId": id, "versionId": old}).wantStatus(t, http.StatusOK)
	if third := preview(); third.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Errorf("after restoring version 1 the preview's ETag is %s, want version 1's %s", third.Header.Get("ETag"), first.Header.Get("ETag"))
	}
}
