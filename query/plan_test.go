package query_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/seed"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// seeded is a generated library of n resources with four Querys over
// it: planned, with limits small enough that every plan and capped totals
// occur; streamed, the same but scanning full-text candidates by ID
// however densely they match; small, the same as planned but taking the
// library for small, whose searches skip counting trigrams; and ref,
// which leaves every list to SQLite's planner and counts exactly.
type seeded struct {
	*env
	planned, streamed, small, ref *query.Query
	hashes                        []string
}

func newSeeded(t *testing.T, n int) *seeded {
	t.Helper()
	e := newEnv(t)
	if _, err := seed.Run(e.ctx, e.db.Writer, seed.Options{N: n, Tags: 3000, Groups: 300}); err != nil {
		t.Fatalf("seed.Run: %v", err)
	}
	if !dbtest.OnPostgres() {
		// The plans are those of a library whose text is indexed.
		var filed int
		if err := e.db.Reader.QueryRowContext(e.ctx, `SELECT count(*) FROM resources_text_pending`).Scan(&filed); err != nil {
			t.Fatal(err)
		}
		if filed != 0 {
			t.Fatalf("seed.Run left %d resources filed for the text indexer, want none", filed)
		}
	}
	s := &seeded{env: e, planned: query.New(e.store), streamed: query.New(e.store), small: query.New(e.store), ref: query.New(e.store)}
	query.SetLimits(s.planned, 60, 150, 100)
	query.SetLimits(s.streamed, 60, 150, 100)
	query.SetLimits(s.small, 60, 150, 100)
	query.SetSmall(s.small, int64(n)+1)
	query.SetDense(s.streamed, 2)
	query.Generic(s.ref)
	if err := e.db.Reader.NewRaw(`SELECT hash FROM resources WHERE id % 97 = 0`).Scan(e.ctx, &s.hashes); err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(rs []*resources.Resource) []int64 {
	out := []int64{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// compare lists f with the planned Querys and the reference: the pages
// must be the same, and the planned totals exact or, when capped, lower
// bounds that cover the page.
func (s *seeded) compare(t *testing.T, f query.Filter) {
	t.Helper()
	want, err := s.ref.List(s.ctx, f)
	if err != nil {
		t.Fatalf("reference List(%+v): %v", f, err)
	}
	s.check(t, s.planned, f, want)
	s.check(t, s.streamed, f, want)
	s.check(t, s.small, f, want)
}

func (s *seeded) check(t *testing.T, q *query.Query, f query.Filter, want query.Page) {
	t.Helper()
	checkList(t, s.ctx, q, f, want)
}

// checkList checks List(f) on q against want, the reference's page, as
// seeded.check does.
func checkList(t *testing.T, ctx context.Context, q *query.Query, f query.Filter, want query.Page) {
	t.Helper()
	got, err := q.List(ctx, f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	if diff := cmp.Diff(ids(want.Resources), ids(got.Resources)); diff != "" {
		t.Errorf("List(%+v) IDs (-want +got):\n%s", f, diff)
	}
	seen := 0 // the resources up to the end of this page, when it has any
	if len(want.Resources) > 0 {
		seen = (want.Page-1)*want.PerPage + len(want.Resources)
	}
	switch {
	case !got.TotalCapped && got.Total != want.Total:
		t.Errorf("List(%+v): Total %d, want %d", f, got.Total, want.Total)
	case got.TotalCapped && (got.Total > want.Total || got.Total < seen || seen > 0 && got.Total == seen && seen < want.Total):
		t.Errorf("List(%+v): capped Total %d, want a lower bound of %d at least %d, above %d when more pages follow",
			f, got.Total, want.Total, seen, seen)
	}
}

// TestListPlans compares planned lists with SQLite's plans over a
// generated library, for the filters of the benchmark and random
// combinations of every filter.
func TestListPlans(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the cost-based planner and seed.Run are SQLite's")
	if testing.Short() {
		t.Skip("generates a library")
	}
	s := newSeeded(t, 1500)
	words := seed.Words(seed.DefaultSeed)
	end := seed.End
	meta := []string{
		`camera:EQ:"Fujifilm X100V"`, "rating:EQ:5", "rating:EQ:4", "status:EQ:final", "public:EQ:true", "public:EQ:false",
		"rating:EQ:null", "rating:NE:null", "rating:NE:3", "iso:GT:3200", "iso:LE:400", "score:GT:0.9", "score:LT:0.05",
		"year:GE:2024", "license:GT:D", "exif.make:EQ:Canon", "exif.lens:LT:20mm", "gps.lat:GT:80", "exif:EQ:null",
		"exif:NE:null", "keywords:EQ:null", "rating:GT:a", "camera:LI:x1", "notes:NL:photo", "gps.lat.x:EQ:1",
		"reviewer:EQ:person-7", "missing:EQ:1", "missing:NE:1", "pages:GT:290",
	}
	names := []string{words[0], words[3], words[40], words[300], words[3000], words[8000], "ph", "a", "IMG_", "dscf", "%", "1_", "zzzq"}
	contentTypes := []string{"image/jpeg", "png", "text/csv", "application/", "x-canon", "IMAGE"}
	var filters []query.Filter
	for _, w := range names {
		filters = append(filters, query.Filter{Name: w}, query.Filter{Description: w})
	}
	origins := []string{"/imports/202", "/imports/2023/", "assets.example.com/", "assets.example.com/" + words[3], ".jpg", "IMG_", "x", "/imports/2021/" + words[0]}
	for _, o := range origins {
		filters = append(filters, query.Filter{OriginalLocation: o}, query.Filter{OriginalName: o})
	}
	for _, m := range meta {
		filters = append(filters, query.Filter{MetaQuery: []string{m}})
	}
	for _, ct := range contentTypes {
		filters = append(filters, query.Filter{ContentType: ct})
	}
	filters = append(filters,
		query.Filter{}, query.Filter{Page: 3}, query.Filter{Page: 31}, query.Filter{Page: 40},
		query.Filter{Tags: []int64{1}}, query.Filter{Tags: []int64{2, 1}}, query.Filter{Tags: []int64{3, 900}},
		query.Filter{Tags: []int64{2900}}, query.Filter{OwnerID: 1}, query.Filter{OwnerID: 250},
		query.Filter{ShowWithoutOwner: true}, query.Filter{ResourceCategoryID: 2}, query.Filter{SeriesID: 10},
		query.Filter{Groups: []int64{1}}, query.Filter{Groups: []int64{4, 5}}, query.Filter{Notes: []int64{3}},
		query.Filter{IDs: []int64{5, 50, 500, 1499}}, query.Filter{Hash: s.hashes[0]},
		query.Filter{CreatedAfter: end.AddDate(0, -3, 0)}, query.Filter{CreatedBefore: end.AddDate(-4, 0, 0)},
		query.Filter{CreatedAfter: end.AddDate(-2, 0, 0), CreatedBefore: end.AddDate(-1, 0, 0)},
		query.Filter{MinWidth: 3000, MinHeight: 2000}, query.Filter{MinWidth: 8000, MaxHeight: 6000},
		query.Filter{MetaQuery: []string{"rating:EQ:5", "rating:EQ:1"}},
		query.Filter{MetaQuery: []string{"rating:EQ:5", "rating:EQ:null"}},
		query.Filter{Tags: []int64{1}, MetaQuery: []string{"rating:EQ:5"}, Name: words[3]},
		query.Filter{OwnerID: 1, Tags: []int64{1}, SortBy: []string{"created_at asc"}},
		query.Filter{Tags: []int64{1}, Page: 2, MaxResults: 7, SortBy: []string{"created_at desc", "id desc"}},
		query.Filter{Tags: []int64{1}, SortBy: []string{"created_at", "id"}, Page: 4, MaxResults: 10},
		query.Filter{Untagged: true}, query.Filter{Untagged: true, OwnerID: 1},
		query.Filter{ContentTypes: contentTypes[:2]}, query.Filter{ContentTypes: contentTypes[:1], Tags: []int64{1}},
		query.Filter{UpdatedAfter: end.AddDate(0, -3, 0)}, query.Filter{UpdatedBefore: end.AddDate(-4, 0, 0), Tags: []int64{2}},
	)

	// Random combinations.
	rng := rand.New(rand.NewPCG(7, 7))
	pick := func(n int) bool { return rng.IntN(n) == 0 }
	for range 150 {
		var f query.Filter
		if pick(3) {
			f.Tags = append(f.Tags, 1+rng.Int64N(30))
		}
		if pick(6) {
			f.Tags = append(f.Tags, 1+rng.Int64N(3000))
		}
		if pick(4) {
			f.OwnerID = 1 + rng.Int64N(50)
		}
		if pick(4) {
			f.Name = names[rng.IntN(len(names))]
		}
		if pick(6) {
			f.Description = names[rng.IntN(len(names))]
		}
		if pick(8) {
			f.OriginalLocation = origins[rng.IntN(len(origins))]
		}
		if pick(5) {
			f.ContentType = contentTypes[rng.IntN(len(contentTypes))]
		}
		if pick(3) {
			f.MetaQuery = append(f.MetaQuery, meta[rng.IntN(len(meta))])
		}
		if pick(6) {
			f.MetaQuery = append(f.MetaQuery, meta[rng.IntN(len(meta))])
		}
		if pick(6) {
			f.CreatedAfter = end.Add(-time.Duration(rng.Int64N(int64(seed.Span))))
		}
		if pick(8) {
			f.CreatedBefore = end.Add(-time.Duration(rng.Int64N(int64(seed.Span))))
		}
		if pick(6) {
			f.MinWidth = []int{1000, 3000, 6000}[rng.IntN(3)]
		}
		if pick(10) {
			f.Groups = []int64{1 + rng.Int64N(20)}
		}
		if pick(10) {
			f.ShowWithoutOwner = true
		}
		if pick(4) {
			f.Page = 1 + rng.IntN(4)
			f.MaxResults = []int{5, 20, 50}[rng.IntN(3)]
		}
		if pick(3) {
			sorts := [][]string{{"created_at asc"}, {"name asc"}, {"file_size desc"}, {"updated_at desc"}, {"width", "height desc"}}
			f.SortBy = sorts[rng.IntN(len(sorts))]
		}
		filters = append(filters, f)
	}
	for i, f := range filters {
		t.Run(fmt.Sprint(i), func(t *testing.T) { s.compare(t, f) })
	}
}

// TestListTotalCapped checks the capped total: a lower bound that shows
// that another page follows, exact on the last page.
func TestListTotalCapped(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the cost-based planner and seed.Run are SQLite's")
	if testing.Short() {
		t.Skip("generates a library")
	}
	s := newSeeded(t, 400)
	// OriginalName is checked on rows: its total is never counted past
	// the page.
	f := query.Filter{OriginalName: "e", MaxResults: 10}
	exact, err := s.ref.List(s.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if exact.Total < 100 {
		t.Fatalf("the filter matches %d resources, want more for the test", exact.Total)
	}
	first, err := s.planned.List(s.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if !first.TotalCapped || first.Total <= 10 || first.Total >= exact.Total {
		t.Errorf("page 1: Total %d capped %v, want a capped lower bound above 10 and below %d", first.Total, first.TotalCapped, exact.Total)
	}
	f.Page = (exact.Total + 9) / 10
	last, err := s.planned.List(s.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if last.TotalCapped || last.Total != exact.Total {
		t.Errorf("last page: Total %d capped %v, want exactly %d", last.Total, last.TotalCapped, exact.Total)
	}
	f.Page++
	past, err := s.planned.List(s.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(past.Resources) != 0 || !past.TotalCapped && past.Total != exact.Total {
		t.Errorf("past the last page: %d rows, Total %d capped %v", len(past.Resources), past.Total, past.TotalCapped)
	}

	// Filters whose count is cheap are exact.
	for _, f := range []query.Filter{{}, {Tags: []int64{2500}}, {IDs: []int64{1, 2, 3}}} {
		page, err := s.planned.List(s.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := s.ref.List(s.ctx, f)
		if page.TotalCapped || page.Total != want.Total {
			t.Errorf("List(%+v): Total %d capped %v, want exactly %d", f, page.Total, page.TotalCapped, want.Total)
		}
	}
}

// TestListScanBlocks checks the scan of full-text candidates by ID, which
// stops early on the bounds of resource_blocks, over IDs that span many
// blocks and creation times that mostly, but not always, grow with them.
func TestListScanBlocks(t *testing.T) {
	e := newEnv(t)
	ref := query.New(e.store)
	query.Generic(ref)
	rng := rand.New(rand.NewPCG(3, 3))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tx, err := e.db.Writer.BeginTx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := 1; i <= 1200; i++ {
		created := base.Add(time.Duration(i) * time.Hour)
		switch {
		case i%37 == 0:
			created = base.Add(-time.Duration(rng.IntN(1000)) * time.Hour) // imported, older
		case i%53 == 0:
			created = base.Add(time.Duration(400+rng.IntN(100)) * time.Hour) // newer than its ID says
		case i%11 == 0:
			created = base.Add(time.Duration(i-1) * time.Hour) // same time as the one before
		}
		name := fmt.Sprintf("item %03d", i)
		if i%3 == 0 {
			name += " pinecone"
		}
		_, err := tx.ExecContext(e.ctx, `INSERT INTO resources (id, created_at, updated_at, name, hash, hash_type, location)
			VALUES (?, ?, ?, ?, ?, 'SHA256', 'none')`, i*5000, created.Format("2006-01-02 15:04:05.999999-07:00"),
			created.Format("2006-01-02 15:04:05.999999-07:00"), name, fmt.Sprintf("%064x", i))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var filters []query.Filter
	for _, term := range []string{"pinecone", "item", "item 1", "item 2", "tem 0"} {
		for _, page := range []int{1, 2, 5} {
			for _, sort := range [][]string{nil, {"created_at asc"}} {
				filters = append(filters, query.Filter{Name: term, Page: page, MaxResults: 7, SortBy: sort})
			}
		}
	}
	for _, f := range filters {
		got, err := e.q.List(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.List(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ids(want.Resources), ids(got.Resources)); diff != "" {
			t.Errorf("List(%q page %d %v) (-want +got):\n%s", f.Name, f.Page, f.SortBy, diff)
		}
		if got.Total > want.Total || !got.TotalCapped && got.Total != want.Total {
			t.Errorf("List(%q page %d %v): Total %d capped %v, want %d", f.Name, f.Page, f.SortBy, got.Total, got.TotalCapped, want.Total)
		}
	}
}
