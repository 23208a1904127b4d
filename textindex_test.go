package stockroom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// TestTextIndexerCatchesUp checks that a resource is found by a text
// search from its insert on, while it waits for the text indexer (here
// a library that runs none, as one that stopped between the insert and
// the indexer's turn), and that the next library to open indexes what
// was left waiting, after which searches find it through the index.
func TestTextIndexerCatchesUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	filed := func(lib *stockroom.Library) int {
		t.Helper()
		var n int
		if err := lib.Store.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM resources_text_pending`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	names := func(lib *stockroom.Library, f query.Filter) []string {
		t.Helper()
		page, err := lib.Query.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Resources {
			out = append(out, r.Name)
		}
		return out
	}
	check := func(lib *stockroom.Library) {
		t.Helper()
		for _, c := range []struct {
			f    query.Filter
			want []string
		}{
			{query.Filter{Name: "harbour"}, []string{"harbour at dawn"}},
			{query.Filter{Description: "fishing boats"}, []string{"harbour at dawn"}},
			{query.Filter{OriginalName: "img_0042"}, []string{"harbour at dawn"}},
			{query.Filter{Name: "lighthouse"}, nil},
		} {
			if diff := cmp.Diff(c.want, names(lib, c.f)); diff != "" {
				t.Errorf("List(%+v) (-want +got):\n%s", c.f, diff)
			}
		}
	}

	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: dir, DisableJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Store.Create(ctx, strings.NewReader("a picture"), resources.CreateInput{
		Name: "harbour at dawn", Description: "fishing boats", OriginalName: "IMG_0042.JPG"}); err != nil {
		t.Fatal(err)
	}
	if n := filed(lib); n != 1 {
		t.Fatalf("%d resources filed for the text indexer after a create, want 1", n)
	}
	check(lib)
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}

	lib, err = stockroom.Open(ctx, stockroom.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	for deadline := time.Now().Add(10 * time.Second); filed(lib) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d resources still filed for the text indexer after 10 s", filed(lib))
		}
	}
	var indexed int
	if err := lib.Store.ReadDB().QueryRowContext(ctx,
		`SELECT count(*) FROM resources_name_fts WHERE resources_name_fts MATCH 'harbour'`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed != 1 {
		t.Errorf("%d rows of the name index match harbour, want 1", indexed)
	}
	check(lib)
}
