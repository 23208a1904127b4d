package resources

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
)

// AppendJSON must write exactly what encoding/json writes, or decline.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	texts := []string{"", "plain", `quote " and \ back`, "<b>&amp;</b>", "tab\tnew\nline\x01", "é ü 😀", "\u2028\u2029", "bad \xff utf8", "del \x7f"}
	metas := []Meta{nil, Meta(`{}`), Meta(`{"a":1,"b":"<x>"}`), Meta(`{"a": 1}`), Meta(`{"s":"\u2028"}`), Meta(`{"k":[1,2,{"z":null}]}`)}
	text := func() string { return texts[rng.IntN(len(texts))] }
	meta := func() Meta { return metas[rng.IntN(len(metas))] }
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 3600), time.FixedZone("", -(9*3600 + 30*60))}
	when := func() time.Time {
		return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
	}
	opt := func() *int64 {
		if rng.IntN(2) == 0 {
			return nil
		}
		n := rng.Int64N(1000)
		return &n
	}
	group := func() *Group {
		return &Group{ID: rng.Int64N(100), CreatedAt: when(), UpdatedAt: when(), Name: text(), Description: text(),
			URL: text(), Meta: meta(), OwnerID: opt(), CategoryID: opt()}
	}
	var all []*Resource
	for range 300 {
		var h blobstore.Hash
		for i := range h {
			h[i] = byte(rng.IntN(256))
		}
		r := &Resource{ID: rng.Int64N(1e6), CreatedAt: when(), UpdatedAt: when(), Name: text(), Description: text(),
			OriginalName: text(), OriginalLocation: text(), Hash: h, HashType: HashType, Location: h.Path(),
			Meta: meta(), Width: rng.IntN(5000), Height: rng.IntN(5000), FileSize: rng.Int64N(1e9),
			Category: text(), ContentType: "image/jpeg", ContentCategory: text(), CreatedBy: text(), UpdatedBy: text(),
			OwnerID: opt(), ResourceCategoryID: opt(), SeriesID: opt(), CurrentVersionID: opt()}
		if rng.IntN(2) == 0 {
			s := text()
			r.StorageLocation = &s
		}
		if rng.IntN(2) == 0 {
			r.Owner = group()
		}
		if rng.IntN(2) == 0 {
			r.ResourceCategory = &ResourceCategory{ID: 1, CreatedAt: when(), UpdatedAt: when(), Name: text(), Description: text(), MetaSchema: text()}
		}
		if rng.IntN(2) == 0 {
			r.Series = &Series{ID: 2, CreatedAt: when(), UpdatedAt: when(), Name: text(), Slug: text(), Meta: meta()}
		}
		for range rng.IntN(3) {
			r.Tags = append(r.Tags, &Tag{ID: rng.Int64N(100), CreatedAt: when(), UpdatedAt: when(), Name: text(), Description: text(), Meta: meta()})
			r.Groups = append(r.Groups, group())
			start := when()
			r.Notes = append(r.Notes, &Note{ID: 3, CreatedAt: when(), UpdatedAt: when(), Name: text(), Meta: meta(), OwnerID: opt(), StartDate: &start, NoteTypeID: opt()})
		}
		if rng.IntN(3) > 0 {
			r.Normalize()
		}
		all = append(all, r)
		check := func(v any, got []byte, ok bool) {
			t.Helper()
			if !ok {
				t.Fatalf("AppendJSON declined %+v", v)
			}
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendJSON wrote\n%s\nencoding/json writes\n%s", got, want)
			}
		}
		got, ok := r.AppendJSON(nil)
		check(r, got, ok)
	}
	got, ok := AppendJSON(nil, all)
	if want, _ := json.Marshal(all); !ok || !bytes.Equal(got, want) {
		t.Errorf("AppendJSON of a list differs from encoding/json (ok %v)", ok)
	}
	// Deeper relations than a resource loads are declined, not dropped.
	deep := &Resource{Owner: &Group{Owner: &Group{}}}
	if _, ok := deep.AppendJSON(nil); ok {
		t.Error("AppendJSON wrote an owner with an owner")
	}
}
