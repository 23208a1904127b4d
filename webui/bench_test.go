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

// BenchmarkPages measures the server time of the grid (first page, a
// deep keyset page, a tag filter) and of the resource page, reporting the
// median and 95th percentile per class. For example:
//
//	STOCKROOM_BENCH_N=100000 go test -run '^$' -bench BenchmarkPages -benchtime 200x ./webui/
func BenchmarkPages(b *testing.B) {
	h, store, n := benchUI(b)
	ctx := context.Background()
	mid, err := store.Get(ctx, int64(n/2))
	if err != nil {
		b.Fatal(err)
	}
	tags, err := store.ListTags(ctx, resources.ListOptions{PerPage: 1, SortBy: []string{"id asc"}})
	if err != nil || len(tags.Items) == 0 {
		b.Fatal("no tags", err)
	}
	classes := []struct{ name, path string }{
		{"grid-first", "/"},
		{"grid-deep", "/?" + url.Values{"after": {mid.CreatedAt.UTC().Format(time.RFC3339Nano) + "~0"}}.Encode()},
		{"grid-tag", "/?" + url.Values{"tags": {tags.Items[0].Name}}.Encode()},
		{"resource", "/ui/resource/"},
	}
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
				size = rec.Body.Len()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(size), "html-bytes")
		})
	}
}
