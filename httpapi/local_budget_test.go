package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLocalHardLinks: a file of an alternative filesystem with other hard
// links (here, to a file outside it) is refused and not served, unless the
// operator allows them.
func TestLocalHardLinks(t *testing.T) {
	root, outside, _ := altRoot(t)
	if err := os.Link(outside, filepath.Join(root, "linked.txt")); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	e := newIntakeEnv(t, intakeOptions{altFS: map[string]string{"archive": root}})
	before := e.state(t)
	do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "linked.txt"}).
		wantError(t, http.StatusBadRequest, "hard links")
	e.wantUnchanged(t, before)

	// A file added alone and linked afterwards is no longer served.
	single := filepath.Join(root, "single.txt")
	if err := os.WriteFile(single, []byte("single file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "single.txt"}).
		wantStatus(t, http.StatusOK).object(t)["ID"].(int64)
	loc := do(t, "GET", e.URL+"/v1/resource/view?id="+fmt.Sprint(id), nil).wantStatus(t, http.StatusFound).Header.Get("Location")
	do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusOK)
	if err := os.Link(single, filepath.Join(t.TempDir(), "elsewhere.txt")); err != nil {
		t.Skipf("no hard links across folders here: %v", err)
	}
	if r := do(t, "GET", e.URL+loc, nil); r.Status == http.StatusOK {
		t.Errorf("a file with another hard link was served")
	}

	allowed := newIntakeEnv(t, intakeOptions{altFS: map[string]string{"archive": root}, allowLinks: true})
	do(t, "POST", allowed.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "linked.txt"}).
		wantStatus(t, http.StatusOK)
}

// TestLocalChangedFile: a local file rewritten in place with other bytes of
// the same size is never served under its old hash; one merely touched is
// re-hashed and served.
func TestLocalChangedFile(t *testing.T) {
	root, _, _ := altRoot(t)
	e := newIntakeEnv(t, intakeOptions{altFS: map[string]string{"archive": root}})
	path := filepath.Join(root, "same-size.txt")
	original := []byte("original bytes\n")
	if err := os.WriteFile(path, original, 0o644); err != nil {
		t.Fatal(err)
	}
	id := do(t, "POST", e.URL+"/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "same-size.txt"}).
		wantStatus(t, http.StatusOK).object(t)["ID"].(int64)
	loc := do(t, "GET", e.URL+"/v1/resource/view?id="+fmt.Sprint(id), nil).wantStatus(t, http.StatusFound).Header.Get("Location")

	// Touched: same bytes, a new time. Still served.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if got := do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusOK).Body; !bytes.Equal(got, original) {
		t.Fatalf("touched file served %q", got)
	}

	// Rewritten with other bytes of the same size, and its time set back
	// to what it was: the inode or time differs from what was hashed.
	changed := []byte("changed bytes!\n")
	if len(changed) != len(original) {
		t.Fatal("test data of different sizes")
	}
	if err := os.WriteFile(path+".new", changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	r := do(t, "GET", e.URL+loc, nil)
	if r.Status == http.StatusOK || bytes.Equal(r.Body, changed) {
		t.Errorf("changed file served under its old hash: %d %q", r.Status, r.Body)
	}
}
