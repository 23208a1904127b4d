package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// altRoot makes an alternative filesystem with a few files, and a file
// outside it that symbolic links inside point to.
func altRoot(tb testing.TB) (root, outside string, photo []byte) {
	tb.Helper()
	base := tb.TempDir()
	root = filepath.Join(base, "archive")
	outside = filepath.Join(base, "secret.txt")
	photo = pngBytes(tb, 9, 7, 5)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "photo.png"), photo, 0o644))
	must(os.WriteFile(filepath.Join(root, "sub", "notes.txt"), []byte("plain notes\n"), 0o644))
	must(os.WriteFile(outside, []byte("outside the root"), 0o644))
	must(os.Symlink(outside, filepath.Join(root, "escape.txt")))
	must(os.Symlink("../../secret.txt", filepath.Join(root, "sub", "relative-escape.txt")))
	must(os.Symlink(filepath.Join(base), filepath.Join(root, "up")))
	must(os.Symlink("../photo.png", filepath.Join(root, "sub", "inner.png")))
	return root, outside, photo
}

func TestLocalResource(t *testing.T) {
	root, outside, photo := altRoot(t)
	e := newIntakeEnv(t, intakeOptions{altFS: map[string]string{"archive": root}})

	r := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "photo.png", "Tags": []int64{}}).
		wantStatus(t, http.StatusOK).object(t)
	sum := sha256.Sum256(photo)
	if r["StorageLocation"] != "archive" || r["Location"] != "photo.png" || r["Hash"] != hex.EncodeToString(sum[:]) ||
		r["ContentType"] != "image/png" || r["Width"] != int64(9) || r["Height"] != int64(7) || r["Name"] != "photo.png" ||
		r["FileSize"] != int64(len(photo)) || r["currentVersionId"] == nil {
		t.Errorf("local resource = %v", r)
	}
	id := r["ID"].(int64)
	// Referenced, not copied.
	if b := e.blobs(t); len(b) != 0 {
		t.Errorf("the blob store holds %v", b)
	}
	// The same file again, by the same or an equivalent path, is the same
	// resource.
	for _, p := range []string{"photo.png", "./photo.png", "/photo.png", `\photo.png`, "/./photo.png"} {
		again := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": p}).wantStatus(t, http.StatusOK).object(t)
		if again["ID"] != id {
			t.Errorf("%q gave resource %v, want %d", p, again["ID"], id)
		}
	}
	// Viewed and versioned through the alternative filesystem.
	loc := do(t, "GET", e.URL+"/v1/resource/view?id="+fmt.Sprint(id), nil).wantStatus(t, http.StatusFound).Header.Get("Location")
	if got := do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusOK).Body; !bytes.Equal(got, photo) {
		t.Errorf("view served %d bytes", len(got))
	}
	vs := do(t, "GET", e.URL+"/v1/resource/versions?resourceId="+fmt.Sprint(id), nil).wantStatus(t, http.StatusOK).array(t)
	if len(vs) != 1 {
		t.Fatalf("%d versions", len(vs))
	}
	vid := vs[0].(map[string]any)["id"]
	if got := do(t, "GET", e.URL+"/v1/resource/version/file?versionId="+fmt.Sprint(vid), nil).wantStatus(t, http.StatusOK).Body; !bytes.Equal(got, photo) {
		t.Errorf("version file served %d bytes", len(got))
	}
	// A symbolic link that stays inside the root is fine; its content is
	// the photo's, so it is a duplicate.
	do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "sub/inner.png"}).wantError(t, http.StatusConflict)
	notes := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "sub/notes.txt", "Name": "Notes"}).
		wantStatus(t, http.StatusOK).object(t)
	if notes["Name"] != "Notes" || notes["ContentType"] != "text/plain" || notes["Location"] != "sub/notes.txt" {
		t.Errorf("notes = %v", notes)
	}

	// Deleting the resource never deletes the user's file.
	do(t, "POST", e.URL+"/v1/resource/delete", map[string]any{"ID": id}).wantStatus(t, http.StatusOK)
	if b, err := os.ReadFile(filepath.Join(root, "photo.png")); err != nil || !bytes.Equal(b, photo) {
		t.Errorf("the original file after delete: %d bytes, %v", len(b), err)
	}
	do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusNotFound)
	// Once deleted, adding it again makes a new resource.
	re := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "photo.png"}).wantStatus(t, http.StatusOK).object(t)
	if re["ID"] == id {
		t.Errorf("re-added file kept the deleted ID")
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "outside the root" {
		t.Errorf("outside file: %q, %v", b, err)
	}
}

func TestLocalResourceRefusesEscapes(t *testing.T) {
	root, outside, _ := altRoot(t)
	e := newIntakeEnv(t, intakeOptions{altFS: map[string]string{"archive": root}})
	before := e.state(t)
	for _, tt := range []struct {
		name, pathName, path string
		status               int
		fragments            []string
	}{
		{"dot dot", "archive", "../secret.txt", http.StatusBadRequest, []string{".."}},
		{"dot dot inside", "archive", "sub/../../secret.txt", http.StatusBadRequest, []string{".."}},
		{"backslash dot dot", "archive", `sub/..\..\secret.txt`, http.StatusBadRequest, nil},
		// A leading slash is the root of the alternative filesystem: a
		// host path names a file under it, which is not there.
		{"host path outside", "archive", outside, http.StatusNotFound, nil},
		{"host system file", "archive", "/etc/passwd", http.StatusNotFound, nil},
		{"host path inside", "archive", filepath.Join(root, "photo.png"), http.StatusNotFound, nil},
		{"symlink out", "archive", "escape.txt", http.StatusBadRequest, []string{"outside"}},
		{"relative symlink out", "archive", "sub/relative-escape.txt", http.StatusBadRequest, []string{"outside"}},
		{"through a symlinked directory", "archive", "up/secret.txt", http.StatusBadRequest, []string{"outside"}},
		{"directory", "archive", "sub", http.StatusBadRequest, []string{"not a regular file"}},
		{"root", "archive", ".", http.StatusBadRequest, []string{"root"}},
		{"missing", "archive", "nope.png", http.StatusNotFound, nil},
		{"unknown PathName", "elsewhere", "photo.png", http.StatusBadRequest, []string{"PathName"}},
		{"no LocalPath", "archive", "", http.StatusBadRequest, []string{"LocalPath"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": tt.pathName, "LocalPath": tt.path}).
				wantError(t, tt.status, tt.fragments...)
			if msg := m["error"].(string); bytes.Contains([]byte(msg), []byte(filepath.Dir(root))) && tt.path != outside {
				t.Errorf("error reveals the host path: %s", msg)
			}
			e.wantUnchanged(t, before)
		})
	}
	// Without alternative filesystems the endpoint refuses politely.
	plain := newIntakeEnv(t, intakeOptions{})
	do(t, "POST", plain.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "photo.png"}).
		wantError(t, http.StatusBadRequest, "no alternative filesystem")
}
