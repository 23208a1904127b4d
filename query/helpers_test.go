package query_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// env is a migrated SQLite database in a temp dir with a Store and a Query
// over it.
type env struct {
	ctx     context.Context
	db      dbtest.DB
	store   *resources.Store
	q       *query.Query
	queries *queryCounter
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	db := dbtest.Open(tb)
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	store, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: aferostore.New(afero.NewMemMapFs()), Stamp: db.Stamp})
	if err != nil {
		tb.Fatalf("resources.New: %v", err)
	}
	qc := &queryCounter{}
	db.Reader.AddQueryHook(qc)
	q := query.New(store)
	if _, ok := genericTests.Load(tb); ok {
		query.Generic(q)
	}
	return &env{ctx: ctx, db: db, store: store, q: q, queries: qc}
}

// genericTests holds the tests (testing.TB) whose env lists in the generic
// mode.
var genericTests sync.Map

// eachMode runs test twice, as subtests: "planned", where the env's Query
// lists with SQLite's cost-based planner, and "generic", where it takes
// the path of a dialect without one (one statement per page, meta read
// from the JSON text, exact totals), so that both are held to the same
// results.
func eachMode(t *testing.T, test func(t *testing.T)) {
	t.Run("planned", test)
	t.Run("generic", func(t *testing.T) {
		genericTests.Store(t, true)
		t.Cleanup(func() { genericTests.Delete(t) })
		test(t)
	})
}

// queryCounter counts the queries run on the reader.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// create stores content as a new resource and, when createdAt is not zero,
// backdates it.
func (e *env) create(tb testing.TB, content []byte, in resources.CreateInput, createdAt time.Time) *resources.Resource {
	tb.Helper()
	r, err := e.store.Create(e.ctx, bytes.NewReader(content), in)
	if err != nil {
		tb.Fatalf("Create(%q): %v", in.Name, err)
	}
	if !createdAt.IsZero() {
		e.setCreatedAt(tb, r.ID, createdAt)
	}
	return r
}

func (e *env) setCreatedAt(tb testing.TB, id int64, t time.Time) {
	tb.Helper()
	_, err := e.db.Writer.NewUpdate().Table("resources").Set("created_at = ?", t.UTC()).Where("id = ?", id).Exec(e.ctx)
	if err != nil {
		tb.Fatalf("backdating resource %d: %v", id, err)
	}
}

func (e *env) tag(tb testing.TB, name string) int64 {
	tb.Helper()
	t, err := e.store.SaveTag(e.ctx, resources.TagInput{Name: &name})
	if err != nil {
		tb.Fatalf("SaveTag: %v", err)
	}
	return t.ID
}

func (e *env) group(tb testing.TB, name string) int64 {
	tb.Helper()
	g, err := e.store.SaveGroup(e.ctx, resources.GroupInput{Name: &name})
	if err != nil {
		tb.Fatalf("SaveGroup: %v", err)
	}
	return g.ID
}

func (e *env) note(tb testing.TB, name string) int64 {
	tb.Helper()
	n, err := e.store.SaveNote(e.ctx, resources.NoteInput{Name: &name})
	if err != nil {
		tb.Fatalf("SaveNote: %v", err)
	}
	return n.ID
}

func (e *env) resourceCategory(tb testing.TB, name string) int64 {
	tb.Helper()
	rc, err := e.store.SaveResourceCategory(e.ctx, resources.ResourceCategoryInput{Name: &name})
	if err != nil {
		tb.Fatalf("SaveResourceCategory: %v", err)
	}
	return rc.ID
}

func (e *env) series(tb testing.TB, name string) int64 {
	tb.Helper()
	s, err := e.store.SaveSeries(e.ctx, resources.SeriesInput{Name: &name})
	if err != nil {
		tb.Fatalf("SaveSeries: %v", err)
	}
	return s.ID
}

// pngBytes encodes a w x h image filled with c.
func pngBytes(tb testing.TB, w, h int, c color.Color) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func meta(s string) resources.Meta { return resources.Meta(s) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// text returns distinct file content of the given length.
func text(label string, size int) []byte {
	s := "content of " + label + " "
	return []byte(s + strings.Repeat(".", max(0, size-len(s))))
}
