package s3store_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/blobstoretest"
	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

// cachedStore returns a new empty store that keeps local copies of up to
// size bytes.
func cachedStore(tb testing.TB, size int64) (*s3store.Store, s3store.Config) {
	tb.Helper()
	return newStore(tb, func(c *s3store.Config) {
		c.CacheDir = filepath.Join(tb.TempDir(), "cache")
		c.CacheSize = size
	})
}

func TestConformanceCached(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		s, cfg := cachedStore(t, 64<<20)
		t.Cleanup(func() { checkNoTemp(t, cfg.TempDir) })
		return s
	})
}

// randomBytes returns n bytes that no other call returns.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	crand.Read(b)
	return b
}

// readBlob opens h in s and returns its content, and whether the Open
// was served by a local copy.
func readBlob(tb testing.TB, s *s3store.Store, h blobstore.Hash) ([]byte, bool) {
	tb.Helper()
	before := s.CacheStats().Hits
	f, err := s.Open(context.Background(), h)
	if err != nil {
		tb.Fatalf("Open %s: %v", h, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		tb.Fatalf("read %s: %v", h, err)
	}
	if got := f.(interface{ Size() int64 }).Size(); got != int64(len(b)) {
		tb.Errorf("Size() = %d, read %d bytes", got, len(b))
	}
	return b, s.CacheStats().Hits > before
}

// cachedNames lists the copies in dir.
func cachedNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCacheServesWhatItStored(t *testing.T) {
	ctx := context.Background()
	s, cfg := cachedStore(t, 1<<20)
	data := randomBytes(100 << 10)
	res := mustPut(t, s, data)
	if diff := cmp.Diff([]string{res.Hash.String()}, cachedNames(t, cfg.CacheDir)); diff != "" {
		t.Errorf("copies after a Put (-want +got):\n%s", diff)
	}
	got, hit := readBlob(t, s, res.Hash)
	if !hit || !bytes.Equal(got, data) {
		t.Fatalf("Open after Put: hit %v, %d bytes equal %v; want the copy", hit, len(got), bytes.Equal(got, data))
	}

	// The copy is read without asking the service: it still serves the
	// blob after the object is deleted behind the store's back.
	c, err := sharedGateway(t).Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveObject(ctx, testBucket, cfg.Prefix+res.Hash.Path(), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, hit := readBlob(t, s, res.Hash); !hit || !bytes.Equal(got, data) {
		t.Fatalf("Open of a copy whose object is gone: hit %v; want the copy", hit)
	}

	// Remove drops the copy with the object.
	mustPut(t, s, data)
	if err := s.Remove(ctx, res.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, res.Hash); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("Open after Remove: %v, want ErrNotFound", err)
	}
	if names := cachedNames(t, cfg.CacheDir); len(names) != 0 {
		t.Errorf("copies after Remove: %v", names)
	}

	// A copy removed behind the cache's back is a miss, not an error.
	res = mustPut(t, s, data)
	if err := os.Remove(filepath.Join(cfg.CacheDir, res.Hash.String())); err != nil {
		t.Fatal(err)
	}
	if got, hit := readBlob(t, s, res.Hash); hit || !bytes.Equal(got, data) {
		t.Fatalf("Open of a lost copy: hit %v, equal %v; want the object", hit, bytes.Equal(got, data))
	}
	if st := s.CacheStats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("stats after a lost copy: %+v, want none", st)
	}

	// Content the service has already is kept as well, and Receive,
	// then Store, keeps it as Put does.
	rcv, err := s.Receive(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rcv.Store(ctx); err != nil {
		t.Fatal(err)
	}
	rcv.Close()
	if _, hit := readBlob(t, s, res.Hash); !hit {
		t.Errorf("content stored twice is not kept")
	}
	checkNoTemp(t, cfg.TempDir)
}

func TestCacheEvictsLeastRecentlyOpened(t *testing.T) {
	const limit, item = 1 << 20, 200 << 10 // five items fit, not six
	s, cfg := cachedStore(t, limit)
	var blobs [][]byte
	var hashes []blobstore.Hash
	put := func() {
		b := randomBytes(item)
		blobs = append(blobs, b)
		hashes = append(hashes, mustPut(t, s, b).Hash)
	}
	for range 5 {
		put()
	}
	if _, hit := readBlob(t, s, hashes[0]); !hit {
		t.Fatal("first blob not kept")
	}
	put() // drops blob 1, which was opened less recently than blob 0
	put() // drops blob 2
	var want []string
	for _, i := range []int{0, 3, 4, 5, 6} {
		want = append(want, hashes[i].String())
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, cachedNames(t, cfg.CacheDir)); diff != "" {
		t.Errorf("copies (-want +got):\n%s", diff)
	}
	if st := s.CacheStats(); st.Entries != 5 || st.Bytes != 5*item {
		t.Errorf("stats %+v, want 5 entries of %d bytes", st, item)
	}
	for i, h := range hashes {
		got, hit := readBlob(t, s, h)
		if !bytes.Equal(got, blobs[i]) {
			t.Errorf("blob %d: wrong content", i)
		}
		if wantHit := i != 1 && i != 2; hit != wantHit {
			t.Errorf("blob %d served from a copy: %v, want %v", i, hit, wantHit)
		}
	}

	// A blob over a quarter of the cache is not kept.
	big := randomBytes(limit/4 + 1)
	h := mustPut(t, s, big).Hash
	if got, hit := readBlob(t, s, h); hit || !bytes.Equal(got, big) {
		t.Errorf("large blob: hit %v, equal %v; want it read from the service", hit, bytes.Equal(got, big))
	}
}

// TestCacheStartsEmpty: copies an earlier process left may be damaged (they
// are not synced), so New removes them, and nothing else.
func TestCacheStartsEmpty(t *testing.T) {
	s, cfg := cachedStore(t, 1<<20)
	data := randomBytes(1000)
	h := mustPut(t, s, data).Hash
	path := filepath.Join(cfg.CacheDir, h.String())
	if err := os.WriteFile(path, []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(cfg.CacheDir, "notes.txt")
	if err := os.WriteFile(other, []byte("not a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := s3store.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	if diff := cmp.Diff([]string{"notes.txt"}, cachedNames(t, cfg.CacheDir)); diff != "" {
		t.Errorf("copies after New (-want +got):\n%s", diff)
	}
	if got, hit := readBlob(t, s2, h); hit || !bytes.Equal(got, data) {
		t.Errorf("after New: hit %v, equal %v; want the object", hit, bytes.Equal(got, data))
	}
}

func TestCacheConfig(t *testing.T) {
	for name, edit := range map[string]func(*s3store.Config){
		"negative size": func(c *s3store.Config) { c.CacheDir = t.TempDir(); c.CacheSize = -1 },
		"size, no dir":  func(c *s3store.Config) { c.CacheSize = 1 << 20 },
		"dir is a file": func(c *s3store.Config) {
			c.CacheDir = filepath.Join(t.TempDir(), "file")
			os.WriteFile(c.CacheDir, nil, 0o600)
			c.CacheSize = 1 << 20
		},
	} {
		cfg := sharedGateway(t).Config(t)
		edit(&cfg)
		if _, err := s3store.New(context.Background(), cfg); !errors.Is(err, s3store.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", name, err)
		}
	}

	// A cache on another filesystem than TempDir (a tmpfs here) is
	// refused, not left empty for ever.
	shm, err := os.MkdirTemp("/dev/shm", "stockroom-cache-test-")
	if err != nil {
		t.Skipf("no tmpfs to try: %v", err)
	}
	defer os.RemoveAll(shm)
	cfg := sharedGateway(t).Config(t)
	probe := filepath.Join(cfg.TempDir, "probe")
	os.WriteFile(probe, nil, 0o600)
	if os.Link(probe, filepath.Join(shm, "probe")) == nil {
		t.Skip("/dev/shm is on the filesystem of the temporary folder")
	}
	os.Remove(probe)
	cfg.CacheDir, cfg.CacheSize = shm, 1<<20
	if _, err := s3store.New(context.Background(), cfg); !errors.Is(err, s3store.ErrInvalidConfig) {
		t.Errorf("cache on another filesystem: New = %v, want ErrInvalidConfig", err)
	}
	checkNoTemp(t, cfg.TempDir)
}

// TestCacheFillsOnSecondMiss: a blob this Store did not store (another
// server did, or this one before a restart) is copied from the service on
// its second Open without a copy, and read from the copy after.
func TestCacheFillsOnSecondMiss(t *testing.T) {
	other, cfg := newStore(t, nil)
	data := randomBytes(150 << 10)
	h := mustPut(t, other, data).Hash
	big := randomBytes(300 << 10)
	bigHash := mustPut(t, other, big).Hash

	cfg.CacheDir, cfg.CacheSize = filepath.Join(t.TempDir(), "cache"), 1<<20
	s, err := s3store.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := range 2 {
		if got, hit := readBlob(t, s, h); hit || !bytes.Equal(got, data) {
			t.Fatalf("Open %d: hit %v, equal %v; want the object", i+1, hit, bytes.Equal(got, data))
		}
		if i == 0 {
			time.Sleep(50 * time.Millisecond)
			if st := s.CacheStats(); st.Fills != 0 {
				t.Fatalf("a copy made after one Open: %+v", st)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.CacheStats().Fills < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no copy made after two Opens: %+v", s.CacheStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, hit := readBlob(t, s, h); !hit || !bytes.Equal(got, data) {
		t.Fatalf("Open after the copy: hit %v, equal %v; want the copy", hit, bytes.Equal(got, data))
	}
	if diff := cmp.Diff([]string{h.String()}, cachedNames(t, cfg.CacheDir)); diff != "" {
		t.Errorf("copies (-want +got):\n%s", diff)
	}

	// A blob over a quarter of the cache is never copied, nor one whose
	// object does not hash to its key.
	for range 3 {
		readBlob(t, s, bigHash)
	}
	wrong := blobstore.Hash(sha256.Sum256([]byte("what the key says")))
	mustPutRaw(t, cfg.Prefix+wrong.Path(), []byte("what the object holds"))
	for range 3 {
		readBlob(t, s, wrong)
	}
	time.Sleep(200 * time.Millisecond)
	if st := s.CacheStats(); st.Fills != 1 || st.Entries != 1 {
		t.Errorf("after Opens of a large blob and a damaged one: %+v, want the one copy", st)
	}

	// After Close the Store still reads, and copies nothing more.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	late := mustPut(t, other, randomBytes(1000)).Hash
	for range 3 {
		readBlob(t, s, late)
	}
	time.Sleep(100 * time.Millisecond)
	if st := s.CacheStats(); st.Fills != 1 {
		t.Errorf("copies made after Close: %+v", st)
	}
	checkNoTemp(t, cfg.TempDir)
}
