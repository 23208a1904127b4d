package query_test

import (
	"fmt"
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
	// prove nothing. (They agree where the counted one asks for every
	// trigram of a short term, which the small one always does.)
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
	want := `"a """ AND " ""b" AND """b""" AND "b"" " AND """ c"`
	if m, err := query.TextMatch(s.ctx, small, "name", `a "b" c`, true); err != nil || m != want {
		t.Errorf(`TextMatch(a "b" c) in a small library = %s, %v; want its trigrams, quoted, %s`, m, err, want)
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
			want, err := counted.List(s.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := small.List(s.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(listedOf(want), listedOf(got)); diff != "" {
				t.Errorf("List(%+v) in a small library (-counted +small):\n%s", f, diff)
			}
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
		want, err := ref.List(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.q.List(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(listedOf(want), listedOf(got)); diff != "" {
			t.Errorf("List(%+v) (-SQLite's plan +planned):\n%s", f, diff)
		}
	}
}
