package query_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/seed"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// listed is what a page shows of a list, for comparing two plans.
type listed struct {
	IDs         []int64
	Total       int
	TotalCapped bool
	Page        int
	PerPage     int
}

func listedOf(p query.Page) listed {
	return listed{IDs: ids(p.Resources), Total: p.Total, TotalCapped: p.TotalCapped, Page: p.Page, PerPage: p.PerPage}
}

// sameLists checks that want and got list the same page of f, totals
// included; what names the two in the message.
func sameLists(t *testing.T, ctx context.Context, want, got *query.Query, f query.Filter, what string) {
	t.Helper()
	w, err := want.List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := got.List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(listedOf(w), listedOf(g)); diff != "" {
		t.Errorf("List(%+v) %s:\n%s", f, what, diff)
	}
}

// TestListSmallLibrary checks that the searches of a small library, which
// skip counting the term's trigrams, show the same pages, totals
// included, as those that count them, with the planner's own limits.
func TestListSmallLibrary(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the cost-based planner and seed.Run are SQLite's")
	if testing.Short() {
		t.Skip("generates a library")
	}
	s := newSeeded(t, 1500)
	small := query.New(s.store) // 1,500 resources: small by default
	counted := query.New(s.store)
	query.SetSmall(counted, 0)
	for _, tc := range []struct {
		q     *query.Query
		small int64
		want  bool
	}{
		{small, 0, true}, {counted, 0, false}, {query.New(s.store), 1501, true}, {query.New(s.store), 1500, false},
		{s.small, 0, true}, {s.planned, 0, false},
	} {
		if tc.small != 0 {
			query.SetSmall(tc.q, tc.small)
		}
		got, err := query.SmallLibrary(s.ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("SmallLibrary with bound %d = %v, want %v (highest ID 1500)", tc.small, got, tc.want)
		}
	}

	words := seed.Words(seed.DefaultSeed)
	terms := []string{words[0], words[3], words[40], words[300], words[3000], words[8000], "IMG_", "dscf", "zzzq",
		"/imports/2023/", "assets.example.com/", ".jpg", words[3] + " " + words[40], "a longer term than eight trigrams"}
	// The two searches differ: otherwise the comparison below would
	// prove nothing. (They agree where the counted one asks for the
	// same trigrams.)
	differ := 0
	for _, term := range terms {
		m, err := query.TextMatch(s.ctx, small, "name", term, true)
		if err != nil {
			t.Fatal(err)
		}
		c, err := query.TextMatch(s.ctx, small, "name", term, false)
		if err != nil {
			t.Fatal(err)
		}
		if m != c {
			differ++
		}
	}
	if differ < len(terms)/3 {
		t.Errorf("the searches of a small library differ from the counted ones for %d terms of %d, want a third at least", differ, len(terms))
	}
	want := `"a """ AND """ c"`
	if m, err := query.TextMatch(s.ctx, small, "name", `a "b" c`, true); err != nil || m != want {
		t.Errorf(`TextMatch(a "b" c) in a small library = %s, %v; want its first and last trigrams, quoted, %s`, m, err, want)
	}

	var filters []query.Filter
	for _, term := range terms {
		for _, page := range []int{1, 2, 4} {
			for _, sort := range [][]string{nil, {"created_at asc"}, {"name asc"}} {
				filters = append(filters,
					query.Filter{Name: term, Page: page, MaxResults: 20, SortBy: sort},
					query.Filter{Description: term, Page: page, SortBy: sort},
					query.Filter{OriginalLocation: term, Page: page, MaxResults: 5, SortBy: sort},
					query.Filter{OriginalName: term, Tags: []int64{1}, Page: page, SortBy: sort})
			}
		}
	}
	for i, f := range filters {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			sameLists(t, s.ctx, counted, small, f, "in a small library (-counted +small)")
			s.check(t, small, f, must(s.ref.List(s.ctx, f)))
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestListGatherOddTimes checks the few matches of a search, read with
// their creation times packed in one text, when a creation time is not
// text or holds the separator of the packing: the page and total are
// those of SQLite's own plan. (Such times sort before the others and
// cannot be read back as times: the pages stop short of them.)
func TestListGatherOddTimes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "creation times that are not timestamps are SQLite's")
	e := newEnv(t)
	ref := query.New(e.store)
	query.Generic(ref)
	var odd []int64
	for i := range 40 {
		name := fmt.Sprintf("shell %d", i)
		if i%2 == 0 {
			name += " seaside"
		}
		r := e.create(t, text(name, 50), resources.CreateInput{Name: name}, day("2024-03-01").Add(time.Duration(i)*time.Hour))
		if i%5 == 0 {
			odd = append(odd, r.ID)
		}
	}
	for i, v := range []any{"\x1f", 20240301, "\x1f 2024-03-01 07:00:00 \x1f 1", "1999-01-01\x1f", "1999-02-01 00:00:00+00:00\x1f\x1f"} {
		if _, err := e.db.Writer.ExecContext(e.ctx, "UPDATE resources SET created_at = ? WHERE id = ?", v, odd[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []query.Filter{
		{Name: "seaside", MaxResults: 10}, {Name: "seaside", MaxResults: 3}, {Name: "seaside", Page: 3, MaxResults: 4},
		{Name: "shell", MaxResults: 30}, {Name: "shell 1", MaxResults: 5},
	} {
		sameLists(t, e.ctx, ref, e.q, f, "(-SQLite's plan +planned)")
	}
}

// TestListFoldOddTimes checks that foldGather, which sorts creation times
// as they are, leaves the page to the two statements it folds while some
// creation time is not text (those sort as the empty text there), and
// reads it again once none is, with the same pages and totals.
func TestListFoldOddTimes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "creation times that are not timestamps are SQLite's")
	e := newEnv(t)
	query.NoNames(e.q) // its Name searches are foldGather's
	ref := query.New(e.store)
	query.Generic(ref)
	off := query.New(e.store)
	query.SetFold(off, false)
	var rs []*resources.Resource
	for i := range 30 {
		name := fmt.Sprintf("pier %d", i)
		rs = append(rs, e.create(t, text(name, 50), resources.CreateInput{Name: name}, day("2024-03-01").Add(time.Duration(i)*time.Hour)))
	}
	// Pages 1 and 2 of 10, newest first, stop short of the odd time,
	// which sorts last and cannot be read back as a time.
	lists := func(wantFolded bool) {
		t.Helper()
		for page := 1; page <= 2; page++ {
			f := query.Filter{Name: "pier", Page: page, MaxResults: 10}
			sameLists(t, e.ctx, off, e.q, f, "(-two statements +folded)")
			checkList(t, e.ctx, e.q, f, must(ref.List(e.ctx, f)))
			if ok := must(query.Folded(e.ctx, e.q, f)); ok != wantFolded {
				t.Errorf("List(%+v) read with foldGather: %v, want %v", f, ok, wantFolded)
			}
		}
	}
	lists(true)
	for _, v := range []any{20240301, 1.5} {
		if _, err := e.db.Writer.ExecContext(e.ctx, "UPDATE resources SET created_at = ? WHERE id = ?", v, rs[3].ID); err != nil {
			t.Fatal(err)
		}
		lists(false)
	}
	e.setCreatedAt(t, rs[3].ID, day("2024-02-01"))
	lists(true)
}

// TestListFoldGather checks the pages of a small library's substring
// searches that foldGather reads in one statement, or leaves to choose
// with the candidates it found: the pages and totals are those of the
// two statements it folds and of the reference, among names that hold
// the term's first and last trigrams but not the term, or the term in
// letters that only the full-text index folds to ASCII.
func TestListFoldGather(t *testing.T) {
	dbtest.SkipOnPostgres(t, "foldGather is the SQLite planner's")
	e := newEnv(t)
	query.NoNames(e.q) // its Name searches are foldGather's
	ref := query.New(e.store)
	query.Generic(ref)
	off := query.New(e.store)
	query.SetFold(off, false)
	// Creation times out of ID order, two per hour, so that pages sort.
	names := []string{"photo %d harbour", "photo %d", "hard %d hour", "HARBOUR %d", "harb%dour",
		"\u212Aelvin %d", "kelvin %d", "photo %d harbour harbour"}
	for i := range 300 {
		name := fmt.Sprintf(names[i%len(names)], i)
		at := day("2024-05-01").Add(time.Duration((i*37)%300) * 30 * time.Minute)
		e.create(t, text(name, 40), resources.CreateInput{Name: name}, at)
	}
	// Resources not yet in the full-text index are candidates of every
	// search, too many for foldGather: the server's indexer gets to them.
	if _, err := e.store.IndexText(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	var filters []query.Filter
	for _, term := range []string{"harbour", "HARBOUR", "harb", "photo", "photo 1", "kelvin", "our", "zzz", "1 harbour", "d hou"} {
		for _, page := range []int{1, 2, 5} {
			for _, sort := range [][]string{nil, {"created_at asc"}, {"name asc"}} {
				filters = append(filters,
					query.Filter{Name: term, Page: page, MaxResults: 10, SortBy: sort},
					query.Filter{Name: term, Page: page, SortBy: sort},
					query.Filter{Name: term, Page: page, MaxResults: 7, SortBy: sort, CreatedAfter: day("2024-05-02")},
					query.Filter{Name: term, Page: page, MaxResults: 7, SortBy: sort, CreatedBefore: day("2024-05-04"),
						CreatedAfter: day("2024-05-02").Add(5 * time.Hour)})
			}
		}
	}
	folded := 0
	for _, f := range filters {
		sameLists(t, e.ctx, off, e.q, f, "(-two statements +folded)")
		checkList(t, e.ctx, e.q, f, must(ref.List(e.ctx, f)))
		ok, err := query.Folded(e.ctx, e.q, f)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			folded++
		}
		if ok && slices.Equal(f.SortBy, []string{"name asc"}) {
			t.Errorf("List(%+v) read with foldGather, whose pages are in the default order", f)
		}
	}
	// Those in the default order, either way (two thirds of the
	// filters), with fewer candidates than limits.head: all but those
	// of "photo" and "our".
	if folded < len(filters)/3 {
		t.Errorf("%d of %d lists read with foldGather, want a third at least", folded, len(filters))
	}
}

// TestListFoldHead checks the pages of a small library's substring
// search whose full-text candidates are too many for foldGather, which
// then hands choose the newest (oldest) of them, in the order of the
// list: few and far apart, they are scanned by ID from there, so that a
// wrong head (the first candidates the index finds, say) skips the
// newest matches. The limits are the tests', with a head of 8.
func TestListFoldHead(t *testing.T) {
	dbtest.SkipOnPostgres(t, "foldGather is the SQLite planner's")
	e := newEnv(t)
	query.NoNames(e.q) // its Name searches are foldGather's
	ref := query.New(e.store)
	query.Generic(ref)
	limited := func(fold bool) *query.Query {
		q := query.New(e.store)
		query.SetLimits(q, 8, 1000, 1000)
		query.SetSmall(q, 10_000)
		query.SetFold(q, fold)
		return q
	}
	q, off := limited(true), limited(false)
	// One in 50 is a candidate of "pier": the head of 8 spans more
	// than 20 IDs a candidate, too sparse to walk the default order
	// (original names are not in its index).
	for i := range 600 {
		orig := fmt.Sprintf("other %d.jpg", i)
		if i%50 == 7 {
			orig = fmt.Sprintf("pier %d.jpg", i)
		}
		e.create(t, text(orig, 30), resources.CreateInput{Name: fmt.Sprintf("r %d", i), OriginalName: orig}, time.Time{})
	}
	if _, err := e.store.IndexText(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	for _, sort := range [][]string{nil, {"created_at asc"}} {
		for page := 1; page <= 3; page++ {
			f := query.Filter{OriginalName: "pier", Page: page, MaxResults: 5, SortBy: sort}
			if ok := must(query.Folded(e.ctx, q, f)); ok {
				t.Errorf("List(%+v) read with foldGather, want its candidates handed to choose", f)
			}
			sameLists(t, e.ctx, off, q, f, "(-choose's own head +foldGather's)")
			checkList(t, e.ctx, q, f, must(ref.List(e.ctx, f)))
		}
	}
}
