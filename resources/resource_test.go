package resources_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/resources"
)

func TestGetUnknown(t *testing.T) {
	s, _ := newTestStore(t)
	_, err := s.Get(context.Background(), 42)
	wantNotFound(t, err, "resource", 42)
}

// editFixture creates a resource that refers to every kind of entity.
func editFixture(tb testing.TB, s *resources.Store, f *fixtures) *resources.Resource {
	tb.Helper()
	return mustCreate(tb, s, pngBytes(tb, 6, 4, 7), resources.CreateInput{
		Name:             "before",
		Description:      "old description",
		OwnerID:          &f.owner.ID,
		Groups:           []int64{f.group.ID},
		Tags:             []int64{f.tag1.ID},
		Notes:            []int64{f.note1.ID},
		Meta:             resources.Meta(`{"a":1}`),
		Category:         "cat",
		ContentCategory:  "cc",
		ResourceCategory: &f.resourceCat.ID,
		OriginalName:     "orig.png",
		OriginalLocation: "/tmp/orig.png",
		SeriesID:         &f.series.ID,
	})
}

func TestEdit(t *testing.T) {
	tests := []struct {
		name string
		in   func(f *fixtures) resources.EditInput
		// want changes a copy of the resource before the edit into the
		// expected one.
		want func(f *fixtures, r *resources.Resource)
	}{
		{name: "nothing given keeps everything", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{}
		}, want: func(f *fixtures, r *resources.Resource) {}},
		{name: "strings", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Name: ptr("  after "), Description: ptr("new"), OriginalName: ptr("o2"),
				OriginalLocation: ptr("l2"), Category: ptr("c2"), ContentCategory: ptr("cc2")}
		}, want: func(f *fixtures, r *resources.Resource) {
			r.Name, r.Description, r.OriginalName, r.OriginalLocation, r.Category, r.ContentCategory = "after", "new", "o2", "l2", "c2", "cc2"
		}},
		{name: "empty strings clear", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Description: ptr("")}
		}, want: func(f *fixtures, r *resources.Resource) { r.Description = "" }},
		{name: "tags replaced", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Tags: []int64{f.tag2.ID, f.tag2.ID}}
		}, want: func(f *fixtures, r *resources.Resource) { r.Tags = []*resources.Tag{f.tag2} }},
		{name: "empty sets clear", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Tags: []int64{}, Groups: []int64{}, Notes: []int64{}}
		}, want: func(f *fixtures, r *resources.Resource) {
			r.Tags, r.Groups, r.Notes = []*resources.Tag{}, []*resources.Group{}, []*resources.Note{}
		}},
		{name: "groups and notes replaced", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Groups: []int64{f.owner.ID, f.group.ID}, Notes: []int64{f.note2.ID}}
		}, want: func(f *fixtures, r *resources.Resource) {
			r.Groups = []*resources.Group{f.ownerNoRels, f.groupNoRels}
			r.Notes = []*resources.Note{f.note2NoRels}
		}},
		{name: "meta replaced", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Meta: resources.Meta(`{"b":2}`)}
		}, want: func(f *fixtures, r *resources.Resource) { r.Meta = resources.Meta(`{"b":2}`) }},
		{name: "empty meta", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Meta: resources.Meta{}}
		}, want: func(f *fixtures, r *resources.Resource) { r.Meta = resources.Meta(`{}`) }},
		{name: "zero references clear", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{OwnerID: ptr[int64](0), ResourceCategory: ptr[int64](0), SeriesID: ptr[int64](0)}
		}, want: func(f *fixtures, r *resources.Resource) {
			r.OwnerID, r.Owner, r.ResourceCategoryID, r.ResourceCategory, r.SeriesID, r.Series = nil, nil, nil, nil, nil, nil
		}},
		{name: "references changed", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{OwnerID: &f.group.ID, ResourceCategory: &f.otherCat.ID, SeriesID: &f.other.ID}
		}, want: func(f *fixtures, r *resources.Resource) {
			r.OwnerID, r.Owner = &f.group.ID, f.groupNoRels
			r.ResourceCategoryID, r.ResourceCategory = &f.otherCat.ID, f.otherCat
			r.SeriesID, r.Series = &f.other.ID, f.otherNoRels
		}},
		{name: "series by existing slug", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{SeriesSlug: ptr("OTHER")}
		}, want: func(f *fixtures, r *resources.Resource) { r.SeriesID, r.Series = &f.other.ID, f.otherNoRels }},
		{name: "empty series slug clears", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{SeriesSlug: ptr("")}
		}, want: func(f *fixtures, r *resources.Resource) { r.SeriesID, r.Series = nil, nil }},
		{name: "dimensions", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Width: ptr(640), Height: ptr(0)}
		}, want: func(f *fixtures, r *resources.Resource) { r.Width, r.Height = 640, 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestStore(t)
			f := newFixtures(t, s)
			orig := editFixture(t, s, f)
			want := mustGet(t, s, orig.ID)
			tt.want(f, want)
			in := tt.in(f)
			in.ID = orig.ID
			time.Sleep(2 * time.Millisecond) // so that UpdatedAt moves
			got, err := s.Edit(ctx, in)
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if diff := cmp.Diff(want, got, resourceOpts, cmpopts.IgnoreFields(resources.Resource{}, "UpdatedAt")); diff != "" {
				t.Errorf("Edit mismatch (-want +got):\n%s", diff)
			}
			if !got.UpdatedAt.After(orig.UpdatedAt) {
				t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, orig.UpdatedAt)
			}
			if diff := cmp.Diff(got, mustGet(t, s, orig.ID), resourceOpts); diff != "" {
				t.Errorf("Get after Edit differs from Edit's answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEditSeriesSlugCreatesSeries(t *testing.T) {
	s, _ := newTestStore(t)
	r := mustCreate(t, s, []byte("x"), resources.CreateInput{})
	got, err := s.Edit(context.Background(), resources.EditInput{ID: r.ID, SeriesSlug: ptr("New Series")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Series == nil || got.Series.Slug != "new-series" || got.Series.Name != "New Series" {
		t.Errorf("Series = %+v, want a new series new-series", got.Series)
	}
}

// TestEditFailureChangesNothing checks that a refused edit leaves the whole
// row and its relations as they were.
func TestEditFailureChangesNothing(t *testing.T) {
	const unknown = 9999
	tests := []struct {
		name       string
		in         func(f *fixtures) resources.EditInput
		wantErr    error
		wantEntity string
	}{
		{name: "unknown tag", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Name: ptr("changed"), Tags: []int64{f.tag2.ID, unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "tag"},
		{name: "unknown group", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Tags: []int64{}, Groups: []int64{unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "group"},
		{name: "unknown note", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Tags: []int64{f.tag2.ID}, Groups: []int64{}, Notes: []int64{unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "note"},
		{name: "unknown owner", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Description: ptr("changed"), OwnerID: ptr[int64](unknown)}
		}, wantErr: resources.ErrNotFound, wantEntity: "group"},
		{name: "unknown resource category", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{ResourceCategory: ptr[int64](unknown)}
		}, wantErr: resources.ErrNotFound, wantEntity: "resource category"},
		{name: "unknown series", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{SeriesID: ptr[int64](unknown)}
		}, wantErr: resources.ErrNotFound, wantEntity: "series"},
		{name: "new series slug then unknown tag", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{SeriesSlug: ptr("fresh"), Tags: []int64{unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "tag"},
		{name: "negative width", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Name: ptr("changed"), Width: ptr(-1)}
		}, wantErr: resources.ErrInvalid},
		{name: "negative height", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Height: ptr(-1)}
		}, wantErr: resources.ErrInvalid},
		{name: "meta not an object", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{Name: ptr("changed"), Meta: resources.Meta(`"text"`)}
		}, wantErr: resources.ErrInvalid},
		{name: "bad series slug", in: func(f *fixtures) resources.EditInput {
			return resources.EditInput{SeriesSlug: ptr("???")}
		}, wantErr: resources.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestStore(t)
			f := newFixtures(t, s)
			r := editFixture(t, s, f)
			before := mustGet(t, s, r.ID)
			counts := tableCounts(t, s)
			in := tt.in(f)
			in.ID = r.ID
			_, err := s.Edit(ctx, in)
			if tt.wantEntity != "" {
				wantNotFound(t, err, tt.wantEntity, unknown)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			if diff := cmp.Diff(before, mustGet(t, s, r.ID)); diff != "" {
				t.Errorf("resource changed by a failed Edit (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(counts, tableCounts(t, s)); diff != "" {
				t.Errorf("rows changed by a failed Edit (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("unknown resource", func(t *testing.T) {
		s, _ := newTestStore(t)
		_, err := s.Edit(context.Background(), resources.EditInput{ID: unknown, Name: ptr("x")})
		wantNotFound(t, err, "resource", unknown)
	})
}

func TestEditNameAndDescription(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	r := mustCreate(t, s, []byte("x"), resources.CreateInput{Name: "old", Description: "old d"})
	if err := s.EditName(ctx, r.ID, "new name"); err != nil {
		t.Fatal(err)
	}
	if err := s.EditDescription(ctx, r.ID, "new description"); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, r.ID)
	if got.Name != "new name" || got.Description != "new description" {
		t.Errorf("got %q / %q, want %q / %q", got.Name, got.Description, "new name", "new description")
	}
	wantNotFound(t, s.EditName(ctx, 777, "x"), "resource", 777)
	wantNotFound(t, s.EditDescription(ctx, 777, "x"), "resource", 777)
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	f := newFixtures(t, s)
	r := editFixture(t, s, f)
	keep := mustCreate(t, s, []byte("kept"), resources.CreateInput{Tags: []int64{f.tag1.ID}, Groups: []int64{f.group.ID}, Notes: []int64{f.note1.ID}})
	entitiesBefore := map[string]int{}
	for _, tbl := range []string{"tags", `"groups"`, "notes", "categories", "resource_categories", "series"} {
		entitiesBefore[tbl] = countRows(t, s, tbl, "")
	}

	if err := s.Delete(ctx, r.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Get(ctx, r.ID)
	wantNotFound(t, err, "resource", r.ID)
	for _, tbl := range []string{"resource_versions", "resource_tags", "groups_related_resources", "resource_notes"} {
		if n := countRows(t, s, tbl, "resource_id = ?", r.ID); n != 0 {
			t.Errorf("%d rows of %s left for the deleted resource", n, tbl)
		}
		if n := countRows(t, s, tbl, "resource_id = ?", keep.ID); n != 1 {
			t.Errorf("%d rows of %s for the other resource, want 1", n, tbl)
		}
	}
	for tbl, n := range entitiesBefore {
		if got := countRows(t, s, tbl, ""); got != n {
			t.Errorf("%s: %d rows, want %d (entities are not deleted with a resource)", tbl, got, n)
		}
	}
	if diff := cmp.Diff([]string{keep.Hash.String()}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	wantNotFound(t, s.Delete(ctx, r.ID), "resource", r.ID)
}

// TestDeleteKeepsBlobOfAVersion checks that a blob still named by a version
// of another resource survives the deletion of the resource whose file it
// was.
func TestDeleteKeepsBlobOfAVersion(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	a := mustCreate(t, s, []byte("a's content"), resources.CreateInput{})
	b := mustCreate(t, s, []byte("b's content"), resources.CreateInput{})
	v := &resources.Version{ResourceID: b.ID, VersionNumber: 2, Hash: a.Hash, HashType: a.HashType,
		FileSize: a.FileSize, ContentType: a.ContentType, Location: a.Location, CreatedAt: time.Now().UTC()}
	if _, err := s.DB().NewInsert().Model(v).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{a.Hash.String(), b.Hash.String()}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	if err := s.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs after deleting b and its versions (-want +got):\n%s", diff)
	}
}

func TestDeleteMany(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	a := mustCreate(t, s, []byte("a"), resources.CreateInput{})
	b := mustCreate(t, s, []byte("b"), resources.CreateInput{})
	c := mustCreate(t, s, []byte("c"), resources.CreateInput{})
	before := tableCounts(t, s)
	blobsBefore := storedBlobs(t, bs)

	wantNotFound(t, s.DeleteMany(ctx, []int64{a.ID, b.ID, 9999}), "resource", 9999)
	if diff := cmp.Diff(before, tableCounts(t, s)); diff != "" {
		t.Errorf("rows changed by a refused DeleteMany (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(blobsBefore, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs changed by a refused DeleteMany (-want +got):\n%s", diff)
	}
	wantErr(t, s.DeleteMany(ctx, nil), resources.ErrInvalid)

	if err := s.DeleteMany(ctx, []int64{a.ID, b.ID, a.ID}); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if n := countRows(t, s, "resources", ""); n != 1 {
		t.Errorf("%d resources, want 1", n)
	}
	if diff := cmp.Diff([]string{c.Hash.String()}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

func TestDeleteManyLarge(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	var ids []int64
	for i := range 450 { // more than one chunk of IDs
		r := mustCreate(t, s, []byte{byte(i), byte(i >> 8), 'x'}, resources.CreateInput{})
		ids = append(ids, r.ID)
	}
	if err := s.DeleteMany(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "resources", ""); n != 0 {
		t.Errorf("%d resources left", n)
	}
	if n := len(storedBlobs(t, bs)); n != 0 {
		t.Errorf("%d blobs left", n)
	}
}
