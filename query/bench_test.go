package query_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/migratedb"
	"github.com/stockroomhq/stockroom/internal/pgdb"
	"github.com/stockroomhq/stockroom/internal/seed"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// benchSizeEnv names the environment variable that sets the number of
// resources of the benchmark database.
const benchSizeEnv = "STOCKROOM_BENCH_N"

// defaultBenchSize keeps an accidental -bench run cheap; the real figures
// are taken with STOCKROOM_BENCH_N=1000000.
const defaultBenchSize = 20_000

// benchDB opens the generated database of n resources, creating it first
// when it is not in the cache (os.TempDir(), keyed by size, seed and the
// generator's format). An older schema is migrated in place.
func benchDB(b testing.TB, n int) *query.Query {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("stockroom-bench-n%d-s%d-f%d.db", n, seed.DefaultSeed, seed.Format))
	if _, err := os.Stat(path); err != nil {
		b.Logf("generating %d resources into %s", n, path)
		tmp := path + ".tmp"
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: tmp})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		_, err = seed.Run(ctx, db.Writer, seed.Options{N: n})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("generated in %s", time.Since(start).Round(time.Millisecond))
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	if dbtest.OnPostgres() {
		return benchPostgres(b, path, n)
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	start := time.Now()
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		b.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		b.Logf("migrated the cached database in %s", d.Round(time.Millisecond))
	}
	store, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: aferostore.New(afero.NewMemMapFs())})
	if err != nil {
		b.Fatal(err)
	}
	return query.New(store)
}

// benchHashes returns the hashes of a few resources spread over the
// library.
func benchHashes(b *testing.B, q *query.Query, n int) []string {
	b.Helper()
	var out []string
	for _, id := range []int{1, n / 7, n / 3, n / 2, 2 * n / 3, n - 1, n} {
		page, err := q.List(context.Background(), query.Filter{IDs: []int64{int64(max(id, 1))}})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range page.Resources {
			out = append(out, r.Hash.String())
		}
	}
	return out
}

// BenchmarkList measures the first page (50 rows) of typical lists on a
// generated library and reports the median and 95th percentile latency of
// List (page and total count) per query class as p50-ms and p95-ms. Each
// class cycles through several values, from popular to rare. Run it with,
// for example:
//
//	STOCKROOM_BENCH_N=1000000 go test -run '^$' -bench BenchmarkList -benchtime 100x ./query/
func BenchmarkList(b *testing.B) {
	n := defaultBenchSize
	if s := os.Getenv(benchSizeEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 10 {
			b.Fatalf("%s=%q: want a number of resources of at least 10", benchSizeEnv, s)
		}
		n = v
	}
	q := benchDB(b, n)
	words := seed.Words(seed.DefaultSeed)
	end := seed.End

	var hashes []query.Filter
	for _, h := range benchHashes(b, q, n) {
		hashes = append(hashes, query.Filter{Hash: h})
	}
	each := func(values []string, f func(string) query.Filter) []query.Filter {
		var out []query.Filter
		for _, v := range values {
			out = append(out, f(v))
		}
		return out
	}
	classes := []struct {
		name    string
		filters []query.Filter
	}{
		{"NoFilter", []query.Filter{{}}},
		{"ContentType", each([]string{"image/jpeg", "image/png", "application/pdf", "video/mp4", "audio/mpeg", "image/x-canon-cr2", "text/csv"},
			func(v string) query.Filter { return query.Filter{ContentType: v} })},
		{"OwnerId", []query.Filter{{OwnerID: 1}, {OwnerID: 2}, {OwnerID: 5}, {OwnerID: 20}, {OwnerID: 100}, {OwnerID: 500}, {OwnerID: 2000}, {OwnerID: 8000}}},
		{"TagPopular", []query.Filter{{Tags: []int64{1}}, {Tags: []int64{2}}, {Tags: []int64{3}}, {Tags: []int64{5}}, {Tags: []int64{10}}}},
		{"TwoTags", []query.Filter{{Tags: []int64{1, 2}}, {Tags: []int64{1, 3}}, {Tags: []int64{2, 4}}, {Tags: []int64{1, 10}}, {Tags: []int64{3, 7}}}},
		{"CreatedAfter", []query.Filter{{CreatedAfter: end.AddDate(0, -1, 0)}, {CreatedAfter: end.AddDate(-1, 0, 0)}, {CreatedAfter: end.AddDate(-3, 0, 0)}, {CreatedAfter: end.AddDate(-5, 0, 0)}}},
		{"NameCommonWord", each(commonTerms(words, 3, 8), func(v string) query.Filter { return query.Filter{Name: v} })},
		{"NameRareWord", each(words[8000:8010], func(v string) query.Filter { return query.Filter{Name: v} })},
		{"NameTwoChars", each([]string{"ph", "ka", "zo", "xe"}, func(v string) query.Filter { return query.Filter{Name: v} })},
		{"Description", each([]string{words[2], words[40], words[300], words[3000], words[12000]},
			func(v string) query.Filter { return query.Filter{Description: v} })},
		{"MetaEQ", each([]string{`camera:EQ:"Fujifilm X100V"`, "rating:EQ:5", "status:EQ:final", "license:EQ:CC0", "country:EQ:JP", "public:EQ:true", "reviewer:EQ:person-7"},
			func(v string) query.Filter { return query.Filter{MetaQuery: []string{v}} })},
		{"MetaGT", each([]string{"iso:GT:3200", "score:GT:0.9", "year:GT:2020", "rating:GT:4", "pages:GT:290"},
			func(v string) query.Filter { return query.Filter{MetaQuery: []string{v}} })},
		{"MinWidthHeight", []query.Filter{{MinWidth: 3000, MinHeight: 2000}, {MinWidth: 1920, MinHeight: 1080}, {MinWidth: 6000, MinHeight: 4000}, {MinWidth: 8000, MinHeight: 5000}}},
		{"Hash", hashes},
		{"Page1000", []query.Filter{{Page: 1000}}},
		// Beyond the classes of the issue: other searches and orders.
		{"OriginalName", each([]string{"IMG_1234.JPG", "dscf0042", ".cr2", words[3000]},
			func(v string) query.Filter { return query.Filter{OriginalName: v} })},
		{"OriginalLocation", each([]string{"/imports/2023/", "assets.example.com/" + words[300], "pxl_0007"},
			func(v string) query.Filter { return query.Filter{OriginalLocation: v} })},
		{"SortName", []query.Filter{{SortBy: []string{"name asc"}}, {SortBy: []string{"name desc"}}}},
		{"SortSize", []query.Filter{{SortBy: []string{"file_size desc"}}, {SortBy: []string{"file_size asc"}}}},
		{"SortUpdated", []query.Filter{{SortBy: []string{"updated_at desc"}}}},
		{"SortNameTag", []query.Filter{{SortBy: []string{"name asc"}, Tags: []int64{1}}, {SortBy: []string{"name asc"}, Tags: []int64{10}}}},
	}
	ctx := context.Background()
	for _, c := range classes {
		b.Run(c.name, func(b *testing.B) {
			run := func(i int) time.Duration {
				start := time.Now()
				page, err := q.List(ctx, c.filters[i%len(c.filters)])
				d := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if page.Total < len(page.Resources) {
					b.Fatalf("Total %d < %d rows", page.Total, len(page.Resources))
				}
				return d
			}
			for i := range len(c.filters) { // warm up
				run(i)
			}
			var samples []time.Duration
			byFilter := make([][]time.Duration, len(c.filters))
			i := 0
			for b.Loop() {
				d := run(i)
				samples = append(samples, d)
				byFilter[i%len(c.filters)] = append(byFilter[i%len(c.filters)], d)
				i++
			}
			b.ReportMetric(percentile(samples, 0.50), "p50-ms")
			b.ReportMetric(percentile(samples, 0.95), "p95-ms")
			// With -v, each value's own: a class's p95 is mostly that of
			// its slowest value.
			if testing.Verbose() {
				for j, s := range byFilter {
					if len(s) > 0 {
						b.Logf("%s: p50 %.2f ms, p95 %.2f ms (%d lists)", setFields(c.filters[j]), percentile(s, 0.50), percentile(s, 0.95), len(s))
					}
				}
			}
		})
	}
}

// setFields is f with only its fields that are set.
func setFields(f query.Filter) string {
	v := reflect.ValueOf(f)
	var out []string
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			out = append(out, fmt.Sprintf("%s:%v", v.Type().Field(i).Name, v.Field(i)))
		}
	}
	return "{" + strings.Join(out, " ") + "}"
}

// percentile is the p quantile of samples, in milliseconds; it sorts
// samples.
func percentile(samples []time.Duration, p float64) float64 {
	slices.Sort(samples)
	k := min(len(samples)-1, int(p*float64(len(samples))))
	return float64(samples[k]) / float64(time.Millisecond)
}

// commonTerms returns the first k words of at least min characters.
func commonTerms(words []string, min, k int) []string {
	var out []string
	for _, w := range words {
		if len(w) >= min {
			out = append(out, w)
		}
		if len(out) == k {
			break
		}
	}
	return out
}

// benchPostgres opens the PostgreSQL copy of the generated SQLite database
// at path: a schema bench_n<n> of the server of STOCKROOM_TEST_POSTGRES,
// filled by migratedb.Copy the first time and kept for later runs.
func benchPostgres(b testing.TB, path string, n int) *query.Query {
	ctx := context.Background()
	base := os.Getenv(dbtest.EnvPostgres)
	name := fmt.Sprintf("bench_n%d_s%d_f%d", n, seed.DefaultSeed, seed.Format)
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	qv := u.Query()
	qv.Set("search_path", name+",public")
	u.RawQuery = qv.Encode()
	pg, err := pgdb.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pg.Close() })
	var exists bool
	if err := pg.NewRaw(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)`, name).Scan(ctx, &exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		b.Logf("copying %s into PostgreSQL schema %s", path, name)
		start := time.Now()
		if _, err := pg.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public; CREATE SCHEMA `+name); err != nil {
			b.Fatal(err)
		}
		src, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		if err := resources.Migrate(ctx, src.Writer); err != nil {
			b.Fatal(err)
		}
		_, err = migratedb.Copy(ctx, src.Reader, pg)
		src.Close()
		if err != nil {
			pg.ExecContext(ctx, `DROP SCHEMA `+name+` CASCADE`)
			b.Fatal(err)
		}
		// As autovacuum does soon after a bulk load: statistics for the
		// planner, and the visibility map that lets index-only scans skip
		// the rows.
		if _, err := pg.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
		b.Logf("copied in %s", time.Since(start).Round(time.Millisecond))
	}
	if err := benchMigrate(ctx, pg); err != nil {
		b.Fatal(err)
	}
	store, err := resources.New(resources.Config{DB: pg, ReadDB: pg, Blobs: aferostore.New(afero.NewMemMapFs())})
	if err != nil {
		b.Fatal(err)
	}
	return query.New(store)
}

// benchMigrate brings the cached schema up to date and, when steps were
// applied, vacuums its tables, as autovacuum does soon after a step fills
// a table: until then an index-only scan reads the row of every entry,
// as the visibility map is empty. (Autovacuum may be off on a test
// server.)
func benchMigrate(ctx context.Context, pg *bun.DB) error {
	var before, after int
	steps := `SELECT count(*) FROM stockroom_migrations`
	if err := pg.NewRaw(steps).Scan(ctx, &before); err != nil {
		return err
	}
	if err := resources.Migrate(ctx, pg); err != nil {
		return err
	}
	if err := pg.NewRaw(steps).Scan(ctx, &after); err != nil || after == before {
		return err
	}
	var tables []string
	if err := pg.NewRaw(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`).Scan(ctx, &tables); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := pg.ExecContext(ctx, `VACUUM `+pgIdent(t)); err != nil {
			return err
		}
	}
	return nil
}

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
