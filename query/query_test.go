package query_test

import (
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// fixture is a small library of five resources, r1 (oldest) to r5, with
// entities and meta that every filter can tell apart:
//
//	    created     owner  groups  tags    notes   size       meta
//	r1  2024-01-01  g1     g1 g2   t1 t2   n1      1920x1080  camera{model X100, iso 200} rating 5 public true title Dawn
//	r2  2024-02-01  g2     g1      t1      n1 n2    800x600   rating 3.5 public false title dusk code "007" discount "500"
//	r3  2024-03-01  -      g1 g2   t2 t3   -       1080x1920  rating null tags [red blue] camera{model Z6}
//	r4  2024-03-01  -      -       -       -          3x2 PNG a-b_c 1
//	r5  2024-04-01  g3     -       -       -            0x0   rating "high" discount "50%"
//
// r3 and r4 share their creation time; r4 has the larger ID.
type fixture struct {
	*env
	label             map[int64]string
	r                 map[string]*resources.Resource
	g1, g2, g3        int64
	t1, t2, t3        int64
	n1, n2            int64
	rc1, s1, emptyTag int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{env: newEnv(t), label: map[int64]string{}, r: map[string]*resources.Resource{}}
	f.g1, f.g2, f.g3 = f.group(t, "g1"), f.group(t, "g2"), f.group(t, "g3")
	f.t1, f.t2, f.t3 = f.tag(t, "t1"), f.tag(t, "t2"), f.tag(t, "t3")
	f.emptyTag = f.tag(t, "unused")
	f.n1, f.n2 = f.note(t, "n1"), f.note(t, "n2")
	f.rc1 = f.resourceCategory(t, "photos")
	f.s1 = f.series(t, "holiday")

	add := func(label string, content []byte, in resources.CreateInput, created string) {
		r := f.create(t, content, in, day(created))
		f.label[r.ID] = label
		f.r[label] = r
	}
	add("r1", text("r1", 1000), resources.CreateInput{
		Name: "Sunset Beach", Description: "Orange sky over the sea",
		OriginalName: "IMG_001.jpg", OriginalLocation: "/photos/2024/IMG_001.jpg",
		OwnerID: &f.g1, Groups: []int64{f.g1, f.g2}, Tags: []int64{f.t2, f.t1}, Notes: []int64{f.n1},
		ResourceCategory: &f.rc1, SeriesID: &f.s1,
		Meta:  meta(`{"camera":{"model":"X100","iso":200},"rating":5,"public":true,"title":"Dawn"}`),
		Width: 1920, Height: 1080,
	}, "2024-01-01")
	add("r2", text("r2", 3000), resources.CreateInput{
		Name: "sunrise 100%_done", Description: "pale light",
		OriginalName: "dawn.txt", OriginalLocation: "/notes/dawn.txt",
		OwnerID: &f.g2, Groups: []int64{f.g1}, Tags: []int64{f.t1}, Notes: []int64{f.n1, f.n2},
		Meta:  meta(`{"rating":3.5,"public":false,"title":"dusk","code":"007","discount":"500"}`),
		Width: 800, Height: 600,
	}, "2024-02-01")
	add("r3", text("r3", 2000), resources.CreateInput{
		Name: "Portrait", OriginalName: "portrait.txt",
		Groups: []int64{f.g1, f.g2}, Tags: []int64{f.t2, f.t3},
		Meta:  meta(`{"rating":null,"tags":["red","blue"],"camera":{"model":"Z6"}}`),
		Width: 1080, Height: 1920,
	}, "2024-03-01")
	add("r4", pngBytes(t, 3, 2, color.RGBA{R: 200, A: 255}), resources.CreateInput{
		Name: "pixel.png", OriginalName: "pixel.png",
		Meta: meta(`{"a-b_c":1}`),
	}, "2024-03-01")
	add("r5", text("r5", 500), resources.CreateInput{
		Name: "Report", Description: "quarterly numbers",
		OriginalName: "report.txt", OriginalLocation: "https://example.com/report.txt",
		OwnerID: &f.g3,
		Meta:    meta(`{"rating":"high","discount":"50%"}`),
	}, "2024-04-01")
	if f.r["r3"].ID > f.r["r4"].ID {
		t.Fatal("fixture: r4 must have the larger ID")
	}
	return f
}

// updatedSince and updatedBefore are the labels, newest first, of the
// fixture's resources updated at t or later, and before t.
func (f *fixture) updatedSince(t time.Time) []string {
	return f.labelsWhere(func(r *resources.Resource) bool { return !r.UpdatedAt.Before(t) })
}

func (f *fixture) updatedBefore(t time.Time) []string {
	return f.labelsWhere(func(r *resources.Resource) bool { return r.UpdatedAt.Before(t) })
}

func (f *fixture) labelsWhere(keep func(*resources.Resource) bool) []string {
	out := []string{}
	for _, label := range []string{"r5", "r4", "r3", "r2", "r1"} {
		if keep(f.r[label]) {
			out = append(out, label)
		}
	}
	return out
}

// list runs f and returns the labels of the page's resources, in order.
func (f *fixture) list(t *testing.T, filter query.Filter) []string {
	t.Helper()
	page, err := f.q.List(f.ctx, filter)
	if err != nil {
		t.Fatalf("List(%+v): %v", filter, err)
	}
	return f.labels(page.Resources)
}

func (f *fixture) labels(rs []*resources.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, f.label[r.ID])
	}
	return out
}

func l(labels ...string) []string { return append([]string{}, labels...) }

func TestListFilters(t *testing.T) { eachMode(t, testListFilters) }

func testListFilters(t *testing.T) {
	f := newFixture(t)
	all := l("r5", "r4", "r3", "r2", "r1")
	cases := []struct {
		name   string
		filter query.Filter
		want   []string
	}{
		{"zero filter: newest first, ties by ID desc", query.Filter{}, all},

		{"Name substring any case", query.Filter{Name: "SUN"}, l("r2", "r1")},
		{"Name % is literal", query.Filter{Name: "%"}, l("r2")},
		{"Name _ is literal", query.Filter{Name: "_"}, l("r2")},
		{"Name 100%_ literal", query.Filter{Name: "100%_d"}, l("r2")},
		{"Name no match", query.Filter{Name: "nothing"}, l()},
		{"Description", query.Filter{Description: "ORANGE"}, l("r1")},
		{"ContentType exact", query.Filter{ContentType: "image/png"}, l("r4")},
		{"ContentType partial any case", query.Filter{ContentType: "PNG"}, l("r4")},
		{"ContentType text", query.Filter{ContentType: "text/plain"}, l("r5", "r3", "r2", "r1")},
		{"OriginalName", query.Filter{OriginalName: "img_001"}, l("r1")},
		{"OriginalLocation", query.Filter{OriginalLocation: "EXAMPLE.com"}, l("r5")},
		{"Hash exact, upper case accepted", query.Filter{Hash: strings.ToUpper(f.r["r1"].Hash.String())}, l("r1")},
		{"Hash prefix does not match", query.Filter{Hash: f.r["r1"].Hash.String()[:10]}, l()},

		{"OwnerID", query.Filter{OwnerID: f.g1}, l("r1")},
		{"OwnerID unknown", query.Filter{OwnerID: 9999}, l()},
		{"ShowWithoutOwner", query.Filter{ShowWithoutOwner: true}, l("r4", "r3")},
		{"ShowWithoutOwner and OwnerID", query.Filter{ShowWithoutOwner: true, OwnerID: f.g1}, l()},
		{"ResourceCategoryID", query.Filter{ResourceCategoryID: f.rc1}, l("r1")},
		{"SeriesID", query.Filter{SeriesID: f.s1}, l("r1")},
		{"IDs any of", query.Filter{IDs: []int64{f.r["r1"].ID, f.r["r3"].ID, 9999}}, l("r3", "r1")},
		{"IDs duplicates", query.Filter{IDs: []int64{f.r["r2"].ID, f.r["r2"].ID}}, l("r2")},

		{"Tags one", query.Filter{Tags: []int64{f.t1}}, l("r2", "r1")},
		{"Tags all of two", query.Filter{Tags: []int64{f.t1, f.t2}}, l("r1")},
		{"Tags all of two, other pair", query.Filter{Tags: []int64{f.t3, f.t2}}, l("r3")},
		{"Tags duplicates count once", query.Filter{Tags: []int64{f.t1, f.t1, f.t2}}, l("r1")},
		{"Tags none has all", query.Filter{Tags: []int64{f.t1, f.t3}}, l()},
		{"Tags unused", query.Filter{Tags: []int64{f.emptyTag}}, l()},
		{"Tags empty slice is no filter", query.Filter{Tags: []int64{}}, all},
		{"Notes one", query.Filter{Notes: []int64{f.n1}}, l("r2", "r1")},
		{"Notes all of two", query.Filter{Notes: []int64{f.n1, f.n2}}, l("r2")},
		{"Groups related or owner", query.Filter{Groups: []int64{f.g1}}, l("r3", "r2", "r1")},
		{"Groups owner only", query.Filter{Groups: []int64{f.g3}}, l("r5")},
		{"Groups all of two, owner counts, owner+related counts once", query.Filter{Groups: []int64{f.g1, f.g2}}, l("r3", "r2", "r1")},
		{"Groups all of two, none", query.Filter{Groups: []int64{f.g2, f.g3}}, l()},
		{"Groups three", query.Filter{Groups: []int64{f.g1, f.g2, f.g3}}, l()},
		{"Groups and Tags", query.Filter{Groups: []int64{f.g1, f.g2}, Tags: []int64{f.t3}}, l("r3")},

		{"CreatedAfter inclusive", query.Filter{CreatedAfter: day("2024-03-01")}, l("r5", "r4", "r3")},
		{"CreatedBefore exclusive", query.Filter{CreatedBefore: day("2024-03-01")}, l("r2", "r1")},
		{"Created range", query.Filter{CreatedAfter: day("2024-02-01"), CreatedBefore: day("2024-04-01")}, l("r4", "r3", "r2")},
		{"CreatedAfter in another zone", query.Filter{CreatedAfter: time.Date(2024, 3, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600))}, l("r5", "r4", "r3")},
		{"CreatedAfter one microsecond later", query.Filter{CreatedAfter: day("2024-03-01").Add(time.Microsecond)}, l("r5")},

		{"MinWidth inclusive", query.Filter{MinWidth: 1080}, l("r3", "r1")},
		{"MaxWidth inclusive", query.Filter{MaxWidth: 800}, l("r5", "r4", "r2")},
		{"MinHeight", query.Filter{MinHeight: 1080}, l("r3", "r1")},
		{"MaxHeight", query.Filter{MaxHeight: 2}, l("r5", "r4")},
		{"width and height box", query.Filter{MinWidth: 3, MaxWidth: 1080, MinHeight: 2, MaxHeight: 1080}, l("r4", "r2")},
		{"MinWidth above MaxWidth", query.Filter{MinWidth: 100, MaxWidth: 10}, l()},

		{"several filters AND", query.Filter{Tags: []int64{f.t1}, Name: "sunset"}, l("r1")},

		{"Untagged", query.Filter{Untagged: true}, l("r5", "r4")},
		{"Untagged and a tag", query.Filter{Untagged: true, Tags: []int64{f.t1}}, l()},
		{"ContentTypes any of, any case", query.Filter{ContentTypes: []string{"IMAGE/PNG", "application/pdf"}}, l("r4")},
		{"ContentTypes exact, not a substring", query.Filter{ContentTypes: []string{"png"}}, l()},
		{"UpdatedAfter inclusive", query.Filter{UpdatedAfter: f.r["r3"].UpdatedAt}, f.updatedSince(f.r["r3"].UpdatedAt)},
		{"UpdatedBefore exclusive", query.Filter{UpdatedBefore: f.r["r3"].UpdatedAt}, f.updatedBefore(f.r["r3"].UpdatedAt)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, f.list(t, tc.filter)); diff != "" {
				t.Errorf("List(%+v) (-want +got):\n%s", tc.filter, diff)
			}
		})
	}
}

func TestListMetaQuery(t *testing.T) { eachMode(t, testListMetaQuery) }

func testListMetaQuery(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		mq   []string
		want []string
	}{
		// key:value is a substring match, any case.
		{[]string{"title:dawn"}, l("r1")},
		{[]string{"title:D"}, l("r2", "r1")},
		{[]string{"camera.model:z6"}, l("r3")},
		// EQ: typed, case-sensitive for strings.
		{[]string{"rating:EQ:5"}, l("r1")},
		{[]string{"rating:eq:5"}, l("r1")},
		{[]string{"rating:EQ:5.0"}, l("r1")},
		{[]string{"rating:EQ:3.5"}, l("r2")},
		{[]string{"rating:EQ:high"}, l("r5")},
		{[]string{`rating:EQ:"high"`}, l("r5")},
		{[]string{"title:EQ:dawn"}, l()},
		{[]string{"title:EQ:Dawn"}, l("r1")},
		{[]string{"code:EQ:007"}, l()}, // the number 7
		{[]string{`code:EQ:"007"`}, l("r2")},
		{[]string{`code:EQ:'007'`}, l("r2")},
		{[]string{"public:EQ:true"}, l("r1")},
		{[]string{"public:EQ:TRUE"}, l("r1")},
		{[]string{"public:EQ:false"}, l("r2")},
		{[]string{`public:EQ:"true"`}, l()}, // the string, not the boolean
		{[]string{"a-b_c:EQ:1"}, l("r4")},
		{[]string{"camera.model:EQ:X100"}, l("r1")},
		{[]string{"camera.iso:EQ:200"}, l("r1")},
		{[]string{"camera:EQ:X100"}, l()}, // an object is not a string
		{[]string{"missing:EQ:1"}, l()},
		// Several EQ on one key are OR'ed, in any order with other terms.
		{[]string{"rating:EQ:5", "rating:EQ:3.5"}, l("r2", "r1")},
		{[]string{"rating:EQ:5", "public:EQ:true", "rating:EQ:3.5"}, l("r1")},
		{[]string{"rating:EQ:5", "rating:EQ:null"}, l("r4", "r3", "r1")},
		// EQ on different keys are AND'ed.
		{[]string{"rating:EQ:5", "public:EQ:false"}, l()},
		// null.
		{[]string{"rating:EQ:null"}, l("r4", "r3")},
		{[]string{"rating:EQ:NULL"}, l("r4", "r3")},
		{[]string{"rating:NE:null"}, l("r5", "r2", "r1")},
		{[]string{`rating:EQ:"null"`}, l()},
		// NE compares values, as the reference's SQL <> does: absent keys
		// and nulls (r3's rating) do not match.
		{[]string{"rating:NE:5"}, l("r5", "r2")},
		{[]string{"public:NE:true"}, l("r2")},
		{[]string{"rating:NE:high"}, l("r2", "r1")},
		// Ordered comparisons: numbers numerically, strings as text, other
		// types never.
		{[]string{"rating:GT:3"}, l("r2", "r1")},
		{[]string{"rating:GT:3.5"}, l("r1")},
		{[]string{"rating:GE:3.5"}, l("r2", "r1")},
		{[]string{"rating:LT:5"}, l("r2")},
		{[]string{"rating:LE:5"}, l("r2", "r1")},
		{[]string{"rating:LT:-1e3"}, l()},
		{[]string{"rating:GT:a"}, l("r5")},
		{[]string{"rating:LT:a"}, l()},
		{[]string{"public:GT:0"}, l()}, // a boolean is not a number
		{[]string{"camera:GE:0"}, l()},
		{[]string{"tags:LT:1e9"}, l()},
		{[]string{"camera.model:NE:1"}, l("r3", "r1")},
		{[]string{"camera:NE:1"}, l("r3", "r1")}, // an object differs from 1
		{[]string{"camera.iso:GE:200", "camera.iso:LE:200"}, l("r1")},
		{[]string{"rating:GT:3", "public:EQ:true"}, l("r1")},
		// LI / NL: substring of the value as text, % and _ literal.
		{[]string{"camera.model:LI:x1"}, l("r1")},
		// LI keeps the client's wildcards, as the reference does.
		{[]string{"discount:LI:50%"}, l("r5", "r2")},
		{[]string{"discount:LI:5_"}, l("r5", "r2")},
		{[]string{"discount:LI:%0%"}, l("r5", "r2")},
		{[]string{"title:LI:d_s%"}, l("r2")},
		{[]string{"title:LI:d_x"}, l()},
		{[]string{"discount:NL:5_"}, l()},
		{[]string{"discount:NL:x"}, l("r5", "r2")},
		{[]string{"discount:LI:50"}, l("r5", "r2")},
		{[]string{"tags:LI:red"}, l("r3")},
		{[]string{"public:LI:true"}, l("r1")},
		{[]string{"public:LI:1"}, l()},
		{[]string{"rating:LI:3."}, l("r2")},
		{[]string{"camera.model:NL:x"}, l("r3")},
		{[]string{"discount:NL:50%"}, l()},
		{[]string{"title:LI:ab:cd"}, l()}, // colons belong to the value
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.mq, " "), func(t *testing.T) {
			if diff := cmp.Diff(tc.want, f.list(t, query.Filter{MetaQuery: tc.mq})); diff != "" {
				t.Errorf("MetaQuery %q (-want +got):\n%s", tc.mq, diff)
			}
		})
	}
}

func TestListSortBy(t *testing.T) { eachMode(t, testListSortBy) }

func testListSortBy(t *testing.T) {
	f := newFixture(t)
	// Make r5 the most recently updated and r2 the least.
	for i, label := range []string{"r2", "r4", "r1", "r3", "r5"} {
		_, err := f.db.Writer.NewUpdate().Table("resources").
			Set("updated_at = ?", day("2025-01-01").Add(time.Duration(i)*time.Hour)).
			Where("id = ?", f.r[label].ID).Exec(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		sort []string
		want []string
	}{
		{[]string{"name"}, l("r3", "r5", "r1", "r4", "r2")}, // binary order: capitals first
		{[]string{"NAME DESC"}, l("r2", "r4", "r1", "r5", "r3")},
		{[]string{"Name Asc"}, l("r3", "r5", "r1", "r4", "r2")},
		{[]string{"created_at asc"}, l("r1", "r2", "r3", "r4", "r5")}, // tie r3/r4 by ID asc
		{[]string{"created_at desc"}, l("r5", "r4", "r3", "r2", "r1")},
		{[]string{"created_at desc", "id asc"}, l("r5", "r3", "r4", "r2", "r1")},
		{[]string{"updated_at"}, l("r2", "r4", "r1", "r3", "r5")},
		{[]string{"id"}, l("r1", "r2", "r3", "r4", "r5")},
		{[]string{"id desc"}, l("r5", "r4", "r3", "r2", "r1")},
		{[]string{"file_size"}, l("r4", "r5", "r1", "r3", "r2")},
		{[]string{"file_size desc"}, l("r2", "r3", "r1", "r5", "r4")},
		{[]string{"width desc"}, l("r1", "r3", "r2", "r4", "r5")},
		{[]string{"height"}, l("r5", "r4", "r2", "r1", "r3")},
		{[]string{"content_type", "id desc"}, l("r4", "r5", "r3", "r2", "r1")},
		{[]string{"content_type desc"}, l("r5", "r3", "r2", "r1", "r4")}, // ties by ID desc
		{[]string{"original_name"}, l("r1", "r2", "r4", "r3", "r5")},
		// Meta: NULL (absent or null) < numbers < text in SQLite.
		{[]string{"meta->>'rating' desc"}, l("r5", "r1", "r2", "r4", "r3")},
		{[]string{"META->>'rating'"}, l("r3", "r4", "r2", "r1", "r5")},
		{[]string{"meta.rating"}, l("r3", "r4", "r2", "r1", "r5")},
		{[]string{"meta.camera.model"}, l("r2", "r4", "r5", "r1", "r3")},
		{[]string{"meta->>'camera.model' desc"}, l("r3", "r1", "r5", "r4", "r2")},
		// Several terms, most significant first.
		{[]string{"content_type", "meta.rating desc"}, l("r4", "r5", "r1", "r2", "r3")},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.sort, ","), func(t *testing.T) {
			if diff := cmp.Diff(tc.want, f.list(t, query.Filter{SortBy: tc.sort})); diff != "" {
				t.Errorf("SortBy %q (-want +got):\n%s", tc.sort, diff)
			}
		})
	}
}

func TestListPaging(t *testing.T) { eachMode(t, testListPaging) }

func testListPaging(t *testing.T) {
	f := newFixture(t)
	type got struct {
		Labels               []string
		Total, Page, PerPage int
	}
	cases := []struct {
		filter query.Filter
		want   got
	}{
		{query.Filter{}, got{l("r5", "r4", "r3", "r2", "r1"), 5, 1, query.DefaultPerPage}},
		{query.Filter{MaxResults: 2}, got{l("r5", "r4"), 5, 1, 2}},
		{query.Filter{MaxResults: 2, Page: 1}, got{l("r5", "r4"), 5, 1, 2}},
		{query.Filter{MaxResults: 2, Page: 2}, got{l("r3", "r2"), 5, 2, 2}},
		{query.Filter{MaxResults: 2, Page: 3}, got{l("r1"), 5, 3, 2}},
		{query.Filter{MaxResults: 2, Page: 4}, got{l(), 5, 4, 2}},
		{query.Filter{MaxResults: 2, Page: 1 << 40}, got{l(), 5, 1 << 40, 2}},
		{query.Filter{MaxResults: 5000}, got{l("r5", "r4", "r3", "r2", "r1"), 5, 1, query.MaxPerPage}},
		{query.Filter{MaxResults: 1, Page: 2, Tags: []int64{f.t1}}, got{l("r1"), 2, 2, 1}},
		{query.Filter{MaxResults: 2, Page: 2, SortBy: []string{"name"}}, got{l("r1", "r4"), 5, 2, 2}},
		{query.Filter{Name: "nothing"}, got{l(), 0, 1, query.DefaultPerPage}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%+v", tc.filter), func(t *testing.T) {
			page, err := f.q.List(f.ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if page.Resources == nil {
				t.Error("Resources is nil, want an empty slice")
			}
			g := got{f.labels(page.Resources), page.Total, page.Page, page.PerPage}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestListNoTotal(t *testing.T) { eachMode(t, testListNoTotal) }

// testListNoTotal: without counting, Total is what the page shows (and
// one more, capped, when another page follows); a page past the end
// counts as usual.
func testListNoTotal(t *testing.T) {
	f := newFixture(t)
	type got struct {
		Labels []string
		Total  int
		Capped bool
	}
	cases := []struct {
		filter query.Filter
		want   got
	}{
		{query.Filter{NoTotal: true}, got{l("r5", "r4", "r3", "r2", "r1"), 5, false}},
		{query.Filter{NoTotal: true, MaxResults: 1}, got{l("r5"), 2, true}},
		{query.Filter{NoTotal: true, MaxResults: 2, Page: 2}, got{l("r3", "r2"), 5, true}},
		{query.Filter{NoTotal: true, MaxResults: 2, Page: 3}, got{l("r1"), 5, false}},
		{query.Filter{NoTotal: true, MaxResults: 2, Page: 4}, got{l(), 5, false}},
		{query.Filter{NoTotal: true, MaxResults: 1, Tags: []int64{f.t1}}, got{l("r2"), 2, true}},
		{query.Filter{NoTotal: true, Name: "nothing"}, got{l(), 0, false}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%+v", tc.filter), func(t *testing.T) {
			page, err := f.q.List(f.ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			g := got{f.labels(page.Resources), page.Total, page.TotalCapped}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestListLoadsRelations(t *testing.T) { eachMode(t, testListLoadsRelations) }

func testListLoadsRelations(t *testing.T) {
	f := newFixture(t)
	page, err := f.q.List(f.ctx, query.Filter{SortBy: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]*resources.Resource{}
	for _, r := range page.Resources {
		byLabel[f.label[r.ID]] = r
		if r.Tags == nil || r.Groups == nil || r.Notes == nil {
			t.Errorf("%s: nil relation slice (Tags %v, Groups %v, Notes %v)", f.label[r.ID], r.Tags == nil, r.Groups == nil, r.Notes == nil)
		}
	}
	r1, r4 := byLabel["r1"], byLabel["r4"]
	tagNames := func(r *resources.Resource) []string {
		var out []string
		for _, t := range r.Tags {
			out = append(out, t.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"t1", "t2"}, tagNames(r1)); diff != "" {
		t.Errorf("r1 tags (-want +got):\n%s", diff)
	}
	if r1.Owner == nil || r1.Owner.Name != "g1" {
		t.Errorf("r1 Owner = %+v, want g1", r1.Owner)
	}
	if r1.ResourceCategory == nil || r1.ResourceCategory.Name != "photos" {
		t.Errorf("r1 ResourceCategory = %+v, want photos", r1.ResourceCategory)
	}
	if r1.Series == nil || r1.Series.Name != "holiday" {
		t.Errorf("r1 Series = %+v, want holiday", r1.Series)
	}
	if len(r4.Tags) != 0 || r4.Owner != nil || r4.ResourceCategory != nil || r4.Series != nil {
		t.Errorf("r4 relations = %v %v %v %v, want none", r4.Tags, r4.Owner, r4.ResourceCategory, r4.Series)
	}
	if r4.Width != 3 || r4.Height != 2 || r4.ContentType != "image/png" {
		t.Errorf("r4 = %dx%d %s, want 3x2 image/png", r4.Width, r4.Height, r4.ContentType)
	}

	// A listed resource is the one Store.Get returns, relations included.
	want, err := f.store.Get(f.ctx, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, r1); diff != "" {
		t.Errorf("List vs Get (-want +got):\n%s", diff)
	}
}

// TestListQueryCount checks that relations are loaded per page, not per
// row: a page of one and a page of five take the same number of queries.
func TestListQueryCount(t *testing.T) { eachMode(t, testListQueryCount) }

func testListQueryCount(t *testing.T) {
	f := newFixture(t)
	count := func(filter query.Filter) int64 {
		before := f.queries.n.Load()
		page, err := f.q.List(f.ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Resources) == 0 {
			t.Fatal("empty page")
		}
		return f.queries.n.Load() - before
	}
	// The first list looks up the library's size, which the next ones
	// reuse for a second (smallLibrary).
	count(query.Filter{MaxResults: 1})
	// Both pages have another after them, so both count.
	one, four := count(query.Filter{MaxResults: 1}), count(query.Filter{MaxResults: 4})
	if one != four {
		t.Errorf("a page of 1 took %d queries, a page of 4 took %d", one, four)
	}
	// BEGIN, rows (with the belongs-to joins), tags, groups, notes, the
	// count, ROLLBACK.
	if four > 7 {
		t.Errorf("a page took %d queries, want at most 7", four)
	}
}

// TestListOneSnapshot checks that a list does not mix states when a writer
// commits between its planning and its page: it shows the library as it
// was when the list began, relations and total included. The planner's
// mode only: the generic path reads nothing before its page, so a SQLite
// snapshot (taken at the first read) begins after the writes.
func TestListOneSnapshot(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the hook runs after planning, which only SQLite does")
	f := newFixture(t)
	var fresh int64
	wrote := false
	query.OnPlanned(f.q, func() {
		if wrote {
			return
		}
		wrote = true
		if err := f.store.Delete(f.ctx, f.r["r2"].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Edit(f.ctx, resources.EditInput{ID: f.r["r1"].ID, Tags: []int64{f.t3}}); err != nil {
			t.Fatal(err)
		}
		r, err := f.store.Create(f.ctx, strings.NewReader("a sunny day"), resources.CreateInput{Name: "Sunny day"})
		if err != nil {
			t.Fatal(err)
		}
		fresh = r.ID
		f.label[r.ID] = "fresh"
	})
	tagNames := func(r *resources.Resource) []string {
		var out []string
		for _, tg := range r.Tags {
			out = append(out, tg.Name)
		}
		return out
	}
	filter := query.Filter{Name: "sun"}
	page, err := f.q.List(f.ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	if !wrote {
		t.Fatal("the writes did not run")
	}
	if diff := cmp.Diff(l("r2", "r1"), f.labels(page.Resources)); diff != "" {
		t.Errorf("page while writing (-before the writes +got):\n%s", diff)
	}
	if page.Total != 2 {
		t.Errorf("Total %d while writing, want 2 as before the writes", page.Total)
	}
	if len(page.Resources) == 2 {
		if diff := cmp.Diff([]string{"t1"}, tagNames(page.Resources[0])); diff != "" {
			t.Errorf("tags of the resource deleted meanwhile (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"t1", "t2"}, tagNames(page.Resources[1])); diff != "" {
			t.Errorf("tags of the resource edited meanwhile (-want +got):\n%s", diff)
		}
	}
	// The next list sees the writes.
	if diff := cmp.Diff(l("fresh", "r1"), f.list(t, filter)); diff != "" {
		t.Errorf("page after the writes (-want +got):\n%s", diff)
	}
	if fresh == 0 {
		t.Error("no resource was created")
	}
}

func TestListInvalid(t *testing.T) { eachMode(t, testListInvalid) }

func testListInvalid(t *testing.T) {
	f := newFixture(t)
	many := func(n int, s string) []string { return slices.Repeat([]string{s}, n) }
	cases := []struct {
		name   string
		filter query.Filter
		want   string // in the message
	}{
		{"negative page", query.Filter{Page: -1}, "page -1"},
		{"negative MaxResults", query.Filter{MaxResults: -5}, "MaxResults -5"},
		{"negative MinWidth", query.Filter{MinWidth: -1}, "MinWidth -1"},
		{"negative MaxHeight", query.Filter{MaxHeight: -1}, "MaxHeight -1"},
		{"NUL in Name", query.Filter{Name: "a\x00b"}, "Name contains a NUL byte"},
		{"bad UTF-8 in Description", query.Filter{Description: "\xff"}, "Description is not valid UTF-8"},
		{"NUL in Hash", query.Filter{Hash: "\x00"}, "Hash contains a NUL byte"},
		{"page overflow", query.Filter{Page: 1 << 62, MaxResults: 1000}, "too large"},
		{"unknown operator", query.Filter{MetaQuery: []string{"a:XX:1"}}, `MetaQuery "a:XX:1": unknown operator "XX"`},
		{"no colon", query.Filter{MetaQuery: []string{"rating"}}, `MetaQuery "rating"`},
		{"bad key", query.Filter{MetaQuery: []string{"a b:1"}}, `key "a b"`},
		{"empty key name", query.Filter{MetaQuery: []string{"a..b:1"}}, "empty name"},
		{"GT bool", query.Filter{MetaQuery: []string{"a:GT:true"}}, "needs a number or a string"},
		{"unterminated quote", query.Filter{MetaQuery: []string{`a:EQ:"x`}}, "unterminated quote"},
		{"number out of range", query.Filter{MetaQuery: []string{"a:EQ:1e999"}}, "out of range"},
		{"bad term after good", query.Filter{MetaQuery: []string{"a:1", ":1"}}, "empty key"},
		{"too many MetaQuery", query.Filter{MetaQuery: many(query.MaxMetaQuery+1, "a:1")}, "at most"},
		{"unknown sort column", query.Filter{SortBy: []string{"owner_id"}}, `unknown column "owner_id"`},
		{"bad direction", query.Filter{SortBy: []string{"name sideways"}}, `direction "sideways"`},
		{"three words", query.Filter{SortBy: []string{"name asc please"}}, "want"},
		{"double-quoted meta", query.Filter{SortBy: []string{`meta->>"a"`}}, "unknown column"},
		{"unterminated meta", query.Filter{SortBy: []string{"meta->>'a"}}, "meta->>'key'"},
		{"bad meta key", query.Filter{SortBy: []string{"meta.a;drop"}}, "names may hold only"},
		{"empty sort", query.Filter{SortBy: []string{" "}}, "want"},
		{"too many SortBy", query.Filter{SortBy: many(query.MaxSortBy+1, "id")}, "at most"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.q.List(f.ctx, tc.filter)
			if !errors.Is(err, resources.ErrInvalid) {
				t.Fatalf("List: err = %v, want resources.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("List: err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestListEmptyLibrary(t *testing.T) { eachMode(t, testListEmptyLibrary) }

func testListEmptyLibrary(t *testing.T) {
	e := newEnv(t)
	page, err := e.q.List(e.ctx, query.Filter{MetaQuery: []string{"a:EQ:1"}, SortBy: []string{"meta.a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := query.Page{Resources: []*resources.Resource{}, Page: 1, PerPage: query.DefaultPerPage}
	if diff := cmp.Diff(want, page); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	keys, err := e.q.MetaKeys(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keys == nil || len(keys) != 0 {
		t.Errorf("MetaKeys = %#v, want an empty slice", keys)
	}
}

func TestMetaKeys(t *testing.T) { eachMode(t, testMetaKeys) }

func testMetaKeys(t *testing.T) {
	f := newFixture(t)
	got, err := f.q.MetaKeys(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a-b_c", "camera", "code", "discount", "public", "rating", "tags", "title"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MetaKeys (-want +got):\n%s", diff)
	}
}

// TestListSeesWrites checks that List reads committed writes (it goes
// through the reader pool).
func TestListSeesWrites(t *testing.T) { eachMode(t, testListSeesWrites) }

func testListSeesWrites(t *testing.T) {
	f := newFixture(t)
	if _, err := f.store.Edit(f.ctx, resources.EditInput{ID: f.r["r4"].ID, Tags: []int64{f.t3}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l("r4", "r3"), f.list(t, query.Filter{Tags: []int64{f.t3}})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := f.store.Delete(f.ctx, f.r["r3"].ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l("r4"), f.list(t, query.Filter{Tags: []int64{f.t3}})); diff != "" {
		t.Errorf("after delete (-want +got):\n%s", diff)
	}
}

// TestListShowWithSimilar lists the resources that have a similar image,
// as recorded in resource_similar.
func TestListShowWithSimilar(t *testing.T) { eachMode(t, testListShowWithSimilar) }

func testListShowWithSimilar(t *testing.T) {
	f := newFixture(t)
	if diff := cmp.Diff(l(), f.list(t, query.Filter{ShowWithSimilar: true})); diff != "" {
		t.Errorf("no pairs (-want +got):\n%s", diff)
	}
	for _, pair := range [][2]string{{"r1", "r3"}, {"r3", "r1"}, {"r3", "r4"}, {"r4", "r3"}} {
		_, err := f.db.Writer.ExecContext(f.ctx, `INSERT INTO resource_similar (resource_id, other_id, distance) VALUES (?, ?, 3)`,
			f.r[pair[0]].ID, f.r[pair[1]].ID)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		filter query.Filter
		want   []string
	}{
		{query.Filter{ShowWithSimilar: true}, l("r4", "r3", "r1")},
		{query.Filter{ShowWithSimilar: true, Tags: []int64{f.t2}}, l("r3", "r1")},
		{query.Filter{ShowWithSimilar: true, SortBy: []string{"id"}}, l("r1", "r3", "r4")},
	} {
		if diff := cmp.Diff(c.want, f.list(t, c.filter)); diff != "" {
			t.Errorf("List(%+v) (-want +got):\n%s", c.filter, diff)
		}
	}
}
