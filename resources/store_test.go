package resources_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
)

// storeOption changes the Config of a test store before it is built.
type storeOption func(*resources.Config)

// maxBlobSize limits the size of the test store's blobs.
func maxBlobSize(n int64) storeOption {
	return func(c *resources.Config) { c.Blobs.(*aferostore.Store).MaxSize = n }
}

// allowDuplicates makes the test store accept identical content as separate
// resources.
func allowDuplicates(c *resources.Config) { c.AllowDuplicates = true }

// newTestStore returns a Store on a fresh SQLite database in tb.TempDir() and
// an in-memory blob store, and the blob store itself.
func newTestStore(tb testing.TB, opts ...storeOption) (*resources.Store, blobstore.Store) {
	tb.Helper()
	ctx := context.Background()
	db := dbtest.Open(tb)
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	blobs := aferostore.New(afero.NewMemMapFs())
	cfg := resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: blobs, Stamp: db.Stamp}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := resources.New(cfg)
	if err != nil {
		tb.Fatalf("resources.New: %v", err)
	}
	return s, blobs
}

// pngBytes encodes a w×h PNG whose pixels depend on seed, so that different
// seeds give different content.
func pngBytes(tb testing.TB, w, h int, seed uint8) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(x) + seed, G: uint8(y), B: seed, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatalf("png.Encode: %v", err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// mustHash parses a hex hash or fails the test.
func mustHash(tb testing.TB, hex string) blobstore.Hash {
	tb.Helper()
	h, err := blobstore.ParseHash(hex)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func ptr[T any](v T) *T { return &v }

// mustCreate creates a resource from data or fails the test.
func mustCreate(tb testing.TB, s *resources.Store, data []byte, in resources.CreateInput) *resources.Resource {
	tb.Helper()
	r, err := s.Create(context.Background(), bytes.NewReader(data), in)
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return r
}

// mustGet returns the stored resource or fails the test.
func mustGet(tb testing.TB, s *resources.Store, id int64) *resources.Resource {
	tb.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("Get(%d): %v", id, err)
	}
	return r
}

// storedBlobs lists the hashes of every blob in bs, sorted.
func storedBlobs(tb testing.TB, bs blobstore.Store) []string {
	tb.Helper()
	out := []string{}
	err := bs.Walk(context.Background(), func(info blobstore.Info) error {
		out = append(out, info.Hash.String())
		return nil
	})
	if err != nil {
		tb.Fatalf("Walk: %v", err)
	}
	slices.Sort(out)
	return out
}

// countRows counts the rows of table that match where (with args); an
// empty where counts them all.
func countRows(tb testing.TB, s *resources.Store, table, where string, args ...any) int {
	tb.Helper()
	q := s.DB().NewSelect().TableExpr(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// tableCounts counts the rows of every table of the schema, to check that a
// failed operation left nothing behind.
func tableCounts(tb testing.TB, s *resources.Store) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, t := range allTables {
		out[t] = countRows(tb, s, t, "")
	}
	return out
}

var allTables = []string{
	"categories", `"groups"`, "tags", "resource_categories", "series", "notes",
	"resources", "resource_versions", "resource_tags", "groups_related_resources",
	"resource_notes", "group_tags", "note_tags", "groups_related_notes",
}

// wantErr checks that err matches target with errors.Is.
func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("err = %v, want one matching %v", err, target)
	}
}

// wantNotFound checks that err is a *NotFoundError naming entity and id.
func wantNotFound(tb testing.TB, err error, entity string, id int64) {
	tb.Helper()
	wantErr(tb, err, resources.ErrNotFound)
	var nf *resources.NotFoundError
	if !errors.As(err, &nf) {
		tb.Fatalf("err = %v (%T), want a *NotFoundError", err, err)
	}
	want := &resources.NotFoundError{Entity: entity, ID: id}
	if diff := cmp.Diff(want, nf); diff != "" {
		tb.Errorf("NotFoundError mismatch (-want +got):\n%s", diff)
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables := func() []string {
		var names []string
		err := db.Reader.NewRaw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).Scan(ctx, &names)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	applied := func() int {
		var n int
		if err := db.Reader.NewRaw(`SELECT count(*) FROM stockroom_migrations`).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := []string{
		"access_keys", "api_tokens",
		"categories", "download_jobs", "group_tags", "groups", "groups_related_notes", "groups_related_resources",
		"image_hashes", "local_files", "media_queue", "media_settings", "note_tags", "note_types", "notes",
		"resource_blocks", "resource_categories", "resource_days", "resource_meta", "resource_name_version",
		"resource_notes", "resource_similar", "resource_tag_order", "resource_tags",
		"resource_versions", "resources",
		"resources_description_fts", "resources_description_fts_config", "resources_description_fts_data",
		"resources_description_fts_docsize", "resources_description_fts_idx",
		"resources_name_fts", "resources_name_fts_config", "resources_name_fts_data",
		"resources_name_fts_docsize", "resources_name_fts_idx",
		"resources_original_location_fts", "resources_original_location_fts_config", "resources_original_location_fts_data",
		"resources_original_location_fts_docsize", "resources_original_location_fts_idx",
		"resources_original_name_fts", "resources_original_name_fts_config", "resources_original_name_fts_data",
		"resources_original_name_fts_docsize", "resources_original_name_fts_idx",
		"resources_text_pending",
		"series", "sessions", "stockroom_migrations", "tags", "users",
	}
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if diff := cmp.Diff(want, tables()); diff != "" {
		t.Errorf("tables after first Migrate (-want +got):\n%s", diff)
	}
	first := applied()
	if first == 0 {
		t.Fatal("no migration recorded")
	}
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if diff := cmp.Diff(want, tables()); diff != "" {
		t.Errorf("tables after second Migrate (-want +got):\n%s", diff)
	}
	if got := applied(); got != first {
		t.Errorf("second Migrate recorded %d steps, want %d as before", got, first)
	}
	// The schema works after the second run.
	s, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: aferostore.New(afero.NewMemMapFs())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, bytes.NewReader([]byte("hello")), resources.CreateInput{Name: "x"}); err != nil {
		t.Fatalf("Create after two Migrates: %v", err)
	}
}

func TestNewRequiresDBAndBlobs(t *testing.T) {
	if _, err := resources.New(resources.Config{}); err == nil {
		t.Error("New(Config{}) succeeded, want an error")
	}
}

func TestStageCreateManyRelease(t *testing.T) {
	ctx := context.Background()

	t.Run("all created in one call", func(t *testing.T) {
		s, bs := newTestStore(t)
		var items []resources.NewResource
		var hashes []string
		for i := range 3 {
			data := pngBytes(t, 2+i, 3, uint8(i))
			up, err := s.Stage(ctx, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release(ctx, up)
			if got, want := up.Hash.String(), sha256Hex(data); got != want {
				t.Errorf("upload %d Hash = %s, want %s", i, got, want)
			}
			if up.ContentType != "image/png" || up.Width != 2+i || up.Height != 3 || up.Size != int64(len(data)) {
				t.Errorf("upload %d = %+v, want image/png %dx3 of %d bytes", i, up, 2+i, len(data))
			}
			items = append(items, resources.NewResource{Upload: up, CreateInput: resources.CreateInput{Name: string(rune('a' + i))}})
			hashes = append(hashes, up.Hash.String())
		}
		created, err := s.CreateMany(ctx, items)
		if err != nil {
			t.Fatalf("CreateMany: %v", err)
		}
		if len(created) != 3 {
			t.Fatalf("CreateMany returned %d resources, want 3", len(created))
		}
		for i, r := range created {
			if r.Name != string(rune('a'+i)) || r.Hash.String() != hashes[i] {
				t.Errorf("resource %d = %q %s, want %q %s", i, r.Name, r.Hash, string(rune('a'+i)), hashes[i])
			}
		}
		for _, it := range items {
			s.Release(ctx, it.Upload)
		}
		slices.Sort(hashes)
		if diff := cmp.Diff(hashes, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs after Release (-want +got):\n%s", diff)
		}
	})

	t.Run("a duplicate makes none", func(t *testing.T) {
		s, bs := newTestStore(t)
		old := []byte("already stored")
		existing := mustCreate(t, s, old, resources.CreateInput{Name: "old"})
		before := tableCounts(t, s)
		var items []resources.NewResource
		for _, data := range [][]byte{[]byte("new one"), []byte("new two"), old} {
			up, err := s.Stage(ctx, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, resources.NewResource{Upload: up})
		}
		_, err := s.CreateMany(ctx, items)
		wantErr(t, err, resources.ErrConflict)
		var dup *resources.DuplicateError
		if !errors.As(err, &dup) || dup.ExistingID != existing.ID {
			t.Errorf("err = %v, want a *DuplicateError naming %d", err, existing.ID)
		}
		if diff := cmp.Diff(before, tableCounts(t, s)); diff != "" {
			t.Errorf("rows changed by a failed CreateMany (-want +got):\n%s", diff)
		}
		for _, it := range items {
			s.Release(ctx, it.Upload)
		}
		if diff := cmp.Diff([]string{sha256Hex(old)}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs after Release (-want +got):\n%s", diff)
		}
	})

	t.Run("the same new content twice in one batch", func(t *testing.T) {
		s, bs := newTestStore(t)
		var items []resources.NewResource
		for range 2 {
			up, err := s.Stage(ctx, bytes.NewReader([]byte("twice")))
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, resources.NewResource{Upload: up})
		}
		_, err := s.CreateMany(ctx, items)
		wantErr(t, err, resources.ErrConflict)
		var dup *resources.DuplicateError
		if errors.As(err, &dup) {
			// A DuplicateError must name a resource that exists.
			if _, gerr := s.Get(ctx, dup.ExistingID); gerr != nil {
				t.Errorf("err = %v names resource %d: %v", err, dup.ExistingID, gerr)
			}
		}
		for _, it := range items {
			s.Release(ctx, it.Upload)
		}
		if got := countRows(t, s, "resources", ""); got != 0 {
			t.Errorf("%d resources, want 0", got)
		}
		if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs after Release (-want +got):\n%s", diff)
		}
	})

	t.Run("the same content twice in one batch, duplicates allowed", func(t *testing.T) {
		s, bs := newTestStore(t, allowDuplicates)
		var items []resources.NewResource
		for range 2 {
			up, err := s.Stage(ctx, bytes.NewReader([]byte("twice")))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release(ctx, up)
			items = append(items, resources.NewResource{Upload: up})
		}
		created, err := s.CreateMany(ctx, items)
		if err != nil {
			t.Fatal(err)
		}
		if len(created) != 2 || created[0].ID == created[1].ID || created[0].Hash != created[1].Hash {
			t.Errorf("created %+v, want two resources of one content", created)
		}
		for _, it := range items {
			s.Release(ctx, it.Upload)
		}
		if diff := cmp.Diff([]string{sha256Hex([]byte("twice"))}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs (-want +got):\n%s", diff)
		}
	})

	t.Run("no items", func(t *testing.T) {
		s, _ := newTestStore(t)
		_, err := s.CreateMany(ctx, nil)
		wantErr(t, err, resources.ErrInvalid)
	})

	t.Run("released upload", func(t *testing.T) {
		s, bs := newTestStore(t)
		up, err := s.Stage(ctx, bytes.NewReader([]byte("gone")))
		if err != nil {
			t.Fatal(err)
		}
		s.Release(ctx, up)
		_, err = s.CreateMany(ctx, []resources.NewResource{{Upload: up}})
		wantErr(t, err, resources.ErrInvalid)
		_, err = s.CreateMany(ctx, []resources.NewResource{{}})
		wantErr(t, err, resources.ErrInvalid)
		if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs (-want +got):\n%s", diff)
		}
	})

	t.Run("release is idempotent and pins count", func(t *testing.T) {
		s, bs := newTestStore(t)
		data := []byte("pinned twice")
		u1, err := s.Stage(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		u2, err := s.Stage(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		s.Release(ctx, u1)
		s.Release(ctx, u1) // must not take u2's pin away
		if diff := cmp.Diff([]string{sha256Hex(data)}, storedBlobs(t, bs)); diff != "" {
			t.Fatalf("blob removed while still staged (-want +got):\n%s", diff)
		}
		if _, err := s.CreateMany(ctx, []resources.NewResource{{Upload: u2}}); err != nil {
			t.Fatalf("CreateMany with the still-pinned upload: %v", err)
		}
		s.Release(ctx, u2)
		s.Release(ctx, nil)
		if diff := cmp.Diff([]string{sha256Hex(data)}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blob of a created resource (-want +got):\n%s", diff)
		}
	})
}

// TestConcurrentCreateSameContent races several Creates of the same bytes:
// exactly one wins, the others see a conflict, and one blob is stored.
func TestConcurrentCreateSameContent(t *testing.T) {
	t.Run("Put", func(t *testing.T) { testConcurrentCreateSameContent(t) })
	var rv *receiving
	t.Run("Receiver", func(t *testing.T) { testConcurrentCreateSameContent(t, withReceiver(&rv)) })
}

func testConcurrentCreateSameContent(t *testing.T, opts ...storeOption) {
	ctx := context.Background()
	s, bs := newTestStore(t, opts...)
	data := pngBytes(t, 8, 8, 42)
	const n = 6
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, confl int
		others    []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := s.Create(ctx, bytes.NewReader(data), resources.CreateInput{Name: string(rune('a' + i))})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, resources.ErrConflict):
				confl++
			default:
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok != 1 || confl != n-1 || len(others) > 0 {
		t.Errorf("%d created, %d conflicts, other errors %v; want 1, %d, none", ok, confl, others, n-1)
	}
	if got := countRows(t, s, "resources", ""); got != 1 {
		t.Errorf("%d resources, want 1", got)
	}
	if got := countRows(t, s, "resource_versions", ""); got != 1 {
		t.Errorf("%d versions, want 1", got)
	}
	if diff := cmp.Diff([]string{sha256Hex(data)}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

// TestConcurrentCreateAndDelete interleaves creating and deleting resources
// of the same content while one resource of it is kept: the blob must
// survive for the kept one, and go once nothing refers to it.
func TestConcurrentCreateAndDelete(t *testing.T) {
	t.Run("Put", func(t *testing.T) { testConcurrentCreateAndDelete(t) })
	var rv *receiving
	t.Run("Receiver", func(t *testing.T) { testConcurrentCreateAndDelete(t, withReceiver(&rv)) })
}

func testConcurrentCreateAndDelete(t *testing.T, opts ...storeOption) {
	ctx := context.Background()
	s, bs := newTestStore(t, append([]storeOption{allowDuplicates}, opts...)...)
	data := []byte("shared content")
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	keep := make(chan int64, 1)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; i < 5; {
				r, err := s.Create(ctx, bytes.NewReader(data), resources.CreateInput{})
				if errors.Is(err, resources.ErrConflict) {
					// The content was removed between Put and the pin:
					// the documented answer is "retry".
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				i++
				if g == 0 && i == 3 {
					keep <- r.ID
					continue
				}
				if err := s.Delete(ctx, r.ID); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	kept := <-keep
	if got := countRows(t, s, "resources", ""); got != 1 {
		t.Errorf("%d resources left, want 1", got)
	}
	if diff := cmp.Diff([]string{sha256Hex(data)}, storedBlobs(t, bs)); diff != "" {
		t.Fatalf("blobs while one resource refers to them (-want +got):\n%s", diff)
	}
	if err := s.Delete(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs left after the last delete (-want +got):\n%s", diff)
	}
}

func TestCreateTooLarge(t *testing.T) {
	s, bs := newTestStore(t, maxBlobSize(10))
	_, err := s.Create(context.Background(), bytes.NewReader([]byte("eleven bytes")), resources.CreateInput{})
	wantErr(t, err, blobstore.ErrTooLarge)
	if n := countRows(t, s, "resources", ""); n != 0 {
		t.Errorf("%d resources, want 0", n)
	}
	if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	if _, err := s.Create(context.Background(), bytes.NewReader([]byte("ten bytes!")), resources.CreateInput{}); err != nil {
		t.Errorf("content of exactly the limit: %v", err)
	}
}

// cancelAtEOF cancels its context when its content has been read.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// TestCanceledContextLeavesNothing checks that a request that goes away
// after its content was written leaves neither rows nor blobs behind.
func TestCanceledContextLeavesNothing(t *testing.T) {
	t.Run("during Create", func(t *testing.T) {
		s, bs := newTestStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := s.Create(ctx, &cancelAtEOF{r: bytes.NewReader([]byte("abandoned")), cancel: cancel}, resources.CreateInput{})
		wantErr(t, err, context.Canceled)
		if n := countRows(t, s, "resources", ""); n != 0 {
			t.Errorf("%d resources, want 0", n)
		}
		if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs (-want +got):\n%s", diff)
		}
	})
	t.Run("between Stage and CreateMany", func(t *testing.T) {
		s, bs := newTestStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		up, err := s.Stage(ctx, bytes.NewReader([]byte("abandoned too")))
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		_, err = s.CreateMany(ctx, []resources.NewResource{{Upload: up}})
		wantErr(t, err, context.Canceled)
		s.Release(ctx, up)
		if n := countRows(t, s, "resources", ""); n != 0 {
			t.Errorf("%d resources, want 0", n)
		}
		if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
			t.Errorf("blobs (-want +got):\n%s", diff)
		}
	})
}

// writerOnly builds the test store without a separate reader pool.
func writerOnly(c *resources.Config) { c.ReadDB = nil }

func TestStoreWithoutReadDB(t *testing.T) {
	s, bs := newTestStore(t, writerOnly)
	if s.ReadDB() != s.DB() {
		t.Error("ReadDB() is not DB() when Config.ReadDB is nil")
	}
	if s.Blobs() != bs {
		t.Error("Blobs() is not the configured blob store")
	}
	r := mustCreate(t, s, []byte("x"), resources.CreateInput{Name: "x"})
	if got := mustGet(t, s, r.ID); got.Name != "x" {
		t.Errorf("Name = %q, want x", got.Name)
	}
}

// TestConcurrentMixedWorkload runs creates, reads, edits, entity saves and
// deletes side by side: none may fail (no "database is locked", no lost
// blob).
func TestConcurrentMixedWorkload(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("shared")})
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	kept := make(chan string, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				data := []byte{'w', byte(w), byte(i)}
				r, err := s.Create(ctx, bytes.NewReader(data), resources.CreateInput{Tags: []int64{tag.ID}})
				if err != nil {
					errs <- err
					return
				}
				if _, err := s.Get(ctx, r.ID); err != nil {
					errs <- err
				}
				if _, err := s.Edit(ctx, resources.EditInput{ID: r.ID, Name: ptr("edited"), Tags: []int64{}}); err != nil {
					errs <- err
				}
				if _, err := s.SaveTag(ctx, resources.TagInput{Name: ptr(string(rune('a' + w)))}); err != nil {
					errs <- err
				}
				if _, err := s.ListTags(ctx, resources.ListOptions{Name: "a"}); err != nil {
					errs <- err
				}
				if i%2 == 0 {
					if err := s.Delete(ctx, r.ID); err != nil {
						errs <- err
					}
				} else {
					kept <- r.Hash.String()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(kept)
	for err := range errs {
		t.Error(err)
	}
	var want []string
	for h := range kept {
		want = append(want, h)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	if n := countRows(t, s, "resources", ""); n != len(want) {
		t.Errorf("%d resources, want %d", n, len(want))
	}
}

// TestMigrateLogged checks that each step applied is logged, before and
// after it runs, and that a database already up to date logs nothing.
func TestMigrateLogged(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "took" {
			return slog.Attr{}
		}
		return a
	}}))
	if err := resources.MigrateLogged(ctx, db.Writer, logger); err != nil {
		t.Fatal(err)
	}
	var applied []int
	if err := db.Reader.NewRaw(`SELECT version FROM stockroom_migrations ORDER BY version`).Scan(ctx, &applied); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, v := range applied {
		fmt.Fprintf(&want, "level=DEBUG msg=\"updating the database schema\" step=%d\n", v)
		fmt.Fprintf(&want, "level=DEBUG msg=\"updated the database schema\" step=%d\n", v)
	}
	if diff := cmp.Diff(want.String(), buf.String()); diff != "" {
		t.Errorf("log of the first run (-want +got):\n%s", diff)
	}
	buf.Reset()
	if err := resources.MigrateLogged(ctx, db.Writer, logger); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("the second run logged:\n%s", buf.String())
	}
}
