package resources_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
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
	if diff := gocmp.Diff(want, gotRels); diff != "" {
		t.Fatalf("relations (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(f.tag1, got[0].Tags[0]); diff != "" {
		t.Errorf("tag (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(f.note1NoRels, got[0].Notes[0]); diff != "" {
		t.Errorf("note (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(f.ownerNoRels, got[0].Owner); diff != "" {
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
	// So does an append to one resource's lists, whichever it is.
	for _, k := range []int{0, 2} {
		page, err := s.ReadMany(ctx, nil, []int64{b.ID, a.ID})
		if err != nil {
			t.Fatal(err)
		}
		one, other := page[k/2], page[1-k/2]
		one.Tags = append(one.Tags, &resources.Tag{Name: "extra"})
		one.Groups = append(one.Groups, &resources.Group{Name: "extra"})
		one.Notes = append(one.Notes, &resources.Note{Name: "extra"})
		got := relations{ID: other.ID, Tags: ids(len(other.Tags), func(i int) int64 { return other.Tags[i].ID }),
			Groups: ids(len(other.Groups), func(i int) int64 { return other.Groups[i].ID }),
			Notes:  ids(len(other.Notes), func(i int) int64 { return other.Notes[i].ID }),
			Owner:  f.owner.ID, ResourceCategory: f.resourceCat.ID, Series: f.series.ID}
		if diff := gocmp.Diff(full(other.ID), got); diff != "" {
			t.Errorf("appending to %d's relations changed %d's (-want +got):\n%s", one.ID, other.ID, diff)
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
	if diff := gocmp.Diff(a, r); diff != "" {
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

// TestGetRelations reads resources that each have other tags, groups,
// notes, owner, resource category and series, some shared, one of them
// none: Get gives each its own, every field of every entity read, in
// the order of their IDs, and the same as a page (ReadMany) does. On
// SQLite, Get reads a resource with its relations in one statement,
// which must serve without falling back to the page's statements.
func TestGetRelations(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var tags []*resources.Tag
	for _, in := range []resources.TagInput{
		{Name: ptr("t0"), Description: ptr("zero"), Meta: resources.Meta(`{"n":0}`)},
		{Name: ptr(`quote " backslash \ [bracket], comma`)},
		{Name: ptr("snow ☃ emoji 😀 \u2028"), Description: ptr("line\nbreak\ttab")},
		{Name: ptr("t3")},
	} {
		tag, err := s.SaveTag(ctx, in)
		must(err)
		tags = append(tags, tag)
	}
	cat, err := s.SaveCategory(ctx, resources.CategoryInput{Name: ptr("People")})
	must(err)
	var groups []*resources.Group
	for i, in := range []resources.GroupInput{
		{Name: ptr("g0"), URL: ptr("https://example.com/g0"), Meta: resources.Meta(`{"g":[1,2]}`), CategoryID: &cat.ID},
		{Name: ptr("g1"), Description: ptr("second")},
		{Name: ptr("g2")},
	} {
		if i == 2 {
			in.OwnerID = &groups[0].ID
		}
		g, err := s.SaveGroup(ctx, in)
		must(err)
		groups = append(groups, groupNoRels(g))
	}
	nt, err := s.SaveNoteType(ctx, resources.NoteTypeInput{Name: ptr("memo")})
	must(err)
	start := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	end := start.Add(36 * time.Hour)
	var notes []*resources.Note
	for _, in := range []resources.NoteInput{
		{Name: ptr("n0"), StartDate: &start, EndDate: &end, NoteTypeID: &nt.ID, OwnerID: &groups[1].ID},
		{Name: ptr("n1"), Meta: resources.Meta(`{"x":"y"}`)},
		{Name: ptr("n2"), Description: ptr("third")},
	} {
		n, err := s.SaveNote(ctx, in)
		must(err)
		notes = append(notes, noteNoRels(n))
	}
	var cats []*resources.ResourceCategory
	for _, in := range []resources.ResourceCategoryInput{
		{Name: ptr("Photo"), MetaSchema: ptr(`{"type":"object"}`)},
		{Name: ptr("Scan"), Description: ptr("paper")},
	} {
		c, err := s.SaveResourceCategory(ctx, in)
		must(err)
		cats = append(cats, c)
	}
	var series []*resources.Series
	for _, in := range []resources.SeriesInput{{Name: ptr("Burst")}, {Name: ptr("Pages"), Meta: resources.Meta(`{"p":1}`)}} {
		sr, err := s.SaveSeries(ctx, in)
		must(err)
		series = append(series, seriesNoRels(sr))
	}

	type rels struct {
		tags, groups, notes []int // indexes, in the order given to Create
		owner, cat, series  int   // index, or -1 for none
	}
	cases := []rels{
		{tags: []int{3, 0}, groups: []int{1}, notes: []int{2, 0}, owner: 0, cat: 0, series: 0},
		{tags: []int{1}, groups: []int{2, 0}, notes: []int{1}, owner: 2, cat: 1, series: 1},
		{owner: -1, cat: -1, series: -1},
		{tags: []int{2, 1, 0, 3}, groups: []int{0, 1, 2}, notes: []int{0, 1, 2}, owner: 1, cat: -1, series: 0},
	}
	ids := make([]int64, len(cases))
	want := make([]*resources.Resource, len(cases))
	for i, c := range cases {
		in := resources.CreateInput{Name: fmt.Sprintf("r%d", i)}
		w := &resources.Resource{Tags: []*resources.Tag{}, Groups: []*resources.Group{}, Notes: []*resources.Note{}}
		for _, k := range c.tags {
			in.Tags = append(in.Tags, tags[k].ID)
			w.Tags = append(w.Tags, tags[k])
		}
		for _, k := range c.groups {
			in.Groups = append(in.Groups, groups[k].ID)
			w.Groups = append(w.Groups, groups[k])
		}
		for _, k := range c.notes {
			in.Notes = append(in.Notes, notes[k].ID)
			w.Notes = append(w.Notes, notes[k])
		}
		if c.owner >= 0 {
			in.OwnerID, w.Owner = &groups[c.owner].ID, groups[c.owner]
		}
		if c.cat >= 0 {
			in.ResourceCategory, w.ResourceCategory = &cats[c.cat].ID, cats[c.cat]
		}
		if c.series >= 0 {
			in.SeriesID, w.Series = &series[c.series].ID, series[c.series]
		}
		slices.SortFunc(w.Tags, func(a, b *resources.Tag) int { return cmp.Compare(a.ID, b.ID) })
		slices.SortFunc(w.Groups, func(a, b *resources.Group) int { return cmp.Compare(a.ID, b.ID) })
		slices.SortFunc(w.Notes, func(a, b *resources.Note) int { return cmp.Compare(a.ID, b.ID) })
		r := mustCreate(t, s, pngBytes(t, 3, 3, uint8(i)), in)
		ids[i], want[i] = r.ID, w
	}
	// Only the relations are compared with want; the resource's own
	// fields are TestReadManyAwkwardValues's.
	type relations struct {
		Tags             []*resources.Tag
		Groups           []*resources.Group
		Notes            []*resources.Note
		Owner            *resources.Group
		ResourceCategory *resources.ResourceCategory
		Series           *resources.Series
	}
	relationsOf := func(r *resources.Resource) relations {
		return relations{r.Tags, r.Groups, r.Notes, r.Owner, r.ResourceCategory, r.Series}
	}
	page, err := s.ReadMany(ctx, nil, ids)
	must(err)
	if len(page) != len(ids) {
		t.Fatalf("ReadMany read %d resources, want %d", len(page), len(ids))
	}
	for i, id := range ids {
		got, err := s.Get(ctx, id)
		must(err)
		if diff := gocmp.Diff(relationsOf(want[i]), relationsOf(got)); diff != "" {
			t.Errorf("Get(r%d) relations (-want +got):\n%s", i, diff)
		}
		page[i].Normalize()
		if diff := gocmp.Diff(page[i], got); diff != "" {
			t.Errorf("Get(r%d) differs from ReadMany (-page +get):\n%s", i, diff)
		}
		one, ok, err := s.ReadOneStatement(ctx, id)
		must(err)
		if ok {
			if diff := gocmp.Diff(got, one); diff != "" {
				t.Errorf("r%d in one statement differs from Get (-get +one):\n%s", i, diff)
			}
		}
	}
}

// TestGetEmptyLinks reads a resource with tags where no resource has
// groups or notes (SQLite's loader skips empty link tables) and one with
// neither, and, on SQLite, one whose tag holds a value that JSON cannot
// (a BLOB), which Get reads with the page's statements.
func TestGetEmptyLinks(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("only")})
	if err != nil {
		t.Fatal(err)
	}
	bare := mustCreate(t, s, pngBytes(t, 3, 3, 1), resources.CreateInput{})
	tagged := mustCreate(t, s, pngBytes(t, 3, 3, 2), resources.CreateInput{Tags: []int64{tag.ID}})
	for _, r := range []*resources.Resource{bare, tagged} {
		got := mustGet(t, s, r.ID)
		if diff := gocmp.Diff(r, got); diff != "" {
			t.Errorf("Get differs from Create's answer (-create +get):\n%s", diff)
		}
		if got.Tags == nil || got.Groups == nil || got.Notes == nil {
			t.Errorf("Get(%d): nil relation: tags %v, groups %v, notes %v", r.ID, got.Tags, got.Groups, got.Notes)
		}
	}
	if s.DB().Dialect().Name() != dialect.SQLite {
		return
	}
	if _, err := s.DB().ExecContext(ctx, "UPDATE tags SET description = CAST('a blob' AS BLOB) WHERE id = ?", tag.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReadOneStatement(ctx, tagged.ID); err == nil {
		t.Fatalf("the single statement read a BLOB; this test no longer tests the fallback")
	}
	got := mustGet(t, s, tagged.ID)
	if len(got.Tags) != 1 || got.Tags[0].ID != tag.ID || got.Tags[0].Description != "a blob" {
		t.Errorf("with a BLOB: tags %+v, want tag %d described %q", got.Tags, tag.ID, "a blob")
	}
}

// TestReadManyPackedAsPlain reads pages with SQLite's packed statement,
// whose values are read straight into the resources' fields, and with
// the plain one, whose values database/sql gives: both read the same,
// for every field, texts that JSON escapes and values of other types
// than their columns' that raw SQL may leave.
func TestReadManyPackedAsPlain(t *testing.T) {
	s, _ := newTestStore(t)
	if s.DB().Dialect().Name() != dialect.SQLite {
		t.Skip("PostgreSQL has no packed statement")
	}
	f := newFixtures(t, s)
	ctx := context.Background()
	loc := `s3://bucket/"key" é`
	var ids []int64
	for i, in := range []resources.CreateInput{
		{Name: "plain"},
		{Name: `quote " backslash \ tab	newline` + "\n\x01", Description: "snow ☃ emoji 😀 \u2028 <&>",
			OriginalName: `C:\x.jpg`, OriginalLocation: "https://example.com/?a=1&b=2", Category: "photo",
			Meta:    resources.Meta(`{"a":"q\"uote","b":[1,2.5,null,true],"c":{"d":"\\","e":"é"}}`),
			OwnerID: &f.owner.ID, Groups: []int64{f.group.ID}, Tags: []int64{f.tag1.ID, f.tag2.ID},
			Notes: []int64{f.note1.ID}, ResourceCategory: &f.resourceCat.ID, SeriesID: &f.series.ID},
		{Name: "odd values"},
	} {
		r := mustCreate(t, s, pngBytes(t, 3, 3, uint8(i)), in)
		ids = append(ids, r.ID)
	}
	for _, q := range []string{
		"UPDATE resources SET storage_location = ? WHERE id = ?",
		// A REAL and texts in integer columns, and an integer written to
		// a text column (which SQLite keeps as its text).
		"UPDATE resources SET width = 2.5, height = 'abc', file_size = '12', content_type = 42, current_version_id = NULL, created_by = ? WHERE id = ?",
	} {
		if _, err := s.DB().ExecContext(ctx, q, loc, ids[2]); err != nil {
			t.Fatal(err)
		}
	}
	packed, plain, ok, err := s.ReadManyBothWays(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("no packed statement on SQLite")
	}
	if len(packed) != len(ids) {
		t.Fatalf("read %d resources, want %d", len(packed), len(ids))
	}
	if diff := gocmp.Diff(plain, packed); diff != "" {
		t.Errorf("packed differs from plain (-plain +packed):\n%s", diff)
	}
	if r := packed[2]; r.StorageLocation == nil || *r.StorageLocation != loc || r.FileSize != 12 || r.ContentType != "42" || r.CreatedBy != loc {
		t.Errorf("odd values read as storage location %v, file size %d, content type %q, created by %q", r.StorageLocation, r.FileSize, r.ContentType, r.CreatedBy)
	}
}
