package resources_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/resources"
)

func tagOpts() cmp.Option {
	return cmpopts.IgnoreFields(resources.Tag{}, "CreatedAt", "UpdatedAt")
}

func TestSaveTag(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)

	created, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("  red "), Description: ptr("a colour"), Meta: resources.Meta(`{"hex":"#f00"}`)})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	want := &resources.Tag{ID: created.ID, Name: "red", Description: "a colour", Meta: resources.Meta(`{"hex":"#f00"}`)}
	if diff := cmp.Diff(want, created, tagOpts()); diff != "" {
		t.Errorf("created tag (-want +got):\n%s", diff)
	}
	if created.ID == 0 || created.CreatedAt.IsZero() || !created.UpdatedAt.Equal(created.CreatedAt) {
		t.Errorf("created tag ID %d CreatedAt %v UpdatedAt %v", created.ID, created.CreatedAt, created.UpdatedAt)
	}
	got, err := s.GetTag(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("GetTag (-want +got):\n%s", diff)
	}

	t.Run("existing name returns the existing tag", func(t *testing.T) {
		again, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("red"), Description: ptr("ignored")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(created, again); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if n := countRows(t, s, "tags", ""); n != 1 {
			t.Errorf("%d tags, want 1", n)
		}
	})

	t.Run("update keeps absent fields", func(t *testing.T) {
		upd, err := s.SaveTag(ctx, resources.TagInput{ID: created.ID, Description: ptr("new description")})
		if err != nil {
			t.Fatal(err)
		}
		want := &resources.Tag{ID: created.ID, Name: "red", Description: "new description", Meta: resources.Meta(`{"hex":"#f00"}`)}
		if diff := cmp.Diff(want, upd, tagOpts()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		upd, err = s.SaveTag(ctx, resources.TagInput{ID: created.ID, Name: ptr("crimson"), Meta: resources.Meta(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		want = &resources.Tag{ID: created.ID, Name: "crimson", Description: "new description", Meta: resources.Meta(`{}`)}
		if diff := cmp.Diff(want, upd, tagOpts()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !upd.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("CreatedAt changed from %v to %v", created.CreatedAt, upd.CreatedAt)
		}
		// Saving under its own name is no conflict.
		if _, err := s.SaveTag(ctx, resources.TagInput{ID: created.ID, Name: ptr("crimson")}); err != nil {
			t.Errorf("save under its own name: %v", err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		other, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("green")})
		if err != nil {
			t.Fatal(err)
		}
		before, err := s.GetTag(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			in      resources.TagInput
			wantErr error
		}{
			{"rename to a taken name", resources.TagInput{ID: created.ID, Name: ptr(other.Name), Description: ptr("x")}, resources.ErrConflict},
			{"rename to a blank name", resources.TagInput{ID: created.ID, Name: ptr("  ")}, resources.ErrInvalid},
			{"create without a name", resources.TagInput{Description: ptr("x")}, resources.ErrInvalid},
			{"create with an empty name", resources.TagInput{Name: ptr("")}, resources.ErrInvalid},
			{"create with bad meta", resources.TagInput{Name: ptr("fresh"), Meta: resources.Meta(`[1]`)}, resources.ErrInvalid},
			{"update with bad meta", resources.TagInput{ID: created.ID, Meta: resources.Meta(`1`)}, resources.ErrInvalid},
			{"update unknown", resources.TagInput{ID: 9999, Description: ptr("x")}, resources.ErrNotFound},
			{"update unknown with a name", resources.TagInput{ID: 9999, Name: ptr("brand new")}, resources.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				counts := tableCounts(t, s)
				_, err := s.SaveTag(ctx, tt.in)
				wantErr(t, err, tt.wantErr)
				after, gerr := s.GetTag(ctx, created.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("tag changed (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(counts, tableCounts(t, s)); diff != "" {
					t.Errorf("rows changed (-want +got):\n%s", diff)
				}
			})
		}
	})

	_, err = s.GetTag(ctx, 9999)
	wantNotFound(t, err, "tag", 9999)
}

func TestListTags(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	names := []string{"Alpha", "beta", "100%", "a_b", "axb", "Gamma ray"}
	descs := []string{"first letter", "Second letter", "", "under_score", "", "percent % here"}
	ids := map[string]int64{}
	for i, n := range names {
		tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr(n), Description: ptr(descs[i])})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = tag.ID
	}
	byNameDesc := slices.Clone(names)
	slices.Sort(byNameDesc)
	slices.Reverse(byNameDesc)

	tests := []struct {
		name        string
		opts        resources.ListOptions
		want        []string
		wantTotal   int
		wantPage    int
		wantPerPage int
	}{
		{name: "all", want: names, wantTotal: 6},
		{name: "name substring any case", opts: resources.ListOptions{Name: "ALP"}, want: []string{"Alpha"}, wantTotal: 1},
		{name: "name percent is literal", opts: resources.ListOptions{Name: "%"}, want: []string{"100%"}, wantTotal: 1},
		{name: "name underscore is literal", opts: resources.ListOptions{Name: "_"}, want: []string{"a_b"}, wantTotal: 1},
		{name: "name a_b is literal", opts: resources.ListOptions{Name: "a_b"}, want: []string{"a_b"}, wantTotal: 1},
		{name: "name backslash", opts: resources.ListOptions{Name: `\`}, want: []string{}, wantTotal: 0},
		{name: "description any case", opts: resources.ListOptions{Description: "SECOND"}, want: []string{"beta"}, wantTotal: 1},
		{name: "description percent", opts: resources.ListOptions{Description: "%"}, want: []string{"Gamma ray"}, wantTotal: 1},
		{name: "description underscore", opts: resources.ListOptions{Description: "_"}, want: []string{"a_b"}, wantTotal: 1},
		{name: "name and description", opts: resources.ListOptions{Name: "a", Description: "letter"}, want: []string{"Alpha", "beta"}, wantTotal: 2},
		{name: "ids", opts: resources.ListOptions{IDs: []int64{ids["beta"], ids["Gamma ray"], 9999}}, want: []string{"beta", "Gamma ray"}, wantTotal: 2},
		{name: "page 2", opts: resources.ListOptions{Page: 2, PerPage: 2}, want: []string{"100%", "a_b"}, wantTotal: 6, wantPage: 2, wantPerPage: 2},
		{name: "last partial page", opts: resources.ListOptions{Page: 2, PerPage: 4}, want: []string{"axb", "Gamma ray"}, wantTotal: 6, wantPage: 2, wantPerPage: 4},
		{name: "past the end", opts: resources.ListOptions{Page: 9, PerPage: 2}, want: []string{}, wantTotal: 6, wantPage: 9, wantPerPage: 2},
		{name: "filter and page", opts: resources.ListOptions{Name: "a", Page: 2, PerPage: 2}, want: []string{"a_b", "axb"}, wantTotal: 5, wantPage: 2, wantPerPage: 2},
		{name: "page size capped", opts: resources.ListOptions{PerPage: 5000}, want: names, wantTotal: 6, wantPerPage: resources.MaxPerPage},
		{name: "sort name desc", opts: resources.ListOptions{SortBy: []string{"name desc"}}, want: byNameDesc, wantTotal: 6},
		{name: "sort any case", opts: resources.ListOptions{SortBy: []string{"NAME DESC"}}, want: byNameDesc, wantTotal: 6},
		{name: "sort id desc", opts: resources.ListOptions{SortBy: []string{"id desc"}}, want: reversed(names), wantTotal: 6},
		{name: "sort created_at then name", opts: resources.ListOptions{SortBy: []string{"created_at asc", "name"}}, want: names, wantTotal: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.ListTags(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, tag := range res.Items {
				got = append(got, tag.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			wantPage, wantPerPage := max(tt.wantPage, 1), tt.wantPerPage
			if wantPerPage == 0 {
				wantPerPage = resources.DefaultPerPage
			}
			if res.Total != tt.wantTotal || res.Page != wantPage || res.PerPage != wantPerPage {
				t.Errorf("Total, Page, PerPage = %d, %d, %d; want %d, %d, %d", res.Total, res.Page, res.PerPage, tt.wantTotal, wantPage, wantPerPage)
			}
		})
	}

	for _, bad := range [][]string{{"bogus"}, {"name sideways"}, {"name desc extra"}, {"name; drop table tags"}, {"meta->>'x'"}} {
		t.Run("bad sort "+bad[0], func(t *testing.T) {
			_, err := s.ListTags(ctx, resources.ListOptions{SortBy: bad})
			wantErr(t, err, resources.ErrInvalid)
		})
	}
}

func reversed[T any](xs []T) []T {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

func TestDeleteTag(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("doomed")})
	if err != nil {
		t.Fatal(err)
	}
	keep, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("kept")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("g"), Tags: []int64{tag.ID, keep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("n"), Tags: []int64{tag.ID}})
	if err != nil {
		t.Fatal(err)
	}
	r := mustCreate(t, s, []byte("tagged"), resources.CreateInput{Tags: []int64{tag.ID, keep.ID}})

	if err := s.DeleteTag(ctx, tag.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetTag(ctx, tag.ID)
	wantNotFound(t, err, "tag", tag.ID)
	got := mustGet(t, s, r.ID)
	if diff := cmp.Diff([]*resources.Tag{keep}, got.Tags); diff != "" {
		t.Errorf("resource tags (-want +got):\n%s", diff)
	}
	gg, err := s.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*resources.Tag{keep}, gg.Tags); diff != "" {
		t.Errorf("group tags (-want +got):\n%s", diff)
	}
	nn, err := s.GetNote(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(nn.Tags) != 0 {
		t.Errorf("note tags = %v, want none", nn.Tags)
	}
	for _, tbl := range []string{"resource_tags", "group_tags", "note_tags"} {
		if n := countRows(t, s, tbl, "tag_id = ?", tag.ID); n != 0 {
			t.Errorf("%d rows of %s still name the deleted tag", n, tbl)
		}
	}
	wantNotFound(t, s.DeleteTag(ctx, tag.ID), "tag", tag.ID)
}

func TestCategories(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	c, err := s.SaveCategory(ctx, resources.CategoryInput{Name: ptr(" People "), Description: ptr("humans")})
	if err != nil {
		t.Fatal(err)
	}
	opt := cmpopts.IgnoreFields(resources.Category{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(&resources.Category{ID: c.ID, Name: "People", Description: "humans"}, c, opt); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	upd, err := s.SaveCategory(ctx, resources.CategoryInput{ID: c.ID, Name: ptr("Persons ")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&resources.Category{ID: c.ID, Name: "Persons", Description: "humans"}, upd, opt); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}
	got, err := s.GetCategory(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(upd, got); diff != "" {
		t.Errorf("GetCategory (-want +got):\n%s", diff)
	}
	if _, err := s.SaveCategory(ctx, resources.CategoryInput{Name: ptr("Places")}); err != nil {
		t.Fatal(err)
	}

	_, err = s.SaveCategory(ctx, resources.CategoryInput{Description: ptr("no name")})
	wantErr(t, err, resources.ErrInvalid)
	_, err = s.SaveCategory(ctx, resources.CategoryInput{ID: c.ID, Name: ptr(" ")})
	wantErr(t, err, resources.ErrInvalid)
	_, err = s.SaveCategory(ctx, resources.CategoryInput{ID: 9999, Name: ptr("x")})
	wantNotFound(t, err, "category", 9999)
	_, err = s.GetCategory(ctx, 9999)
	wantNotFound(t, err, "category", 9999)

	list, err := s.ListCategories(ctx, resources.ListOptions{Name: "PERS"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != c.ID || list.Total != 1 {
		t.Errorf("ListCategories = %+v, want only %d", list, c.ID)
	}
	_, err = s.ListCategories(ctx, resources.ListOptions{SortBy: []string{"description"}})
	wantErr(t, err, resources.ErrInvalid)

	g, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("Bob"), CategoryID: &c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCategory(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	gg, err := s.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatalf("group of a deleted category: %v", err)
	}
	if gg.CategoryID != nil || gg.Category != nil {
		t.Errorf("group CategoryID = %v, Category = %v; want none", gg.CategoryID, gg.Category)
	}
	wantNotFound(t, s.DeleteCategory(ctx, c.ID), "category", c.ID)
}

func TestSaveGroup(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	cat, err := s.SaveCategory(ctx, resources.CategoryInput{Name: ptr("Albums")})
	if err != nil {
		t.Fatal(err)
	}
	t1, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("t1")})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("t2")})
	if err != nil {
		t.Fatal(err)
	}
	parent, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("Parent")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.SaveGroup(ctx, resources.GroupInput{
		Name: ptr(" Child "), Description: ptr("d"), URL: ptr("https://example.com/x"),
		Meta: resources.Meta(`{"k":1}`), OwnerID: &parent.ID, CategoryID: &cat.ID, Tags: []int64{t1.ID, t2.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(resources.Group{}, "CreatedAt", "UpdatedAt"),
		cmpopts.SortSlices(func(a, b *resources.Tag) bool { return a.ID < b.ID }),
	}
	want := &resources.Group{
		ID: g.ID, Name: "Child", Description: "d", URL: "https://example.com/x", Meta: resources.Meta(`{"k":1}`),
		OwnerID: &parent.ID, Owner: groupNoRels(parent), CategoryID: &cat.ID, Category: cat, Tags: []*resources.Tag{t1, t2},
	}
	if diff := cmp.Diff(want, g, opts); diff != "" {
		t.Errorf("created group (-want +got):\n%s", diff)
	}
	got, err := s.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g, got, opts); diff != "" {
		t.Errorf("GetGroup (-want +got):\n%s", diff)
	}

	// Absent fields keep; Tags replace.
	g2, err := s.SaveGroup(ctx, resources.GroupInput{ID: g.ID, Description: ptr("d2"), Tags: []int64{t2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	want.Description, want.Tags = "d2", []*resources.Tag{t2}
	if diff := cmp.Diff(want, g2, opts); diff != "" {
		t.Errorf("after partial update (-want +got):\n%s", diff)
	}
	// Zero clears the parent and the category; empty Tags clear.
	g3, err := s.SaveGroup(ctx, resources.GroupInput{ID: g.ID, OwnerID: ptr[int64](0), CategoryID: ptr[int64](0), Tags: []int64{}})
	if err != nil {
		t.Fatal(err)
	}
	want.OwnerID, want.Owner, want.CategoryID, want.Category, want.Tags = nil, nil, nil, nil, nil
	if diff := cmp.Diff(want, g3, opts, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after clearing (-want +got):\n%s", diff)
	}

	const unknown = 9999
	for _, tt := range []struct {
		name       string
		in         resources.GroupInput
		wantErr    error
		wantEntity string
	}{
		{"no name", resources.GroupInput{Description: ptr("x")}, resources.ErrInvalid, ""},
		{"blank name on update", resources.GroupInput{ID: g.ID, Name: ptr("")}, resources.ErrInvalid, ""},
		{"unknown parent", resources.GroupInput{Name: ptr("x"), OwnerID: ptr[int64](unknown)}, nil, "group"},
		{"unknown category", resources.GroupInput{Name: ptr("x"), CategoryID: ptr[int64](unknown)}, nil, "category"},
		{"unknown tag", resources.GroupInput{Name: ptr("x"), Tags: []int64{t1.ID, unknown}}, nil, "tag"},
		{"unknown tag on update", resources.GroupInput{ID: g.ID, Name: ptr("renamed"), Tags: []int64{unknown}}, nil, "tag"},
		{"unknown group", resources.GroupInput{ID: unknown, Name: ptr("x")}, nil, "group"},
		{"bad meta", resources.GroupInput{Name: ptr("x"), Meta: resources.Meta(`[]`)}, resources.ErrInvalid, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, err := s.GetGroup(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			counts := tableCounts(t, s)
			_, err = s.SaveGroup(ctx, tt.in)
			if tt.wantEntity != "" {
				wantNotFound(t, err, tt.wantEntity, unknown)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			after, err := s.GetGroup(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("group changed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(counts, tableCounts(t, s)); diff != "" {
				t.Errorf("rows changed (-want +got):\n%s", diff)
			}
		})
	}
	_, err = s.GetGroup(ctx, unknown)
	wantNotFound(t, err, "group", unknown)

	list, err := s.ListGroups(ctx, resources.ListOptions{Name: "chi"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != g.ID || list.Total != 1 {
		t.Errorf("ListGroups = %+v, want only group %d", list, g.ID)
	}
}

func TestGroupCycles(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	save := func(in resources.GroupInput) *resources.Group {
		t.Helper()
		g, err := s.SaveGroup(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a := save(resources.GroupInput{Name: ptr("a")})
	b := save(resources.GroupInput{Name: ptr("b"), OwnerID: &a.ID})
	c := save(resources.GroupInput{Name: ptr("c"), OwnerID: &b.ID})
	for _, tt := range []struct {
		name          string
		group, parent int64
	}{
		{"itself", a.ID, a.ID},
		{"its child", a.ID, b.ID},
		{"its grandchild", a.ID, c.ID},
		{"middle under its child", b.ID, c.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SaveGroup(ctx, resources.GroupInput{ID: tt.group, OwnerID: &tt.parent})
			wantErr(t, err, resources.ErrInvalid)
		})
	}
	// Moving within the tree without a cycle works.
	moved := save(resources.GroupInput{ID: c.ID, OwnerID: &a.ID})
	if moved.OwnerID == nil || *moved.OwnerID != a.ID {
		t.Errorf("c OwnerID = %v, want %d", moved.OwnerID, a.ID)
	}
	root := save(resources.GroupInput{ID: a.ID, OwnerID: ptr[int64](0)})
	if root.OwnerID != nil {
		t.Errorf("a OwnerID = %v, want nil", root.OwnerID)
	}
}

func TestDeleteGroup(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	g, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("owner")})
	if err != nil {
		t.Fatal(err)
	}
	child, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("child"), OwnerID: &g.ID})
	if err != nil {
		t.Fatal(err)
	}
	owned := mustCreate(t, s, []byte("owned"), resources.CreateInput{OwnerID: &g.ID})
	related := mustCreate(t, s, []byte("related"), resources.CreateInput{Groups: []int64{g.ID, child.ID}})
	note, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("n"), OwnerID: &g.ID, Groups: []int64{g.ID}})
	if err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetGroup(ctx, g.ID)
	wantNotFound(t, err, "group", g.ID)
	r := mustGet(t, s, owned.ID)
	if r.OwnerID != nil || r.Owner != nil {
		t.Errorf("owned resource OwnerID = %v, want nil", r.OwnerID)
	}
	r = mustGet(t, s, related.ID)
	if len(r.Groups) != 1 || r.Groups[0].ID != child.ID {
		t.Errorf("related resource groups = %v, want only %d", r.Groups, child.ID)
	}
	cg, err := s.GetGroup(ctx, child.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cg.OwnerID != nil {
		t.Errorf("child group OwnerID = %v, want nil", cg.OwnerID)
	}
	n, err := s.GetNote(ctx, note.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n.OwnerID != nil || len(n.Groups) != 0 {
		t.Errorf("note OwnerID = %v, Groups = %v; want none", n.OwnerID, n.Groups)
	}
	if n := countRows(t, s, "resources", ""); n != 2 {
		t.Errorf("%d resources, want 2", n)
	}
	wantNotFound(t, s.DeleteGroup(ctx, g.ID), "group", g.ID)
}

func TestSaveNote(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("t")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("g")})
	if err != nil {
		t.Fatal(err)
	}
	r1 := mustCreate(t, s, []byte("r1"), resources.CreateInput{})
	r2 := mustCreate(t, s, []byte("r2"), resources.CreateInput{})
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, paris)
	end := time.Date(2024, 5, 3, 18, 30, 0, 0, time.UTC)

	n, err := s.SaveNote(ctx, resources.NoteInput{
		Name: ptr("Trip "), Description: ptr("notes"), Meta: resources.Meta(`{"x":true}`), OwnerID: &g.ID,
		StartDate: &start, EndDate: &end, Tags: []int64{tag.ID}, Groups: []int64{g.ID}, Resources: []int64{r1.ID, r2.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(resources.Note{}, "CreatedAt", "UpdatedAt"),
		cmpopts.IgnoreFields(resources.Resource{}, "Tags", "Groups", "Notes", "Owner", "Series", "ResourceCategory"),
		cmpopts.SortSlices(func(a, b *resources.Resource) bool { return a.ID < b.ID }),
		cmpopts.EquateEmpty(),
	}
	want := &resources.Note{
		ID: n.ID, Name: "Trip", Description: "notes", Meta: resources.Meta(`{"x":true}`),
		OwnerID: &g.ID, Owner: groupNoRels(g), StartDate: &start, EndDate: &end,
		Tags: []*resources.Tag{tag}, Groups: []*resources.Group{groupNoRels(g)},
		Resources: []*resources.Resource{r1, r2},
	}
	if diff := cmp.Diff(want, n, opts); diff != "" {
		t.Errorf("created note (-want +got):\n%s", diff)
	}
	got, err := s.GetNote(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n, got, opts); diff != "" {
		t.Errorf("GetNote (-want +got):\n%s", diff)
	}
	if rn := mustGet(t, s, r1.ID).Notes; len(rn) != 1 || rn[0].ID != n.ID {
		t.Errorf("resource notes = %v, want the note", rn)
	}

	// Partial update: Resources replaced, the rest kept.
	upd, err := s.SaveNote(ctx, resources.NoteInput{ID: n.ID, Resources: []int64{r2.ID}, EndDate: ptr(end.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	want.Resources = []*resources.Resource{r2}
	want.EndDate = ptr(end.Add(time.Hour))
	if diff := cmp.Diff(want, upd, opts); diff != "" {
		t.Errorf("updated note (-want +got):\n%s", diff)
	}
	if rn := mustGet(t, s, r1.ID).Notes; len(rn) != 0 {
		t.Errorf("r1 notes = %v, want none", rn)
	}
	// Zero clears the owner; empty sets clear.
	upd, err = s.SaveNote(ctx, resources.NoteInput{ID: n.ID, OwnerID: ptr[int64](0), Tags: []int64{}, Groups: []int64{}, Resources: []int64{}})
	if err != nil {
		t.Fatal(err)
	}
	want.OwnerID, want.Owner, want.Tags, want.Groups, want.Resources = nil, nil, nil, nil, nil
	if diff := cmp.Diff(want, upd, opts); diff != "" {
		t.Errorf("cleared note (-want +got):\n%s", diff)
	}

	const unknown = 9999
	before := tableCounts(t, s)
	for _, tt := range []struct {
		name       string
		in         resources.NoteInput
		wantErr    error
		wantEntity string
	}{
		{"no name", resources.NoteInput{Description: ptr("x")}, resources.ErrInvalid, ""},
		{"end before start", resources.NoteInput{Name: ptr("x"), StartDate: &end, EndDate: &start}, resources.ErrInvalid, ""},
		{"end before stored start", resources.NoteInput{ID: n.ID, EndDate: ptr(start.Add(-time.Hour))}, resources.ErrInvalid, ""},
		{"start after stored end", resources.NoteInput{ID: n.ID, StartDate: ptr(end.Add(48 * time.Hour))}, resources.ErrInvalid, ""},
		{"bad meta", resources.NoteInput{Name: ptr("x"), Meta: resources.Meta(`nope`)}, resources.ErrInvalid, ""},
		{"unknown tag", resources.NoteInput{Name: ptr("x"), Tags: []int64{unknown}}, nil, "tag"},
		{"unknown group", resources.NoteInput{Name: ptr("x"), Groups: []int64{unknown}}, nil, "group"},
		{"unknown resource", resources.NoteInput{Name: ptr("x"), Resources: []int64{r1.ID, unknown}}, nil, "resource"},
		{"unknown owner", resources.NoteInput{Name: ptr("x"), OwnerID: ptr[int64](unknown)}, nil, "group"},
		{"unknown note", resources.NoteInput{ID: unknown, Name: ptr("x")}, nil, "note"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SaveNote(ctx, tt.in)
			if tt.wantEntity != "" {
				wantNotFound(t, err, tt.wantEntity, unknown)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			if diff := cmp.Diff(before, tableCounts(t, s)); diff != "" {
				t.Errorf("rows changed (-want +got):\n%s", diff)
			}
			after, err := s.GetNote(ctx, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(upd, after, opts); diff != "" {
				t.Errorf("note changed (-want +got):\n%s", diff)
			}
		})
	}
	_, err = s.GetNote(ctx, unknown)
	wantNotFound(t, err, "note", unknown)

	list, err := s.ListNotes(ctx, resources.ListOptions{Description: "NOTES"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != n.ID {
		t.Errorf("ListNotes = %+v, want the note", list)
	}
}

func TestDeleteNote(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	r := mustCreate(t, s, []byte("r"), resources.CreateInput{})
	n, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("n"), Resources: []int64{r.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteNote(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, r.ID).Notes; len(got) != 0 {
		t.Errorf("resource notes = %v, want none", got)
	}
	wantNotFound(t, s.DeleteNote(ctx, n.ID), "note", n.ID)
}

func TestResourceCategories(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	rc, err := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("Photo"), Description: ptr("pics"), MetaSchema: ptr(`{"type":"object"}`)})
	if err != nil {
		t.Fatal(err)
	}
	opt := cmpopts.IgnoreFields(resources.ResourceCategory{}, "CreatedAt", "UpdatedAt")
	want := &resources.ResourceCategory{ID: rc.ID, Name: "Photo", Description: "pics", MetaSchema: `{"type":"object"}`}
	if diff := cmp.Diff(want, rc, opt); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	plain, err := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("Plain"), MetaSchema: ptr("")})
	if err != nil {
		t.Fatalf("empty MetaSchema: %v", err)
	}
	if plain.MetaSchema != "" {
		t.Errorf("MetaSchema = %q, want empty", plain.MetaSchema)
	}
	upd, err := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{ID: rc.ID, MetaSchema: ptr(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	want.MetaSchema = `{}`
	if diff := cmp.Diff(want, upd, opt); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}
	got, err := s.GetResourceCategory(ctx, rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(upd, got); diff != "" {
		t.Errorf("GetResourceCategory (-want +got):\n%s", diff)
	}

	for _, schema := range []string{`[]`, `3`, `"s"`, `null`, `{bad`, `{} {}`} {
		t.Run("schema "+schema, func(t *testing.T) {
			_, err := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("x"), MetaSchema: ptr(schema)})
			wantErr(t, err, resources.ErrInvalid)
			_, err = s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{ID: rc.ID, MetaSchema: ptr(schema)})
			wantErr(t, err, resources.ErrInvalid)
		})
	}
	_, err = s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{})
	wantErr(t, err, resources.ErrInvalid)
	_, err = s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{ID: 9999, Name: ptr("x")})
	wantNotFound(t, err, "resource category", 9999)
	_, err = s.GetResourceCategory(ctx, 9999)
	wantNotFound(t, err, "resource category", 9999)
	if n := countRows(t, s, "resource_categories", ""); n != 2 {
		t.Errorf("%d resource categories, want 2", n)
	}
	list, err := s.ListResourceCategories(ctx, resources.ListOptions{SortBy: []string{"name desc"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[0].Name != "Plain" || list.Total != 2 {
		t.Errorf("ListResourceCategories = %+v, want Plain then Photo", list)
	}

	r := mustCreate(t, s, []byte("r"), resources.CreateInput{ResourceCategory: &rc.ID})
	if err := s.DeleteResourceCategory(ctx, rc.ID); err != nil {
		t.Fatal(err)
	}
	got2 := mustGet(t, s, r.ID)
	if got2.ResourceCategoryID != nil || got2.ResourceCategory != nil {
		t.Errorf("resource category after delete = %v, want nil", got2.ResourceCategoryID)
	}
	wantNotFound(t, s.DeleteResourceCategory(ctx, rc.ID), "resource category", rc.ID)
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello World", "hello-world"},
		{"  --Foo__Bar--  ", "foo-bar"},
		{"already-a-slug", "already-a-slug"},
		{"Holiday 2024!", "holiday-2024"},
		{"a1  b2\tc3", "a1-b2-c3"},
		{"Ünïcode Straße", "ünïcode-straße"},
		{"日本 語", "日本-語"},
		{"!!!", ""},
		{"", ""},
		{"ABC", "abc"},
	}
	for _, tt := range tests {
		if got := resources.Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSaveSeries(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	opt := cmpopts.IgnoreFields(resources.Series{}, "CreatedAt", "UpdatedAt")
	sr, err := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr(" My Series "), Meta: resources.Meta(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := &resources.Series{ID: sr.ID, Name: "My Series", Slug: "my-series", Meta: resources.Meta(`{"a":1}`)}
	if diff := cmp.Diff(want, sr, opt); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	custom, err := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("Other"), Slug: ptr("Custom Slug")})
	if err != nil {
		t.Fatal(err)
	}
	if custom.Slug != "custom-slug" {
		t.Errorf("Slug = %q, want custom-slug", custom.Slug)
	}
	renamed, err := s.SaveSeries(ctx, resources.SeriesInput{ID: sr.ID, Name: ptr("Renamed")})
	if err != nil {
		t.Fatal(err)
	}
	want.Name = "Renamed"
	if diff := cmp.Diff(want, renamed, opt); diff != "" {
		t.Errorf("renamed (-want +got):\n%s", diff)
	}
	// Its own slug is no conflict.
	if _, err := s.SaveSeries(ctx, resources.SeriesInput{ID: sr.ID, Slug: ptr("my-series")}); err != nil {
		t.Errorf("save with its own slug: %v", err)
	}

	before := tableCounts(t, s)
	for _, tt := range []struct {
		name    string
		in      resources.SeriesInput
		wantErr error
	}{
		{"name slug taken", resources.SeriesInput{Name: ptr("MY SERIES")}, resources.ErrConflict},
		{"explicit slug taken", resources.SeriesInput{Name: ptr("x"), Slug: ptr("custom slug")}, resources.ErrConflict},
		{"update to a taken slug", resources.SeriesInput{ID: sr.ID, Slug: ptr("custom-slug")}, resources.ErrConflict},
		{"no name", resources.SeriesInput{Slug: ptr("s")}, resources.ErrInvalid},
		{"name without letters", resources.SeriesInput{Name: ptr("???")}, resources.ErrInvalid},
		{"slug without letters", resources.SeriesInput{Name: ptr("fine"), Slug: ptr("--")}, resources.ErrInvalid},
		{"bad meta", resources.SeriesInput{Name: ptr("fine"), Meta: resources.Meta(`[]`)}, resources.ErrInvalid},
		{"unknown", resources.SeriesInput{ID: 9999, Name: ptr("x")}, resources.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SaveSeries(ctx, tt.in)
			wantErr(t, err, tt.wantErr)
			if diff := cmp.Diff(before, tableCounts(t, s)); diff != "" {
				t.Errorf("rows changed (-want +got):\n%s", diff)
			}
			got, err := s.GetSeries(ctx, sr.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, opt, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("series changed (-want +got):\n%s", diff)
			}
		})
	}

	list, err := s.ListSeries(ctx, resources.ListOptions{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != custom.ID {
		t.Errorf("ListSeries = %+v, want Other", list)
	}
}

func TestGetAndDeleteSeries(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	sr, err := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("Pages")})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := s.GetSeries(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Resources == nil || len(empty.Resources) != 0 {
		t.Errorf("Resources of an empty series = %#v, want []", empty.Resources)
	}
	r1 := mustCreate(t, s, []byte("p1"), resources.CreateInput{Name: "p1", SeriesID: &sr.ID})
	r2 := mustCreate(t, s, []byte("p2"), resources.CreateInput{Name: "p2", SeriesSlug: "pages"})
	other := mustCreate(t, s, []byte("other"), resources.CreateInput{})
	got, err := s.GetSeries(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got.Resources {
		names = append(names, r.Name)
		if r.Tags == nil || r.Groups == nil || r.Notes == nil {
			t.Errorf("resource %d relations not normalised: %+v", r.ID, r)
		}
	}
	if diff := cmp.Diff([]string{"p1", "p2"}, names); diff != "" {
		t.Errorf("series resources (-want +got):\n%s", diff)
	}
	_, err = s.GetSeries(ctx, 9999)
	wantNotFound(t, err, "series", 9999)

	if err := s.DeleteSeries(ctx, sr.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{r1.ID, r2.ID} {
		r := mustGet(t, s, id)
		if r.SeriesID != nil || r.Series != nil {
			t.Errorf("resource %d SeriesID = %v after its series was deleted, want nil", id, r.SeriesID)
		}
	}
	mustGet(t, s, other.ID)
	wantNotFound(t, s.DeleteSeries(ctx, sr.ID), "series", sr.ID)
}

func TestListEntitiesEmpty(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags, err := s.ListTags(ctx, resources.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tags.Items == nil || tags.Total != 0 {
		t.Errorf("ListTags on an empty store = %#v, want empty non-nil Items", tags)
	}
	groups, err := s.ListGroups(ctx, resources.ListOptions{Name: strings.Repeat("x", 3)})
	if err != nil {
		t.Fatal(err)
	}
	if groups.Items == nil || groups.Total != 0 {
		t.Errorf("ListGroups = %#v, want empty", groups)
	}
}

// TestGetSeriesOrder checks that a series lists its resources in ID order,
// whatever the order they joined it in.
func TestGetSeriesOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	sr, err := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("Scan")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 4 {
		ids = append(ids, mustCreate(t, s, []byte{'p', byte(i)}, resources.CreateInput{}).ID)
	}
	for _, i := range []int{3, 0, 2} {
		if _, err := s.Edit(ctx, resources.EditInput{ID: ids[i], SeriesID: &sr.ID}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetSeries(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []int64
	for _, r := range got.Resources {
		gotIDs = append(gotIDs, r.ID)
	}
	if diff := cmp.Diff([]int64{ids[0], ids[2], ids[3]}, gotIDs); diff != "" {
		t.Errorf("series resources (-want +got):\n%s", diff)
	}
}
