package resources_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/resources"
)

// TestReadManyRelations checks that every column of every relation of a
// resource reads back as the entity's own getter reads it, with texts
// that need escaping, a note's dates with and without a fraction of a
// second, and references shared by two resources, in the order of the IDs
// asked for, an unknown one left out.
func TestReadManyRelations(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	text := "quote \" backslash \\ tab \t é ✓ <&>"
	meta := resources.Meta(`{"s":"é \"q\" \\","n":12345678901234567,"f":1.5,"a":[1,{"b":null}]}`)
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("t " + text), Description: ptr(text), Meta: meta})
	must(err)
	category, err := s.SaveCategory(ctx, resources.CategoryInput{Name: ptr("People")})
	must(err)
	parent, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("parent")})
	must(err)
	owner, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("o " + text), Description: ptr(text), URL: ptr("https://example.com/?a=1&b=\"2\""),
		Meta: meta, OwnerID: &parent.ID, CategoryID: &category.ID})
	must(err)
	noteType, err := s.SaveNoteType(ctx, resources.NoteTypeInput{Name: ptr("kind")})
	must(err)
	start := time.Date(2021, 3, 4, 5, 6, 7, 891_234_000, time.FixedZone("", -7*3600))
	end := time.Date(2022, 1, 2, 0, 0, 0, 0, time.UTC)
	note, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("n " + text), Description: ptr(text), Meta: meta, OwnerID: &owner.ID,
		StartDate: &start, EndDate: &end, NoteTypeID: &noteType.ID})
	must(err)
	bare, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("bare")})
	must(err)
	rc, err := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("rc " + text), Description: ptr(text), MetaSchema: ptr(`{"type":"object"}`)})
	must(err)
	series, err := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("s " + text), Meta: meta})
	must(err)
	in := resources.CreateInput{Name: "first", OwnerID: &owner.ID, Groups: []int64{owner.ID, parent.ID}, Tags: []int64{tag.ID},
		Notes: []int64{note.ID, bare.ID}, ResourceCategory: &rc.ID, SeriesID: &series.ID}
	first := mustCreate(t, s, pngBytes(t, 3, 2, 1), in)
	in.Name = "second"
	second := mustCreate(t, s, pngBytes(t, 3, 2, 2), in)
	plain := mustCreate(t, s, pngBytes(t, 3, 2, 3), resources.CreateInput{Name: "plain"})

	get := func(g func() (any, error)) any {
		t.Helper()
		v, err := g()
		must(err)
		return v
	}
	wantTag := get(func() (any, error) { return s.GetTag(ctx, tag.ID) }).(*resources.Tag)
	wantOwner := groupNoRels(get(func() (any, error) { return s.GetGroup(ctx, owner.ID) }).(*resources.Group))
	wantParent := groupNoRels(get(func() (any, error) { return s.GetGroup(ctx, parent.ID) }).(*resources.Group))
	wantNote := noteNoRels(get(func() (any, error) { return s.GetNote(ctx, note.ID) }).(*resources.Note))
	wantBare := noteNoRels(get(func() (any, error) { return s.GetNote(ctx, bare.ID) }).(*resources.Note))
	wantRC := get(func() (any, error) { return s.GetResourceCategory(ctx, rc.ID) }).(*resources.ResourceCategory)
	wantSeries := seriesNoRels(get(func() (any, error) { return s.GetSeries(ctx, series.ID) }).(*resources.Series))
	if !wantNote.StartDate.Equal(start) || !wantNote.EndDate.Equal(end) {
		t.Fatalf("GetNote dates = %v, %v; want %v, %v", wantNote.StartDate, wantNote.EndDate, start, end)
	}

	got, err := s.ReadMany(ctx, nil, []int64{plain.ID, second.ID, 1 << 40, first.ID})
	must(err)
	if len(got) != 3 {
		t.Fatalf("ReadMany returned %d resources, want 3", len(got))
	}
	for _, r := range got {
		r.Normalize()
	}
	if got[0].ID != plain.ID || len(got[0].Tags)+len(got[0].Groups)+len(got[0].Notes) != 0 ||
		got[0].Owner != nil || got[0].ResourceCategory != nil || got[0].Series != nil {
		t.Errorf("resource without relations read as %+v", got[0])
	}
	for i, want := range []*resources.Resource{second, first} {
		r := got[i+1]
		if r.ID != want.ID {
			t.Fatalf("resource %d: ID %d, want %d", i+1, r.ID, want.ID)
		}
		if diff := cmp.Diff([]*resources.Tag{wantTag}, r.Tags); diff != "" {
			t.Errorf("%s: Tags (-want +got):\n%s", r.Name, diff)
		}
		if diff := cmp.Diff([]*resources.Group{wantParent, wantOwner}, r.Groups, resourceOpts); diff != "" {
			t.Errorf("%s: Groups (-want +got):\n%s", r.Name, diff)
		}
		if diff := cmp.Diff([]*resources.Note{wantNote, wantBare}, r.Notes, resourceOpts); diff != "" {
			t.Errorf("%s: Notes (-want +got):\n%s", r.Name, diff)
		}
		if diff := cmp.Diff(wantOwner, r.Owner); diff != "" {
			t.Errorf("%s: Owner (-want +got):\n%s", r.Name, diff)
		}
		if diff := cmp.Diff(wantRC, r.ResourceCategory); diff != "" {
			t.Errorf("%s: ResourceCategory (-want +got):\n%s", r.Name, diff)
		}
		if diff := cmp.Diff(wantSeries, r.Series); diff != "" {
			t.Errorf("%s: Series (-want +got):\n%s", r.Name, diff)
		}
	}
}

// TestReadManyOneKindOfRelation reads resources that each refer to one
// kind of entity only: on PostgreSQL each kind is then the one branch of
// the statement that reads them, whose other columns are all NULL.
func TestReadManyOneKindOfRelation(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tag, err1 := s.SaveTag(ctx, resources.TagInput{Name: ptr("tag")})
	group, err2 := s.SaveGroup(ctx, resources.GroupInput{Name: ptr("group")})
	note, err3 := s.SaveNote(ctx, resources.NoteInput{Name: ptr("note")})
	rc, err4 := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("category")})
	series, err5 := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("series")})
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Fatal(err)
	}
	names := func(r *resources.Resource) []string {
		var out []string
		for _, t := range r.Tags {
			out = append(out, "tag "+t.Name)
		}
		for _, g := range r.Groups {
			out = append(out, "group "+g.Name)
		}
		for _, n := range r.Notes {
			out = append(out, "note "+n.Name)
		}
		if r.Owner != nil {
			out = append(out, "owner "+r.Owner.Name)
		}
		if r.ResourceCategory != nil {
			out = append(out, "category "+r.ResourceCategory.Name)
		}
		if r.Series != nil {
			out = append(out, "series "+r.Series.Name)
		}
		return out
	}
	for i, c := range []struct {
		in   resources.CreateInput
		want []string
	}{
		{resources.CreateInput{Tags: []int64{tag.ID}}, []string{"tag tag"}},
		{resources.CreateInput{Groups: []int64{group.ID}}, []string{"group group"}},
		{resources.CreateInput{OwnerID: &group.ID}, []string{"owner group"}},
		{resources.CreateInput{Notes: []int64{note.ID}}, []string{"note note"}},
		{resources.CreateInput{ResourceCategory: &rc.ID}, []string{"category category"}},
		{resources.CreateInput{SeriesID: &series.ID}, []string{"series series"}},
	} {
		c.in.Name = fmt.Sprint("r", i)
		r := mustCreate(t, s, pngBytes(t, 3, 2, byte(i)), c.in)
		got, err := s.ReadMany(ctx, nil, []int64{r.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%v: ReadMany returned %d resources, want 1", c.want, len(got))
		}
		if diff := cmp.Diff(c.want, names(got[0])); diff != "" {
			t.Errorf("relations (-want +got):\n%s", diff)
		}
	}
}
