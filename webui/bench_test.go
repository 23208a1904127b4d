package webui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/seed"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/webui"
)

// benchUI opens the generated library of STOCKROOM_BENCH_N resources
// (default 20,000), cached in os.TempDir() under the name query's
// benchmarks use, and returns the UI's handler over it.
func benchUI(b *testing.B) (http.Handler, *resources.Store, int) {
	b.Helper()
	n := 20_000
	if s := os.Getenv("STOCKROOM_BENCH_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 10 {
			b.Fatalf("STOCKROOM_BENCH_N=%q: want a number of at least 10", s)
		}
		n = v
	}
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("stockroom-bench-n%d-s%d-f%d.db", n, seed.DefaultSeed, seed.Format))
	if _, err := os.Stat(path); err != nil {
		b.Logf("generating %d resources into %s", n, path)
		tmp := path + ".webui.tmp"
		db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: tmp})
		if err != nil {
			b.Fatal(err)
		}
		_, err = seed.Run(ctx, db.Writer, seed.Options{N: n})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		b.Fatal(err)
	}
	store, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: aferostore.New(afero.NewMemMapFs())})
	if err != nil {
		b.Fatal(err)
	}
	h := webui.NewHandler(webui.Config{Store: store, Query: query.New(store), Logger: slog.New(slog.DiscardHandler)})
	return h, store, n
}

// BenchmarkPages measures the server time of every grid view the UI
// offers (the first page, keyset pages near and deep, each filter control,
// each sort order at page 1 and page 1,000) and of the resource page,
// reporting the median and 95th percentile per class. For example:
//
//	STOCKROOM_BENCH_N=1000000 go test -run '^$' -bench BenchmarkPages -benchtime 100x ./webui/
func BenchmarkPages(b *testing.B) {
	h, store, n := benchUI(b)
	q := query.New(store)
	ctx := context.Background()
	// at is the keyset cursor of the grid with filter f, pos resources in.
	at := func(f query.Filter, pos int) string {
		f.MaxResults = query.MaxPerPage
		f.Page = pos / query.MaxPerPage
		p, err := q.List(ctx, f)
		if err != nil || len(p.Resources) == 0 {
			b.Fatalf("no resource %d of %+v: %v", pos, f, err)
		}
		r := p.Resources[len(p.Resources)-1]
		return r.CreatedAt.UTC().Format(time.RFC3339Nano) + "~0"
	}
	tagName := func(id int64) string {
		t, err := store.GetTag(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		return t.Name
	}
	groupName := func(id int64) string {
		g, err := store.GetGroup(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		return g.Name
	}
	// A word of a generated name, common in the vocabulary.
	first, err := store.Get(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	word, _, _ := strings.Cut(strings.ToLower(first.Name), " ")
	page1000 := min(999*perPage, n-perPage) // the first resource of page 1,000
	common, rare := tagName(1), tagName(500)
	v := func(kv ...string) string {
		out := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return "/?" + out.Encode()
	}
	type class struct{ name, path string }
	classes := []class{
		{"grid-first", "/"},
		{"grid-p2", v("after", at(query.Filter{}, perPage))},
		{"grid-p1000", v("after", at(query.Filter{}, page1000))},
		{"grid-deep-mid", v("after", at(query.Filter{}, n/2))},
		{"grid-search", v("q", word)},
		{"grid-search-none", v("q", "zzqx")},
		{"grid-tag", v("tags", common)},
		{"grid-tag-p50", v("tags", common, "after", at(query.Filter{Tags: []int64{1}}, 49*perPage))},
		{"grid-tag-rare", v("tags", rare)},
		{"grid-tags2", v("tags", common+", "+tagName(2))},
		{"grid-group", v("groups", groupName(1))},
		{"grid-owner", v("owner", groupName(1))},
		{"grid-type-image", v("type", "image/")},
		{"grid-type-pdf", v("type", "application/pdf")},
		{"grid-dates", v("from", "2024-03-01", "to", "2024-03-31")},
		{"grid-dims", v("minw", "4000", "minh", "3000")},
		{"grid-meta", v("meta", "camera:EQ:Leica Q2")},
		{"grid-combo", v("q", word, "type", "image/", "tags", common)},
	}
	for _, o := range []string{"created_at asc", "name asc", "name desc", "file_size desc", "file_size asc", "updated_at desc"} {
		short := strings.ReplaceAll(o, " ", "-")
		classes = append(classes, class{"grid-sort-" + short, v("sort", o)}, class{"grid-sort-" + short + "-p1000", v("sort", o, "page", "1000")})
	}
	classes = append(classes, class{"resource", "/ui/resource/"})
	for _, c := range classes {
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			size := 0
			for i := 0; b.Loop(); i++ {
				path := c.path
				if c.name == "resource" {
					path += strconv.Itoa(1 + (i*7919)%n)
				}
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				times = append(times, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
				}
				if i == 0 && c.name != "resource" && c.name != "grid-search-none" && !strings.Contains(rec.Body.String(), `class="tile"`) {
					b.Fatalf("%s: no tiles", path)
				}
				size = rec.Body.Len()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(size), "html-bytes")
		})
	}
}
