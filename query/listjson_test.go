package query_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

func TestListJSON(t *testing.T) { eachMode(t, testListJSON) }

// testListJSON: a list asked for as JSON (the API's) answers what the
// list of resources encodes to, page and totals, and goes on doing so, its
// resources' JSON kept between reads, across writes to what the resources
// show that the Store does not make: the rename of a tag, of a group that
// owns one, of a series, of a resource, a link removed, a resource gone.
func testListJSON(t *testing.T) {
	f := newFixture(t)
	filters := []query.Filter{
		{},
		{Tags: []int64{f.t1}},
		{Name: "sun"},
		{SortBy: []string{"name"}},
		{MaxResults: 2, Page: 2},
		{Name: "nothing"},
	}
	check := func(step string) {
		t.Helper()
		for i, fl := range filters {
			plain, err := f.q.List(f.ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := resources.AppendJSON(nil, plain.Resources)
			if !ok {
				t.Fatal("AppendJSON declined")
			}
			fl.JSON = true
			for _, read := range []string{"first", "again"} {
				page, err := f.q.List(f.ctx, fl)
				if err != nil {
					t.Fatal(err)
				}
				got := page.JSON
				if got == nil {
					got, _ = resources.AppendJSON(nil, page.Resources)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("%s, filter %d, %s read: JSON (-Resources +JSON):\n%s", step, i, read, diff)
				}
				if page.Total != plain.Total || page.TotalCapped != plain.TotalCapped || page.Page != plain.Page || page.PerPage != plain.PerPage {
					t.Errorf("%s, filter %d: page %d/%d of %d (capped %v), want %d/%d of %d (capped %v)", step, i,
						page.Page, page.PerPage, page.Total, page.TotalCapped, plain.Page, plain.PerPage, plain.Total, plain.TotalCapped)
				}
			}
		}
	}
	check("as created")
	for i, w := range []struct{ what, sql string }{
		{"tag renamed", fmt.Sprintf("UPDATE tags SET name = 'renamed tag' WHERE id = %d", f.t1)},
		{"owner group renamed", fmt.Sprintf(`UPDATE "groups" SET name = 'renamed group' WHERE id = %d`, f.g1)},
		{"series renamed", fmt.Sprintf("UPDATE series SET name = 'renamed series' WHERE id = %d", f.s1)},
		{"resource renamed", fmt.Sprintf("UPDATE resources SET name = 'Sunny renamed' WHERE id = %d", f.r["r2"].ID)},
		{"tag unlinked", fmt.Sprintf("DELETE FROM resource_tags WHERE resource_id = %d AND tag_id = %d", f.r["r1"].ID, f.t2)},
	} {
		if _, err := f.db.Writer.ExecContext(f.ctx, w.sql); err != nil {
			t.Fatalf("%d %s: %v", i, w.what, err)
		}
		check(w.what)
	}
	if err := f.store.DeleteMany(f.ctx, []int64{f.r["r3"].ID}); err != nil {
		t.Fatal(err)
	}
	check("resource deleted")
}

// TestListJSONSnapshot: a page asked for as JSON shows one state of the
// database, even while another connection writes and the JSON of its
// resources is kept between reads. Every resource has the same tag,
// renamed over and over: a page that mixed resources kept from one state
// with some read in another would show two names of it.
func TestListJSONSnapshot(t *testing.T) {
	f := newFixture(t)
	tag := f.tag(t, "v0")
	var ids []int64
	for i := range 30 {
		ids = append(ids, f.create(t, text(fmt.Sprintf("s%d", i), 100), resources.CreateInput{Name: fmt.Sprintf("s%d", i)}, time.Time{}).ID)
	}
	if err := f.store.AddTags(f.ctx, ids, []int64{tag}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := f.db.Writer.ExecContext(f.ctx, "UPDATE tags SET name = ? WHERE id = ?", fmt.Sprintf("v%d", i), tag); err != nil {
				done <- err
				return
			}
			// Some reads of each state, so that pages are served partly
			// from what the cache kept.
			time.Sleep(200 * time.Microsecond)
		}
	}()
	name := regexp.MustCompile(`"Name":"(v\d+)"`)
	seen := map[string]bool{}
	for i := range 600 {
		// Pages of 10 and 20: a page of 20 finds the first 10 kept.
		page, err := f.q.List(f.ctx, query.Filter{Tags: []int64{tag}, MaxResults: 10 + 10*(i%2), JSON: true})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, m := range name.FindAllSubmatch(page.JSON, -1) {
			names[string(m[1])] = true
		}
		if len(names) != 1 {
			t.Fatalf("one page shows the tag as %v", names)
		}
		for n := range names {
			seen[n] = true
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 {
		t.Errorf("the pages saw %d names of the tag; the writer was not seen", len(seen))
	}
}
