package versions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/spf13/afero"
	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

// env is a Versioner over a fresh SQLite database in a temporary directory
// and blobs in memory, with a count of the statements sent to the database.
type env struct {
	V       *versions.Versioner
	Store   *resources.Store
	Blobs   blobstore.Store
	Fs      afero.Fs // the blob store's filesystem
	queries *queryCounter
}

// queryCounter is a bun.QueryHook that counts statements, BEGIN and COMMIT
// included.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// envOption changes what newEnv builds.
type envOption func(*envConfig)

type envConfig struct{ fs afero.Fs }

// memFs is afero's MemMapFs with a RemoveAll that returns at once for a
// path that does not exist: MemMapFs scans every file it holds on each
// RemoveAll, and the blob store removes a blob's (usually absent) derived
// files that way, which makes removing thousands of blobs quadratic.
type memFs struct{ afero.Fs }

func (m memFs) RemoveAll(path string) error {
	if _, err := m.Fs.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return m.Fs.RemoveAll(path)
}

func newEnv(tb testing.TB, opts ...envOption) *env {
	tb.Helper()
	cfg := envConfig{fs: memFs{afero.NewMemMapFs()}}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	db := dbtest.Open(tb)
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	qc := &queryCounter{}
	db.Writer.AddQueryHook(qc)
	if db.Reader != db.Writer { // one pool on PostgreSQL
		db.Reader.AddQueryHook(qc)
	}
	blobs := aferostore.New(cfg.fs)
	s, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: blobs, AllowDuplicates: true})
	if err != nil {
		tb.Fatalf("resources.New: %v", err)
	}
	return &env{V: versions.New(s), Store: s, Blobs: blobs, Fs: cfg.fs, queries: qc}
}

// countQueries runs fn and returns how many statements it sent.
func (e *env) countQueries(fn func()) int {
	before := e.queries.n.Load()
	fn()
	return int(e.queries.n.Load() - before)
}

// pngBytes encodes a w×h PNG whose pixels depend on seed.
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

// create stores data as a new resource or fails the test.
func (e *env) create(tb testing.TB, data []byte, in resources.CreateInput) *resources.Resource {
	tb.Helper()
	r, err := e.Store.Create(context.Background(), bytes.NewReader(data), in)
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return r
}

// upload adds data as a new version or fails the test.
func (e *env) upload(tb testing.TB, resourceID int64, data []byte, comment string) *resources.Version {
	tb.Helper()
	v, err := e.V.Upload(context.Background(), resourceID, bytes.NewReader(data), comment)
	if err != nil {
		tb.Fatalf("Upload(%d): %v", resourceID, err)
	}
	return v
}

// get returns the stored resource or fails the test.
func (e *env) get(tb testing.TB, id int64) *resources.Resource {
	tb.Helper()
	r, err := e.Store.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("Get(%d): %v", id, err)
	}
	return r
}

// list returns the versions of a resource, newest first, or fails the test.
func (e *env) list(tb testing.TB, id int64) []*resources.Version {
	tb.Helper()
	vs, err := e.V.List(context.Background(), id)
	if err != nil {
		tb.Fatalf("List(%d): %v", id, err)
	}
	return vs
}

// numbers returns the version numbers of vs.
func numbers(vs []*resources.Version) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.VersionNumber
	}
	return out
}

// blobs lists the hashes of the stored blobs, sorted.
func (e *env) blobs(tb testing.TB) []string {
	tb.Helper()
	out := []string{}
	err := e.Blobs.Walk(context.Background(), func(i blobstore.Info) error {
		out = append(out, i.Hash.String())
		return nil
	})
	if err != nil {
		tb.Fatalf("Walk: %v", err)
	}
	slices.Sort(out)
	return out
}

// referenced lists the distinct hashes that resources and versions refer
// to, sorted.
func (e *env) referenced(tb testing.TB) []string {
	tb.Helper()
	out := []string{}
	err := e.Store.DB().NewRaw(`SELECT hash FROM resources UNION SELECT hash FROM resource_versions ORDER BY 1`).
		Scan(context.Background(), &out)
	if err != nil {
		tb.Fatalf("referenced hashes: %v", err)
	}
	return out
}

// wantBlobsReferenced fails the test unless the stored blobs are exactly
// the referenced ones: none missing, none left over.
func (e *env) wantBlobsReferenced(tb testing.TB) {
	tb.Helper()
	if got, want := e.blobs(tb), e.referenced(tb); !slices.Equal(got, want) {
		tb.Errorf("stored blobs %v\nreferenced    %v", short(got), short(want))
	}
}

func short(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h[:8]
	}
	return out
}

// setCreatedAt backdates a version.
func (e *env) setCreatedAt(tb testing.TB, versionID int64, t time.Time) {
	tb.Helper()
	_, err := e.Store.DB().NewUpdate().Table("resource_versions").Set("created_at = ?", t.UTC()).
		Where("id = ?", versionID).Exec(context.Background())
	if err != nil {
		tb.Fatalf("backdating version %d: %v", versionID, err)
	}
}

// wantErr checks that err matches target with errors.Is.
func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("err = %v, want one matching %v", err, target)
	}
}

// wantNotFound checks that err is a *resources.NotFoundError naming entity
// and id.
func wantNotFound(tb testing.TB, err error, entity string, id int64) {
	tb.Helper()
	var nf *resources.NotFoundError
	if !errors.As(err, &nf) || nf.Entity != entity || nf.ID != id {
		tb.Fatalf("err = %v, want %s %d not found", err, entity, id)
	}
}

func ptr[T any](v T) *T { return &v }
