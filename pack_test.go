package stockroom_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/internal/packtest"
	"github.com/stockroomhq/stockroom/resources"
)

// TestSmallBlobsPacked: a data folder keeps a small file in its pack and
// a large one as a file; opened with SmallBlobsAsFiles later, it still
// reads the pack, and puts new small files beside the large.
func TestSmallBlobsPacked(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	files := filepath.Join(dataDir, "files")
	create := func(lib *stockroom.Library, content []byte) *resources.Resource {
		t.Helper()
		r, err := lib.Store.Create(ctx, bytes.NewReader(content), resources.CreateInput{Name: "f.bin"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	isFile := func(r *resources.Resource) bool {
		_, err := os.Stat(blobPath(dataDir, r.Hash))
		return err == nil
	}
	lib, _ := openOps(t, dataDir)
	small := create(lib, []byte("a small file"))
	large := create(lib, bytes.Repeat([]byte("large "), 20_000))
	if _, packed := packtest.Read(t, files, small.Hash); !packed || isFile(small) {
		t.Errorf("small file: packed %v, a file %v; want packed only", packed, isFile(small))
	}
	if _, packed := packtest.Read(t, files, large.Hash); packed || !isFile(large) {
		t.Errorf("large file: packed %v, a file %v; want a file only", packed, isFile(large))
	}
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}

	lib, _ = openOpsWith(t, dataDir, stockroom.Options{SmallBlobsAsFiles: true})
	f, err := lib.Blobs.Open(ctx, small.Hash)
	if err != nil {
		t.Fatalf("the packed file after SmallBlobsAsFiles: %v", err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != "a small file" {
		t.Errorf("the packed file reads %q", got)
	}
	later := create(lib, []byte("another small file"))
	if _, packed := packtest.Read(t, files, later.Hash); packed || !isFile(later) {
		t.Errorf("a small file with SmallBlobsAsFiles: packed %v, a file %v; want a file only", packed, isFile(later))
	}
	rep, err := lib.Verify(ctx, stockroom.VerifyOptions{})
	if err != nil || !rep.OK() || rep.Checked != 3 {
		t.Errorf("verify: %+v, %v", rep, err)
	}
}

// TestNoPackWithoutOne: SmallBlobsAsFiles on a folder that never had a
// pack makes none.
func TestNoPackWithoutOne(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	openOpsWith(t, dataDir, stockroom.Options{SmallBlobsAsFiles: true})
	if _, err := os.Stat(filepath.Join(dataDir, "files", "smallblobs.db")); !os.IsNotExist(err) {
		t.Errorf("a pack was made: %v", err)
	}
}
