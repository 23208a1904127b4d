package query_test

import (
	"fmt"
	"image/color"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// TestLeanPath checks the generic path with bounded totals (PostgreSQL's)
// against the exact reference, with limits small enough that totals are
// capped, deep pages are found from the per-day counts and content types
// are rewritten: the same pages, and totals exact or lower bounds that
// cover the page.
func TestLeanPath(t *testing.T) {
	e := newEnv(t)
	tagA, tagB, tagC := e.tag(t, "a"), e.tag(t, "b"), e.tag(t, "c")
	owner := e.group(t, "owner")
	base := time.Date(2024, 1, 1, 22, 0, 0, 0, time.UTC)
	for i := range 40 {
		in := resources.CreateInput{
			Name: fmt.Sprintf("item %02d", i),
			Meta: meta(fmt.Sprintf(`{"rating":%d,"status":%q}`, i%5, []string{"draft", "final"}[i%2])),
		}
		if i%3 == 0 {
			in.Tags = append(in.Tags, tagA)
			in.Name += " xyz"
		}
		if i%2 == 0 {
			in.Tags = append(in.Tags, tagC)
		}
		if i%4 == 0 {
			in.Tags = append(in.Tags, tagB)
			in.OwnerID = &owner
		}
		content := text(fmt.Sprint("lean", i), 100+i)
		if i%7 == 0 {
			content = pngBytes(t, 2+i, 2, color.RGBA{G: uint8(i), A: 255})
		}
		// Two or three a day, across midnight UTC.
		e.create(t, content, in, base.Add(time.Duration(i)*9*time.Hour))
	}
	lean, ref := query.New(e.store), query.New(e.store)
	query.Lean(lean)
	query.SetLimits(lean, 4, 6, 10)
	query.Generic(ref)
	after := base.Add(100 * time.Hour)
	filters := []query.Filter{
		{}, {Page: 3, MaxResults: 5}, {Page: 9, MaxResults: 5}, {Page: 4, MaxResults: 5, SortBy: []string{"created_at asc"}},
		{CreatedAfter: after}, {CreatedAfter: after, CreatedBefore: after.Add(50 * time.Hour), MaxResults: 3},
		{ContentType: "text/plain", MaxResults: 5}, {ContentType: "PNG"}, {ContentType: "image/"}, {ContentType: "e"}, {ContentType: "nothing"},
		{Tags: []int64{tagA}, MaxResults: 3}, {Tags: []int64{tagA, tagB}, MaxResults: 1}, {OwnerID: owner, MaxResults: 2},
		{Tags: []int64{tagA, tagC}, MaxResults: 2, Page: 2}, {Tags: []int64{tagC, tagB, tagA}}, {Tags: []int64{tagB, tagC}, SortBy: []string{"created_at asc"}, MaxResults: 3},
		{Tags: []int64{tagC, tagA}, CreatedAfter: after, CreatedBefore: after.Add(150 * time.Hour)}, {Tags: []int64{tagA, tagB}, Name: "xy"},
		{Tags: []int64{tagC}, Page: 3, MaxResults: 4}, {Tags: []int64{tagA, tagC}, SortBy: []string{"name asc"}},
		{Name: "xy", MaxResults: 3}, {Name: "item", MaxResults: 3}, {Name: "item 3", MaxResults: 3},
		{Name: "item 21 xyz"}, {Name: "ITEM 1", MaxResults: 2, Page: 2}, {Name: "tem 12 xyz", MaxResults: 2}, {Name: "tem 1 xyz"},
		{Name: "item 0", CreatedAfter: after, MaxResults: 2}, {Name: "xyz", MaxResults: 2, Page: 3},
		{MetaQuery: []string{"status:EQ:final"}, MaxResults: 4}, {MetaQuery: []string{"rating:EQ:4", "rating:EQ:0"}, MaxResults: 4},
		{MetaQuery: []string{"rating:GT:2"}, MaxResults: 4}, {MetaQuery: []string{"rating:GT:2"}, MaxResults: 4, Page: 5},
		{MetaQuery: []string{"rating:GE:3"}, CreatedAfter: after, CreatedBefore: after.Add(60 * time.Hour)},
		{MetaQuery: []string{"status:EQ:final"}, CreatedAfter: after.Add(200 * time.Hour), MaxResults: 2, Page: 2},
		{MetaQuery: []string{"rating:LT:1.5"}, MaxResults: 2, Page: 2, SortBy: []string{"created_at asc"}},
		{MetaQuery: []string{"rating:EQ:9"}}, {MetaQuery: []string{"rating:LE:0"}, Page: 9},
		{MetaQuery: []string{"status:EQ:final", "status:EQ:draft"}, MaxResults: 3, Page: 2},
		{MinWidth: 3, MaxResults: 2},
		{Name: "item", MaxResults: 1}, {Name: "item", MaxResults: 1, Page: 2}, {Name: "item", MaxResults: 2, Page: 4}, {Name: "ITEM 1", MaxResults: 1, SortBy: []string{"created_at asc"}},
		{Name: "item", MetaQuery: []string{"status:EQ:final"}, MaxResults: 1, Page: 2}, {MetaQuery: []string{"status:EQ:draft"}, MaxResults: 1},
		{Name: "item", CreatedAfter: after, MaxResults: 1}, {Name: "xy", MaxResults: 1, Page: 30}, {Name: "xy", SortBy: []string{"name desc"}, MaxResults: 4, Page: 2},
	}
	for _, f := range filters {
		want, err := ref.List(e.ctx, f)
		if err != nil {
			t.Fatalf("reference List(%+v): %v", f, err)
		}
		got, err := lean.List(e.ctx, f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		if diff := cmp.Diff(ids(want.Resources), ids(got.Resources)); diff != "" {
			t.Errorf("List(%+v) IDs (-want +got):\n%s", f, diff)
		}
		seen := 0
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
	// Lists without conditions, or with a range of creation times only,
	// are counted exactly however long they are.
	for _, f := range []query.Filter{{MaxResults: 2}, {CreatedAfter: after, MaxResults: 2}} {
		page, err := lean.List(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCapped {
			t.Errorf("List(%+v): Total %d capped, want it exact", f, page.Total)
		}
	}
}

// TestFirstWalk: a first walk short of the page reads the day of
// windowPage's first window, the one windowDay reads for the k computed
// from the walk's matches, and sets the bitmap-only settings; one that
// finds the page reads no day and leaves the settings alone.
func TestFirstWalk(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2024, 3, 1, 6, 0, 0, 0, time.UTC)
	for i := range 40 {
		name := fmt.Sprintf("item %02d", i)
		if i%9 == 0 {
			name += " rare"
		}
		// Two a day, the newest last.
		e.create(t, text(fmt.Sprint("walk", i), 50+i), resources.CreateInput{Name: name}, base.Add(time.Duration(i)*12*time.Hour))
	}
	q := query.New(e.store)
	query.Lean(q)
	// Among the 10 newest, one "rare" (item 36): k = 1*2*10/(1+0.5) =
	// 13.3, below half the 40; the 14th newest is item 26, of day 13.
	query.SetWindow(q, 10, 1)
	ids, day, want, indexScan, err := query.FirstWalk(e.ctx, q, "rare", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Errorf("short walk found %d matches, want 1", len(ids))
	}
	wantDay := base.AddDate(0, 0, 13).Format(time.DateOnly)
	if day != wantDay || want != wantDay {
		t.Errorf("short walk: day %q, windowDay %q, want both %q", day, want, wantDay)
	}
	if indexScan != "" && indexScan != "off" {
		t.Errorf("short walk: enable_indexscan %q, want off", indexScan)
	}
	// A first window of more than half the resources is no window.
	if _, day, _, _, err = query.FirstWalk(e.ctx, q, "rare", 3); err != nil || day != "" {
		t.Errorf("short walk, k = 20 of 40: day %q, err %v; want no day", day, err)
	}
	ids, day, _, indexScan, err = query.FirstWalk(e.ctx, q, "item", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || day != "" {
		t.Errorf("walk that finds the page: %d matches, day %q; want 3 and no day", len(ids), day)
	}
	if indexScan != "" && indexScan != "on" {
		t.Errorf("walk that finds the page: enable_indexscan %q, want on", indexScan)
	}
	// An empty library: nothing found, no day, no error.
	empty := query.New(newEnv(t).store)
	query.Lean(empty)
	if ids, day, _, _, err := query.FirstWalk(e.ctx, empty, "rare", 3); err != nil || len(ids) > 0 || day != "" {
		t.Errorf("empty library: %v, day %q, err %v; want nothing", ids, day, err)
	}
}
