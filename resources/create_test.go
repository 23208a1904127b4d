package resources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/resources"
)

// fixtures are entities a resource can refer to.
type fixtures struct {
	tag1, tag2    *resources.Tag
	category      *resources.Category
	owner, group  *resources.Group
	note1, note2  *resources.Note
	resourceCat   *resources.ResourceCategory
	otherCat      *resources.ResourceCategory
	series, other *resources.Series
	ownerNoRels   *resources.Group // owner as loaded through a resource
	groupNoRels   *resources.Group
	note1NoRels   *resources.Note
	note2NoRels   *resources.Note
	otherNoRels   *resources.Series
	seriesNoRels  *resources.Series
}

func newFixtures(tb testing.TB, s *resources.Store) *fixtures {
	tb.Helper()
	ctx := context.Background()
	f := &fixtures{}
	var err error
	must := func() {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	f.tag1, err = s.SaveTag(ctx, resources.TagInput{Name: ptr("red"), Description: ptr("the colour")})
	must()
	f.tag2, err = s.SaveTag(ctx, resources.TagInput{Name: ptr("blue")})
	must()
	f.category, err = s.SaveCategory(ctx, resources.CategoryInput{Name: ptr("People")})
	must()
	f.owner, err = s.SaveGroup(ctx, resources.GroupInput{Name: ptr("Alice"), CategoryID: &f.category.ID, Meta: resources.Meta(`{"k":"v"}`)})
	must()
	f.group, err = s.SaveGroup(ctx, resources.GroupInput{Name: ptr("Trip")})
	must()
	f.note1, err = s.SaveNote(ctx, resources.NoteInput{Name: ptr("first note")})
	must()
	f.note2, err = s.SaveNote(ctx, resources.NoteInput{Name: ptr("second note")})
	must()
	f.resourceCat, err = s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("Photo"), MetaSchema: ptr(`{"type":"object"}`)})
	must()
	f.otherCat, err = s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr("Scan")})
	must()
	f.series, err = s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("Burst")})
	must()
	f.other, err = s.SaveSeries(ctx, resources.SeriesInput{Name: ptr("Other")})
	must()
	f.ownerNoRels = groupNoRels(f.owner)
	f.groupNoRels = groupNoRels(f.group)
	f.note1NoRels = noteNoRels(f.note1)
	f.note2NoRels = noteNoRels(f.note2)
	f.seriesNoRels = seriesNoRels(f.series)
	f.otherNoRels = seriesNoRels(f.other)
	return f
}

// groupNoRels is g as a resource's relation loads it: without its own
// relations.
func groupNoRels(g *resources.Group) *resources.Group {
	c := *g
	c.Owner, c.Category, c.Tags = nil, nil, nil
	return &c
}

func noteNoRels(n *resources.Note) *resources.Note {
	c := *n
	c.Owner, c.Tags, c.Groups, c.Resources = nil, nil, nil, nil
	return &c
}

func seriesNoRels(sr *resources.Series) *resources.Series {
	c := *sr
	c.Resources = nil
	return &c
}

// resourceOpts compare resources regardless of the order of their relations.
var resourceOpts = cmp.Options{
	cmpopts.SortSlices(func(a, b *resources.Tag) bool { return a.ID < b.ID }),
	cmpopts.SortSlices(func(a, b *resources.Group) bool { return a.ID < b.ID }),
	cmpopts.SortSlices(func(a, b *resources.Note) bool { return a.ID < b.ID }),
}

// ignoreGenerated ignores what the store chooses: IDs and timestamps.
var ignoreGenerated = cmpopts.IgnoreFields(resources.Resource{}, "ID", "CreatedAt", "UpdatedAt", "CurrentVersionID")

func TestCreateEveryField(t *testing.T) {
	s, bs := newTestStore(t)
	f := newFixtures(t, s)
	data := pngBytes(t, 7, 5, 1)
	hash := sha256Hex(data)
	meta := resources.Meta(`{"author":"me","n":[1,2]}`)
	in := resources.CreateInput{
		Name:             "  My photo  ",
		Description:      "A sample photo",
		OwnerID:          &f.owner.ID,
		Groups:           []int64{f.group.ID},
		Tags:             []int64{f.tag1.ID, f.tag2.ID},
		Notes:            []int64{f.note1.ID, f.note2.ID},
		Meta:             meta,
		Category:         "legacy",
		ContentCategory:  "pictures",
		ResourceCategory: &f.resourceCat.ID,
		OriginalName:     "IMG_0001.png",
		OriginalLocation: "/Users/me/IMG_0001.png",
		SeriesID:         &f.series.ID,
	}
	before := time.Now()
	got := mustCreate(t, s, data, in)
	want := &resources.Resource{
		Name:               "My photo",
		Description:        "A sample photo",
		OriginalName:       "IMG_0001.png",
		OriginalLocation:   "/Users/me/IMG_0001.png",
		Hash:               mustHash(t, hash),
		HashType:           "SHA256",
		Location:           hash[:2] + "/" + hash[2:4] + "/" + hash,
		Meta:               meta,
		Width:              7,
		Height:             5,
		FileSize:           int64(len(data)),
		Category:           "legacy",
		ContentType:        "image/png",
		ContentCategory:    "pictures",
		OwnerID:            &f.owner.ID,
		Owner:              f.ownerNoRels,
		ResourceCategoryID: &f.resourceCat.ID,
		ResourceCategory:   f.resourceCat,
		SeriesID:           &f.series.ID,
		Series:             f.seriesNoRels,
		Tags:               []*resources.Tag{f.tag1, f.tag2},
		Groups:             []*resources.Group{f.groupNoRels},
		Notes:              []*resources.Note{f.note1NoRels, f.note2NoRels},
	}
	if diff := cmp.Diff(want, got, resourceOpts, ignoreGenerated); diff != "" {
		t.Errorf("Create mismatch (-want +got):\n%s", diff)
	}
	if got.ID == 0 {
		t.Error("ID is 0")
	}
	if d := got.CreatedAt.Sub(before); d < -time.Second || d > time.Minute {
		t.Errorf("CreatedAt = %v, want about %v", got.CreatedAt, before)
	}
	if !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
	stored := mustGet(t, s, got.ID)
	if diff := cmp.Diff(got, stored, resourceOpts); diff != "" {
		t.Errorf("Get differs from what Create returned (-want +got):\n%s", diff)
	}
	checkVersion1(t, s, got)
	if diff := cmp.Diff([]string{hash}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

// checkVersion1 checks that r has exactly one version, number 1, describing
// the same file, and that CurrentVersionID points at it.
func checkVersion1(tb testing.TB, s *resources.Store, r *resources.Resource) {
	tb.Helper()
	var vs []resources.Version
	if err := s.ReadDB().NewSelect().Model(&vs).Where("resource_id = ?", r.ID).Scan(context.Background()); err != nil {
		tb.Fatal(err)
	}
	if len(vs) != 1 {
		tb.Fatalf("resource %d has %d versions, want 1", r.ID, len(vs))
	}
	if r.CurrentVersionID == nil || *r.CurrentVersionID != vs[0].ID {
		tb.Errorf("CurrentVersionID = %v, want %d", r.CurrentVersionID, vs[0].ID)
	}
	want := resources.Version{
		ID:            vs[0].ID,
		ResourceID:    r.ID,
		VersionNumber: 1,
		Hash:          r.Hash,
		HashType:      r.HashType,
		FileSize:      r.FileSize,
		ContentType:   r.ContentType,
		Width:         r.Width,
		Height:        r.Height,
		Location:      r.Location,
		CreatedAt:     r.CreatedAt,
	}
	if diff := cmp.Diff(want, vs[0], cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		tb.Errorf("version 1 mismatch (-want +got):\n%s", diff)
	}
}

func TestCreateDetectsContent(t *testing.T) {
	png := pngBytes(t, 31, 17, 2)
	text := []byte("hello, world\nsecond line\n")
	tests := []struct {
		name       string
		data       []byte
		in         resources.CreateInput
		wantName   string
		wantType   string
		wantW      int
		wantH      int
		wantCateg  string
		wantLegacy string
	}{
		{name: "png", data: png, in: resources.CreateInput{Name: "pic"}, wantName: "pic", wantType: "image/png", wantW: 31, wantH: 17, wantCateg: probe.CategoryImage},
		{name: "text", data: text, in: resources.CreateInput{Name: "notes.txt"}, wantName: "notes.txt", wantType: "text/plain", wantCateg: probe.CategoryDocument},
		{name: "name from original name", data: text, in: resources.CreateInput{OriginalName: "orig.txt"}, wantName: "orig.txt", wantType: "text/plain", wantCateg: probe.CategoryDocument},
		{name: "blank name falls back", data: text, in: resources.CreateInput{Name: "   ", OriginalName: "orig.txt"}, wantName: "orig.txt", wantType: "text/plain", wantCateg: probe.CategoryDocument},
		{name: "png size override", data: png, in: resources.CreateInput{Width: 100, Height: 200}, wantType: "image/png", wantW: 100, wantH: 200, wantCateg: probe.CategoryImage},
		{name: "png width override only", data: png, in: resources.CreateInput{Width: 100}, wantType: "image/png", wantW: 100, wantH: 17, wantCateg: probe.CategoryImage},
		{name: "text size override", data: text, in: resources.CreateInput{Width: 3, Height: 4}, wantType: "text/plain", wantW: 3, wantH: 4, wantCateg: probe.CategoryDocument},
		{name: "the file name does not set the type", data: text, in: resources.CreateInput{Name: "fake.png", OriginalName: "fake.png"}, wantName: "fake.png", wantType: "text/plain", wantCateg: probe.CategoryDocument},
		{name: "empty file", data: nil, in: resources.CreateInput{Name: "empty"}, wantName: "empty", wantType: probe.OctetStream, wantCateg: probe.CategoryOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			got := mustCreate(t, s, tt.data, tt.in)
			hash := sha256Hex(tt.data)
			want := &resources.Resource{
				Name:             tt.wantName,
				OriginalName:     tt.in.OriginalName,
				Hash:             mustHash(t, hash),
				HashType:         resources.HashType,
				Location:         hash[:2] + "/" + hash[2:4] + "/" + hash,
				Meta:             resources.Meta(`{}`),
				Width:            tt.wantW,
				Height:           tt.wantH,
				FileSize:         int64(len(tt.data)),
				ContentType:      tt.wantType,
				ContentCategory:  tt.wantCateg,
				Tags:             []*resources.Tag{},
				Groups:           []*resources.Group{},
				Notes:            []*resources.Note{},
				StorageLocation:  nil,
				OwnerID:          nil,
				SeriesID:         nil,
				CurrentVersionID: nil,
			}
			if diff := cmp.Diff(want, got, ignoreGenerated); diff != "" {
				t.Errorf("Create mismatch (-want +got):\n%s", diff)
			}
			checkVersion1(t, s, got)
		})
	}
}

func TestCreateEmptyRelationsAreEmptyArrays(t *testing.T) {
	s, _ := newTestStore(t)
	r := mustCreate(t, s, []byte("plain"), resources.CreateInput{Name: "p"})
	for _, got := range []*resources.Resource{r, mustGet(t, s, r.ID)} {
		if got.Tags == nil || got.Groups == nil || got.Notes == nil {
			t.Errorf("relations Tags=%#v Groups=%#v Notes=%#v, want non-nil empty slices", got.Tags, got.Groups, got.Notes)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		for _, frag := range []string{`"Tags":[]`, `"Groups":[]`, `"Notes":[]`, `"Meta":{}`, `"Owner":null`, `"OwnerId":null`} {
			if !strings.Contains(string(b), frag) {
				t.Errorf("JSON %s lacks %s", b, frag)
			}
		}
	}
}

func TestCreateSeriesBySlug(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	r1 := mustCreate(t, s, []byte("page 1"), resources.CreateInput{SeriesSlug: "Holiday 2024!"})
	if r1.SeriesID == nil || r1.Series == nil {
		t.Fatalf("first resource has no series: %+v", r1)
	}
	wantSeries := &resources.Series{ID: *r1.SeriesID, Name: "Holiday 2024!", Slug: "holiday-2024", Meta: resources.Meta(`{}`)}
	if diff := cmp.Diff(wantSeries, r1.Series, cmpopts.IgnoreFields(resources.Series{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("created series mismatch (-want +got):\n%s", diff)
	}
	r2 := mustCreate(t, s, []byte("page 2"), resources.CreateInput{SeriesSlug: "holiday-2024"})
	if r2.SeriesID == nil || *r2.SeriesID != *r1.SeriesID {
		t.Errorf("second resource SeriesID = %v, want %d (reused)", r2.SeriesID, *r1.SeriesID)
	}
	if n := countRows(t, s, "series", ""); n != 1 {
		t.Errorf("%d series, want 1", n)
	}
	sr, err := s.GetSeries(ctx, *r1.SeriesID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range sr.Resources {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]int64{r1.ID, r2.ID}, ids); diff != "" {
		t.Errorf("series resources (-want +got):\n%s", diff)
	}
}

func TestCreateDuplicate(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	data := pngBytes(t, 4, 4, 9)
	first := mustCreate(t, s, data, resources.CreateInput{Name: "first"})
	before := tableCounts(t, s)
	stored := mustGet(t, s, first.ID)

	_, err := s.Create(ctx, bytes.NewReader(data), resources.CreateInput{Name: "second"})
	wantErr(t, err, resources.ErrConflict)
	var dup *resources.DuplicateError
	if !errors.As(err, &dup) {
		t.Fatalf("err = %v (%T), want a *DuplicateError", err, err)
	}
	if diff := cmp.Diff(&resources.DuplicateError{ExistingID: first.ID, Hash: first.Hash.String()}, dup); diff != "" {
		t.Errorf("DuplicateError (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, tableCounts(t, s)); diff != "" {
		t.Errorf("rows changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(stored, mustGet(t, s, first.ID)); diff != "" {
		t.Errorf("existing resource changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{first.Hash.String()}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

func TestCreateAllowDuplicates(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t, allowDuplicates)
	data := []byte("same bytes twice")
	a := mustCreate(t, s, data, resources.CreateInput{Name: "a"})
	b := mustCreate(t, s, data, resources.CreateInput{Name: "b"})
	if a.ID == b.ID || a.Hash != b.Hash || a.Location != b.Location {
		t.Fatalf("a = %d %s, b = %d %s; want two resources with one hash", a.ID, a.Hash, b.ID, b.Hash)
	}
	checkVersion1(t, s, b)
	if diff := cmp.Diff([]string{a.Hash.String()}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	if err := s.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{a.Hash.String()}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs after deleting one of two (-want +got):\n%s", diff)
	}
	if _, err := s.Get(ctx, b.ID); err != nil {
		t.Errorf("the other resource: %v", err)
	}
	if err := s.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs after deleting both (-want +got):\n%s", diff)
	}
}

// TestCreateFailureLeavesNothing checks that a Create refused for an unknown
// reference or bad input leaves no row and no blob.
func TestCreateFailureLeavesNothing(t *testing.T) {
	const unknown = 9999
	tests := []struct {
		name       string
		in         func(f *fixtures) resources.CreateInput
		wantErr    error
		wantEntity string // for ErrNotFound
	}{
		{name: "unknown tag", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Tags: []int64{f.tag1.ID, unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "tag"},
		{name: "unknown group", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Groups: []int64{unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "group"},
		{name: "unknown note", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Notes: []int64{f.note1.ID, unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "note"},
		{name: "unknown owner", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{OwnerID: ptr[int64](unknown), Tags: []int64{f.tag1.ID}}
		}, wantErr: resources.ErrNotFound, wantEntity: "group"},
		{name: "unknown resource category", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{ResourceCategory: ptr[int64](unknown)}
		}, wantErr: resources.ErrNotFound, wantEntity: "resource category"},
		{name: "unknown series", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{SeriesID: ptr[int64](unknown)}
		}, wantErr: resources.ErrNotFound, wantEntity: "series"},
		{name: "unknown tag after a new series slug", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{SeriesSlug: "brand new", Tags: []int64{unknown}}
		}, wantErr: resources.ErrNotFound, wantEntity: "tag"},
		{name: "slug without letters", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{SeriesSlug: "!!!"}
		}, wantErr: resources.ErrInvalid},
		{name: "meta array", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Meta: resources.Meta(`[1,2]`)}
		}, wantErr: resources.ErrInvalid},
		{name: "meta not JSON", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Meta: resources.Meta(`{oops`)}
		}, wantErr: resources.ErrInvalid},
		{name: "negative width", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Width: -1}
		}, wantErr: resources.ErrInvalid},
		{name: "negative height", in: func(f *fixtures) resources.CreateInput {
			return resources.CreateInput{Height: -5}
		}, wantErr: resources.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, bs := newTestStore(t)
			f := newFixtures(t, s)
			before := tableCounts(t, s)
			_, err := s.Create(ctx, bytes.NewReader(pngBytes(t, 3, 3, 3)), tt.in(f))
			if tt.wantEntity != "" {
				wantNotFound(t, err, tt.wantEntity, unknown)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			if diff := cmp.Diff(before, tableCounts(t, s)); diff != "" {
				t.Errorf("rows changed by a failed Create (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
				t.Errorf("blobs left by a failed Create (-want +got):\n%s", diff)
			}
		})
	}
}

// failingReader returns some bytes, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestCreateReadErrorLeavesNothing(t *testing.T) {
	s, bs := newTestStore(t)
	boom := errors.New("boom")
	_, err := s.Create(context.Background(), &failingReader{data: []byte("partial"), err: boom}, resources.CreateInput{})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want one wrapping %v", err, boom)
	}
	if n := countRows(t, s, "resources", ""); n != 0 {
		t.Errorf("%d resources, want 0", n)
	}
	if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}

// TestCreateConcurrent: concurrent creates share transactions; one that
// fails (a tag that does not exist, content given twice) fails alone and
// leaves nothing, the others are created whole.
func TestCreateConcurrent(t *testing.T) {
	s, _ := newTestStore(t)
	tags := newTags(t, s, "concurrent")
	const n = 24
	type result struct {
		res *resources.Resource
		err error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			in := resources.CreateInput{Name: fmt.Sprintf("r%d", i), Tags: tags}
			data := pngBytes(t, 3, 3, uint8(i))
			switch i % 4 {
			case 1:
				in.Tags = []int64{tags[0], 1 << 40}
			case 2:
				data = pngBytes(t, 3, 3, uint8(i-2)) // the same content as i-2
			}
			up, err := s.Stage(t.Context(), bytes.NewReader(data))
			if err != nil {
				results[i].err = err
				return
			}
			defer s.Release(t.Context(), up)
			<-start
			got, err := s.CreateMany(t.Context(), []resources.NewResource{{Upload: up, CreateInput: in}})
			if err == nil {
				results[i].res = got[0]
			}
			results[i].err = err
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, r := range results {
		switch {
		case i%4 == 1:
			wantErr(t, r.err, resources.ErrNotFound)
		case i%4 == 2 || i%4 == 0:
			// Of a pair of uploads of one content, one is created.
			if (r.err == nil) == (results[i^2].err == nil) {
				t.Errorf("uploads %d and %d of one content: errors %v and %v, want one conflict", i, i^2, r.err, results[i^2].err)
			}
			if r.err != nil {
				wantErr(t, r.err, resources.ErrConflict)
			}
		case r.err != nil:
			t.Errorf("create %d: %v", i, r.err)
		}
		if r.err != nil {
			continue
		}
		created++
		got := mustGet(t, s, r.res.ID)
		if got.Name != fmt.Sprintf("r%d", i) || len(got.Tags) != 1 {
			t.Errorf("resource %d: name %q, %d tags; want r%d with 1", i, got.Name, len(got.Tags), i)
		}
	}
	counts := tableCounts(t, s)
	if counts["resources"] != created || counts["resource_versions"] != created || counts["resource_tags"] != created {
		t.Errorf("rows %v, want %d resources, versions and tag links", counts, created)
	}
}
