//go:build !windows

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/packtest"
)

// TestE2EOps runs verify, backup, restore and gc through the binary beside
// a running server: a clean store verifies with exit 0, a backup taken
// while it serves restores and verifies on its own, a corrupt file makes
// verify name its resource and exit 1.
func TestE2EOps(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	p := startServer(t, root, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	var ids []int64
	hashes := map[int64]string{}
	for i := range 5 {
		r := upload(t, p, fmt.Sprintf("f%d.txt", i), []byte(fmt.Sprintf("file number %d\n", i)), nil)
		ids = append(ids, r.ID)
		hashes[r.ID] = r.Hash
	}
	// The health and metrics endpoints are served beside the API.
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"ready"`,
		"/metrics": "stockroom_media_worker_cpu_seconds_total",
	} {
		resp, err := http.Get(p.url("%s", path))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d, want 200 with %q:\n%.300s", path, resp.StatusCode, want, b)
		}
	}
	data := []string{"-data-dir", dataDir}
	if code, out := runProc(t, nil, append([]string{"verify"}, data...)...); code != 0 || !strings.Contains(out, "checked 5 blobs") {
		t.Fatalf("verify of a clean store: exit %d\n%s", code, out)
	}
	backup := filepath.Join(root, "backup")
	code, out := runProc(t, nil, append(append([]string{"backup"}, data...), backup)...)
	if code != 0 || !strings.Contains(out, "5 copied") {
		t.Fatalf("backup: exit %d\n%s", code, out)
	}
	upload(t, p, "late.txt", []byte("a late file\n"), nil)
	code, out = runProc(t, nil, append(append([]string{"backup"}, data...), backup)...)
	if code != 0 || !strings.Contains(out, "1 copied") || !strings.Contains(out, "5 already there") {
		t.Fatalf("second backup: exit %d\n%s", code, out)
	}
	if code, out := runProc(t, nil, "verify", "-data-dir", backup); code != 0 {
		t.Fatalf("verify of the backup: exit %d\n%s", code, out)
	}
	restored := filepath.Join(root, "restored")
	if code, out := runProc(t, nil, "restore", "-data-dir", restored, backup); code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, out)
	}
	if code, out := runProc(t, nil, "restore", "-data-dir", dataDir, backup); code != 1 || !strings.Contains(out, "not empty") {
		t.Errorf("restore over a library: exit %d\n%s", code, out)
	}
	if code, out := runProc(t, nil, "verify", "-data-dir", restored); code != 0 || !strings.Contains(out, "checked 6 blobs") {
		t.Fatalf("verify of the restored folder: exit %d\n%s", code, out)
	}

	h, _ := blobstore.ParseHash(hashes[ids[2]])
	// A small file is in the pack of the folder; its bytes change there.
	if _, packed := packtest.Read(t, filepath.Join(dataDir, "files"), h); !packed {
		t.Fatalf("%s is not in the pack", h)
	}
	packtest.Write(t, filepath.Join(dataDir, "files"), h, []byte("changed\n"))
	code, out = runProc(t, nil, append([]string{"verify"}, data...)...)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("corrupt %s: used by resource %d", h, ids[2])) {
		t.Errorf("verify of a corrupt store: exit %d\n%s", code, out)
	}
	cursor := filepath.Join(root, "cursor")
	code, out = runProc(t, nil, append([]string{"verify", "-cursor-file", cursor, "-limit", "4"}, data...)...)
	if !strings.Contains(out, "checked 4 blobs") {
		t.Errorf("first slice: exit %d\n%s", code, out)
	}
	if _, out = runProc(t, nil, append([]string{"verify", "-cursor-file", cursor, "-limit", "4"}, data...)...); !strings.Contains(out, "checked 2 blobs") {
		t.Errorf("second slice:\n%s", out)
	}
	if code, out := runProc(t, nil, append([]string{"gc", "-dry-run"}, data...)...); code != 0 || !strings.Contains(out, "would remove 0 blobs") {
		t.Errorf("gc -dry-run: exit %d\n%s", code, out)
	}
	if code, out := runProc(t, nil, "verify", "-data-dir", filepath.Join(root, "none")); code != 1 || !strings.Contains(out, "no library") {
		t.Errorf("verify of a missing folder: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(root, "none")); err == nil {
		t.Error("verify created the missing folder")
	}
	if code, out := runProc(t, nil, "verify", "-sample", "x"); code != 2 {
		t.Errorf("verify -sample x: exit %d, want 2\n%s", code, out)
	}
}
