package query_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/query"
)

// TestEachMode checks that eachMode runs its test once with the planner and
// once on the generic path.
func TestEachMode(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the planner mode exists on SQLite only")
	var generic []bool
	eachMode(t, func(t *testing.T) { generic = append(generic, query.IsGeneric(newEnv(t).q)) })
	if diff := cmp.Diff([]bool{false, true}, generic); diff != "" {
		t.Errorf("modes run (-want +got):\n%s", diff)
	}
}

// TestGenericWithoutSideTables checks that the generic path reads nothing
// that only the SQLite schema has: with the planner's side tables,
// full-text indexes, the triggers that keep them and the indexes it names
// dropped, every filter lists as the planner did with them.
func TestGenericWithoutSideTables(t *testing.T) {
	dbtest.SkipOnPostgres(t, "drops the SQLite schema's side tables")
	f := newFixture(t)
	filters := []query.Filter{
		{},
		{Name: "SUN"}, {Name: "%"}, {Description: "sky over"}, {ContentType: "png"},
		{OriginalName: "img_0"}, {OriginalLocation: "example.com/report"},
		{Hash: f.r["r2"].Hash.String()},
		{OwnerID: f.g1}, {ShowWithoutOwner: true}, {ResourceCategoryID: f.rc1}, {SeriesID: f.s1},
		{IDs: []int64{f.r["r1"].ID, f.r["r4"].ID}},
		{Tags: []int64{f.t1, f.t2}}, {Notes: []int64{f.n1}}, {Groups: []int64{f.g1, f.g2}},
		{CreatedAfter: day("2024-02-01"), CreatedBefore: day("2024-04-01")},
		{MinWidth: 800, MaxHeight: 1080},
		{MetaQuery: []string{"rating:GT:3"}}, {MetaQuery: []string{"rating:EQ:5", "rating:EQ:null"}},
		{MetaQuery: []string{"camera.model:EQ:\"Z6\""}}, {MetaQuery: []string{"title:NL:dawn"}},
		{ShowWithSimilar: true},
		{SortBy: []string{"meta.rating desc"}}, {SortBy: []string{"name"}, MaxResults: 2, Page: 2},
		{SortBy: []string{"created_at asc"}, Tags: []int64{f.t2}},
		{MaxResults: 2, Page: 3},
	}
	type result struct {
		Labels []string
		Total  int
	}
	planned := make([]result, len(filters))
	for i, filter := range filters {
		page, err := f.q.List(f.ctx, filter)
		if err != nil {
			t.Fatalf("planned List(%+v): %v", filter, err)
		}
		planned[i] = result{f.labels(page.Resources), page.Total}
	}

	var drop []string
	err := f.db.Reader.NewRaw(`SELECT 'DROP TRIGGER ' || name FROM sqlite_master WHERE type = 'trigger' AND (
			name LIKE 'resources\_search\_%' ESCAPE '\' OR name LIKE 'resources\_original\_%' ESCAPE '\'
			OR name LIKE 'resources\_text\_%' ESCAPE '\'
			OR name LIKE 'resource\_tags\_search\_%' ESCAPE '\')
		UNION ALL SELECT 'DROP INDEX ' || name FROM sqlite_master WHERE type = 'index'
			AND name IN ('resources_order', 'resources_owner_order', 'resources_resource_category_order', 'resources_series_order')
		UNION ALL SELECT 'DROP TABLE ' || name FROM sqlite_master WHERE type = 'table' AND (name LIKE '%\_fts' ESCAPE '\'
			OR name IN ('resource_tag_order', 'resource_meta', 'resource_days', 'resource_blocks', 'resources_text_pending'))`).Scan(f.ctx, &drop)
	if err != nil {
		t.Fatal(err)
	}
	if len(drop) != 26 {
		t.Fatalf("%d things to drop, want 13 triggers, 4 indexes and 9 tables: %q", len(drop), drop)
	}
	for _, stmt := range drop {
		if _, err := f.db.Writer.ExecContext(f.ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	generic := query.New(f.store)
	query.Generic(generic)
	for i, filter := range filters {
		page, err := generic.List(f.ctx, filter)
		if err != nil {
			t.Errorf("generic List(%+v): %v", filter, err)
			continue
		}
		if diff := cmp.Diff(planned[i], result{f.labels(page.Resources), page.Total}); diff != "" {
			t.Errorf("List(%+v) (-planned +generic):\n%s", filter, diff)
		}
	}
	// The planner needs what was dropped.
	if _, err := f.q.List(f.ctx, query.Filter{Tags: []int64{f.t1}}); err == nil {
		t.Error("the planner listed a tag without resource_tag_order")
	}
}
