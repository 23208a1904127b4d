package resources_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun/dialect"

	"github.com/stockroomhq/stockroom/resources"
)

// TestReadManySharedRelations reads resources that share their tags,
// groups, notes, owner, resource category and series: each relation is
// read once, but every resource gets it, in the order of IDs, as a copy
// of its own.
func TestReadManySharedRelations(t *testing.T) {
	s, _ := newTestStore(t)
	f := newFixtures(t, s)
	ctx := context.Background()
	shared := resources.CreateInput{
		OwnerID:          &f.owner.ID,
		Groups:           []int64{f.group.ID, f.owner.ID},
		Tags:             []int64{f.tag2.ID, f.tag1.ID},
		Notes:            []int64{f.note2.ID, f.note1.ID},
		ResourceCategory: &f.resourceCat.ID,
		SeriesID:         &f.series.ID,
	}
	a := mustCreate(t, s, pngBytes(t, 3, 3, 1), shared)
	b := mustCreate(t, s, pngBytes(t, 3, 3, 2), shared)
	bare := mustCreate(t, s, pngBytes(t, 3, 3, 3), resources.CreateInput{})

	got, err := s.ReadMany(ctx, nil, []int64{b.ID, bare.ID, 1 << 40, a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	type relations struct {
		ID                                      int64
		Tags, Groups, Notes                     []int64
		Owner, ResourceCategory, Series, NoRefs int64
	}
	ids := func(n int, id func(i int) int64) []int64 {
		var out []int64
		for i := range n {
			out = append(out, id(i))
		}
		return out
	}
	var gotRels []relations
	for _, r := range got {
		rel := relations{
			ID:     r.ID,
			Tags:   ids(len(r.Tags), func(i int) int64 { return r.Tags[i].ID }),
			Groups: ids(len(r.Groups), func(i int) int64 { return r.Groups[i].ID }),
			Notes:  ids(len(r.Notes), func(i int) int64 { return r.Notes[i].ID }),
		}
		if r.Owner != nil {
			rel.Owner = r.Owner.ID
		}
		if r.ResourceCategory != nil {
			rel.ResourceCategory = r.ResourceCategory.ID
		}
		if r.Series != nil {
			rel.Series = r.Series.ID
		}
		gotRels = append(gotRels, rel)
	}
	lo, hi := min(f.group.ID, f.owner.ID), max(f.group.ID, f.owner.ID)
	full := func(id int64) relations {
		return relations{ID: id, Tags: []int64{f.tag1.ID, f.tag2.ID}, Groups: []int64{lo, hi}, Notes: []int64{f.note1.ID, f.note2.ID},
			Owner: f.owner.ID, ResourceCategory: f.resourceCat.ID, Series: f.series.ID}
	}
	// In the order asked, each once, unknown IDs left out.
	want := []relations{full(b.ID), {ID: bare.ID}, full(a.ID)}
	if diff := cmp.Diff(want, gotRels); diff != "" {
		t.Fatalf("relations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(f.tag1, got[0].Tags[0]); diff != "" {
		t.Errorf("tag (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(f.note1NoRels, got[0].Notes[0]); diff != "" {
		t.Errorf("note (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(f.ownerNoRels, got[0].Owner); diff != "" {
		t.Errorf("owner (-want +got):\n%s", diff)
	}

	// A change to one resource's relation leaves the other's alone.
	b0, a0 := got[0], got[2]
	b0.Tags[0].Name, b0.Owner.Name, b0.Notes[0].Name, b0.Series.Name = "x", "x", "x", "x"
	if a0.Tags[0].Name != f.tag1.Name || a0.Owner.Name != f.owner.Name || a0.Notes[0].Name != f.note1.Name || a0.Series.Name != f.series.Name {
		t.Errorf("changing b's relations changed a's: tag %q, owner %q, note %q, series %q", a0.Tags[0].Name, a0.Owner.Name, a0.Notes[0].Name, a0.Series.Name)
	}
	for _, g := range b0.Groups {
		if g == b0.Owner {
			t.Errorf("the owner is the same value as a related group")
		}
	}
}

// TestReadManyAwkwardValues reads resources whose texts hold what JSON
// escapes (SQLite's loader reads each resource as one JSON array), and,
// in SQLite, values that raw SQL may leave: a BLOB, which JSON cannot
// hold, and a REAL in an integer column.
func TestReadManyAwkwardValues(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	in := resources.CreateInput{
		Name:             `quote " backslash \ slash / tab	newline` + "\n" + "control \x01\x1f del \x7f",
		Description:      "snow ☃ emoji 😀 line sep \u2028 é",
		OriginalName:     `C:\photos\"x".jpg`,
		OriginalLocation: "https://example.com/a?b=c&d=<e>",
		Meta:             resources.Meta(`{"a":"q\"uote","b":[1,2.5,null,true],"c":{"d":"\\"}}`),
	}
	a := mustCreate(t, s, pngBytes(t, 3, 3, 1), in)
	got, err := s.ReadMany(ctx, nil, []int64{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("read %d resources, want 1", len(got))
	}
	r := got[0]
	r.Normalize()
	for _, c := range []struct{ field, got, want string }{
		{"Name", r.Name, in.Name},
		{"Description", r.Description, in.Description},
		{"OriginalName", r.OriginalName, in.OriginalName},
		{"OriginalLocation", r.OriginalLocation, in.OriginalLocation},
		{"Meta", string(r.Meta), string(in.Meta)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if diff := cmp.Diff(a, r); diff != "" {
		t.Errorf("ReadMany differs from Create's answer (-create +read):\n%s", diff)
	}

	if s.DB().Dialect().Name() != dialect.SQLite {
		return
	}
	b := mustCreate(t, s, pngBytes(t, 3, 3, 2), resources.CreateInput{Name: "b"})
	if _, err := s.DB().ExecContext(ctx, "UPDATE resources SET description = CAST('a blob' AS BLOB), width = 2.5 WHERE id = ?", b.ID); err != nil {
		t.Fatal(err)
	}
	got, err = s.ReadMany(ctx, nil, []int64{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Description != "a blob" || got[1].Width != 0 || got[0].Name != in.Name {
		t.Errorf("with a BLOB and a REAL: got %d resources, b's description %q and width %d, a's name %q",
			len(got), got[1].Description, got[1].Width, got[0].Name)
	}
}
