package packstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/blobstore/blobstoretest"
	"github.com/stockroomhq/stockroom/blobstore/packstore"
	"github.com/stockroomhq/stockroom/internal/packtest"
)

// newStore opens a pack in front of the files of a new folder, as the
// library does, and returns both.
func newStore(tb testing.TB, o packstore.Options) (*packstore.Store, *aferostore.Store, string) {
	tb.Helper()
	files, dir := newFiles(tb)
	return openPackIn(tb, files, dir, o), files, dir
}

// openPackIn opens the pack of the folder dir, in front of its files, to
// be closed at the end of the test if not before.
func openPackIn(tb testing.TB, files *aferostore.Store, dir string, o packstore.Options) *packstore.Store {
	tb.Helper()
	s, err := packstore.Open(context.Background(), filepath.Join(dir, packstore.FileName), files, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// newFiles makes the store of files of a new folder, as the library's.
func newFiles(tb testing.TB) (*aferostore.Store, string) {
	dir := tb.TempDir()
	files := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	files.LocalDir = dir
	return files, dir
}

func TestConformance(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		s, _, _ := newStore(t, packstore.Options{})
		return s
	})
}

// TestConformanceTinyPack runs the suite with a pack of 1 KiB, so that
// most of its contents go to the files and both halves meet in one store.
func TestConformanceTinyPack(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		s, _, _ := newStore(t, packstore.Options{Small: 1 << 10})
		return s
	})
}

func TestDerivedConformance(t *testing.T) {
	blobstoretest.RunDerived(t, func(t *testing.T) blobstoretest.DerivedStore {
		s, _, _ := newStore(t, packstore.Options{})
		return s
	})
}

func put(tb testing.TB, s blobstore.Putter, data []byte) blobstore.PutResult {
	tb.Helper()
	res, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func read(tb testing.TB, s blobstore.Opener, h blobstore.Hash) []byte {
	tb.Helper()
	f, err := s.Open(context.Background(), h)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestWhereBlobsGo checks that content up to Small bytes is in the pack,
// not a file, and longer content a file, not in the pack.
func TestWhereBlobsGo(t *testing.T) {
	s, files, dir := newStore(t, packstore.Options{Small: 100})
	small := put(t, s, bytes.Repeat([]byte("s"), 100))
	large := put(t, s, bytes.Repeat([]byte("l"), 101))
	if !small.Created || !large.Created {
		t.Fatalf("created: small %v, large %v", small.Created, large.Created)
	}
	if _, err := files.Stat(context.Background(), small.Hash); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("the small blob is a file (Stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(large.Hash.Path()))); err != nil {
		t.Errorf("the large blob is not a file: %v", err)
	}
	if got := packtest.Hashes(t, dir); !cmp.Equal(got, []blobstore.Hash{small.Hash}) {
		t.Errorf("the pack holds %v, want only %v", got, small.Hash)
	}
	if p, ok := s.LocalPath(small.Hash); ok {
		t.Errorf("a packed blob has a local path: %s", p)
	}
	if p, ok := s.LocalPath(large.Hash); !ok || p != filepath.Join(dir, filepath.FromSlash(large.Hash.Path())) {
		t.Errorf("LocalPath of the file = %q, %v", p, ok)
	}
	info, err := s.Stat(context.Background(), small.Hash)
	if err != nil || info.Size != 100 || info.Hash != small.Hash || info.ModTime.IsZero() {
		t.Errorf("Stat of the packed blob = %+v, %v", info, err)
	}
}

// TestFilesBeforeThePack checks a folder whose small blobs were files
// before it had a pack: they are found, not packed again, walked once,
// and removed.
func TestFilesBeforeThePack(t *testing.T) {
	files, dir := newFiles(t)
	content := []byte("stored as a file long ago")
	old := put(t, files, content)

	s := openPackIn(t, files, dir, packstore.Options{})
	again := put(t, s, content)
	if again.Created || again.Hash != old.Hash {
		t.Errorf("Put of a file's content = %+v, want it found (Created false)", again)
	}
	if got := packtest.Hashes(t, dir); len(got) != 0 {
		t.Errorf("the file's content was packed too: %v", got)
	}
	if got := read(t, s, old.Hash); !bytes.Equal(got, content) {
		t.Errorf("Open = %q", got)
	}
	fresh := put(t, s, []byte("new and small"))
	var walked []blobstore.Hash
	if err := s.Walk(context.Background(), func(i blobstore.Info) error { walked = append(walked, i.Hash); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(walked) != 2 || !((walked[0] == fresh.Hash && walked[1] == old.Hash) || (walked[1] == fresh.Hash && walked[0] == old.Hash)) {
		t.Errorf("Walk = %v, want %v and %v once each", walked, fresh.Hash, old.Hash)
	}
	if err := s.Remove(context.Background(), old.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(context.Background(), old.Hash); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Stat after Remove: %v", err)
	}
}

// TestNoNewPacking checks Small < 0: the pack serves what it holds and
// takes nothing new.
func TestNoNewPacking(t *testing.T) {
	files, dir := newFiles(t)
	s := openPackIn(t, files, dir, packstore.Options{})
	before := put(t, s, []byte("packed"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPackIn(t, files, dir, packstore.Options{Small: -1})
	after := put(t, s, []byte("a file"))
	if got := read(t, s, before.Hash); string(got) != "packed" {
		t.Errorf("the packed blob reads %q", got)
	}
	if _, err := files.Stat(context.Background(), after.Hash); err != nil {
		t.Errorf("the new blob is not a file: %v", err)
	}
	if got := packtest.Hashes(t, dir); !cmp.Equal(got, []blobstore.Hash{before.Hash}) {
		t.Errorf("the pack holds %v", got)
	}
}

// TestVerifyCorruptPack changes a packed blob's bytes behind the store's
// back: Verify reports it corrupt, the others stay sound.
func TestVerifyCorruptPack(t *testing.T) {
	s, _, dir := newStore(t, packstore.Options{})
	bad := put(t, s, []byte("will rot"))
	good := put(t, s, []byte("stays"))
	packtest.Write(t, dir, bad.Hash, []byte("has rot"))
	if err := s.Verify(context.Background(), bad.Hash); !errors.Is(err, blobstore.ErrCorrupt) {
		t.Errorf("Verify of the changed blob = %v, want ErrCorrupt", err)
	}
	if err := s.Verify(context.Background(), good.Hash); err != nil {
		t.Errorf("Verify of the other = %v", err)
	}
}

// TestMaxSize checks that the pack refuses what the files would.
func TestMaxSize(t *testing.T) {
	s, _, dir := newStore(t, packstore.Options{MaxSize: 10})
	_, err := s.Put(context.Background(), bytes.NewReader(make([]byte, 11)))
	if !errors.Is(err, blobstore.ErrTooLarge) {
		t.Fatalf("Put of 11 bytes over a limit of 10 = %v", err)
	}
	if got := packtest.Hashes(t, dir); len(got) != 0 {
		t.Errorf("the pack holds %v", got)
	}
	if res := put(t, s, make([]byte, 10)); res.Hash != sha256.Sum256(make([]byte, 10)) {
		t.Errorf("Put of 10 bytes = %+v", res)
	}
}

// TestReopen checks that what was packed is there after Close and Open.
func TestReopen(t *testing.T) {
	files, dir := newFiles(t)
	s := openPackIn(t, files, dir, packstore.Options{})
	res := put(t, s, []byte("kept"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), bytes.NewReader([]byte("late"))); !errors.Is(err, packstore.ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	s = openPackIn(t, files, dir, packstore.Options{})
	if got := read(t, s, res.Hash); string(got) != "kept" {
		t.Errorf("after reopening: %q", got)
	}
}

// TestWalkMerges: Walk reports the pack's blobs and the files' merged in
// ascending order, a blob in both once, and fn's error as it is, from
// either side.
func TestWalkMerges(t *testing.T) {
	s, files, _ := newStore(t, packstore.Options{Small: 100})
	var want []blobstore.Hash
	for i := range 20 {
		size := 50 // packed
		if i%3 == 0 {
			size = 200 // a file
		}
		content := bytes.Repeat([]byte{byte(i)}, size)
		want = append(want, put(t, s, content).Hash)
		if i == 4 {
			put(t, files, content) // in both
		}
	}
	slices.SortFunc(want, func(a, b blobstore.Hash) int { return bytes.Compare(a[:], b[:]) })
	var got []blobstore.Hash
	if err := s.Walk(context.Background(), func(i blobstore.Info) error { got = append(got, i.Hash); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	for _, at := range got {
		err := s.Walk(context.Background(), func(i blobstore.Info) error {
			if i.Hash == at {
				return stop
			}
			return nil
		})
		if err != stop {
			t.Errorf("Walk stopped at %s returned %v, want fn's error itself", at, err)
		}
	}
}
