package localfs_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/blobstore/blobstoretest"
	"github.com/stockroomhq/stockroom/blobstore/localfs"
)

// The wrapper must not change anything the wrapped store does.
func TestConformance(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		none := localfs.LocatorFunc(func(context.Context, blobstore.Hash) ([]localfs.Location, error) { return nil, nil })
		return localfs.New(aferostore.New(afero.NewMemMapFs()), map[string]string{"archive": t.TempDir()}, none)
	})
}

// fixture is an alternative filesystem "archive" in a temporary directory,
// with the locations the locator answers for each hash.
type fixture struct {
	dir   string
	store *localfs.Store
	locs  map[blobstore.Hash][]localfs.Location
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), locs: map[blobstore.Hash][]localfs.Location{}}
	loc := localfs.LocatorFunc(func(_ context.Context, h blobstore.Hash) ([]localfs.Location, error) {
		return f.locs[h], nil
	})
	f.store = localfs.New(aferostore.New(afero.NewMemMapFs()), map[string]string{"archive": f.dir}, loc)
	return f
}

// add writes content at rel under the root and records it for its hash.
func (f *fixture) add(t *testing.T, rel, content string) blobstore.Hash {
	t.Helper()
	p := filepath.Join(f.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	h := blobstore.Hash(sha256.Sum256([]byte(content)))
	f.locs[h] = append(f.locs[h], localfs.Location{Key: "archive", Path: rel, Size: int64(len(content))})
	return h
}

func TestReadsInPlace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	h := f.add(t, "sub/doc.txt", "kept where it is")

	r, err := f.store.Open(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("kept where it is", string(got)); diff != "" {
		t.Errorf("Open content (-want +got):\n%s", diff)
	}
	info, err := f.store.Stat(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if info.Hash != h || info.Size != int64(len("kept where it is")) {
		t.Errorf("Stat = %+v", info)
	}
	if err := f.store.Verify(ctx, h); err != nil {
		t.Errorf("Verify: %v", err)
	}
	p, ok := f.store.LocalPath(h)
	want, _ := filepath.EvalSymlinks(filepath.Join(f.dir, "sub", "doc.txt"))
	if !ok || p != want {
		t.Errorf("LocalPath = %q, %v; want %q", p, ok, want)
	}
	// Walk lists the wrapped store only: the user's file is not a blob.
	if err := f.store.Walk(ctx, func(i blobstore.Info) error {
		t.Errorf("Walk saw %s", i.Hash)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Remove never deletes the user's file.
	if err := f.store.Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "sub", "doc.txt")); err != nil {
		t.Errorf("the local file is gone after Remove: %v", err)
	}
}

func TestChangedFile(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	h := f.add(t, "a.txt", "original")
	// Same size, other bytes: only Verify can tell.
	if err := os.WriteFile(filepath.Join(f.dir, "a.txt"), []byte("ORIGINAL"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Verify(ctx, h); !errors.Is(err, blobstore.ErrCorrupt) {
		t.Errorf("Verify of a changed file = %v, want ErrCorrupt", err)
	}
	// Another size: Open refuses it.
	if err := os.WriteFile(filepath.Join(f.dir, "a.txt"), []byte("longer than before"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Open(ctx, h); !errors.Is(err, blobstore.ErrCorrupt) {
		t.Errorf("Open of a resized file = %v, want ErrCorrupt", err)
	}
}

func TestStaysInsideRoot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := blobstore.Hash(sha256.Sum256([]byte("secret")))
	if err := os.Symlink(outside, filepath.Join(f.dir, "link.txt")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	rel, err := filepath.Rel(f.dir, outside)
	if err != nil {
		t.Fatal(err)
	}
	f.locs[h] = []localfs.Location{
		{Key: "archive", Path: "link.txt", Size: 6},
		{Key: "archive", Path: filepath.ToSlash(rel), Size: 6},
		{Key: "unknown", Path: "secret.txt", Size: 6},
	}
	if _, err := f.store.Open(ctx, h); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Open through a path leaving the root = %v, want ErrNotFound", err)
	}
	if p, ok := f.store.LocalPath(h); ok {
		t.Errorf("LocalPath = %q, want none", p)
	}
	if _, _, err := localfs.OpenInRoot(f.dir, ".", false); !errors.Is(err, localfs.ErrNotRegular) {
		t.Errorf("OpenInRoot of a directory = %v, want ErrNotRegular", err)
	}
}
