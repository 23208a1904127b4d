package resources_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/resources"
)

// refusingQuerier fails every statement: a read through it succeeds only
// when nothing had to be read.
type refusingQuerier struct{}

func (refusingQuerier) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, errors.New("refusingQuerier: read")
}

// TestReadManyJSON: the JSON of a page is what ReadMany and AppendJSON
// give; read again in the same state it comes from the cache without a
// statement, and after any write, even one the Store did not make (a tag
// renamed by raw SQL, as another process would), it is read afresh.
func TestReadManyJSON(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the stamps of SQLite's WAL index")
	ctx := context.Background()
	s, _ := newTestStore(t)
	ids := insertResources(t, s, 5, "photo")
	tags := newTags(t, s, "harbour")
	if err := s.AddTags(ctx, ids[:2], tags); err != nil {
		t.Fatal(err)
	}
	page := []int64{ids[3], ids[0], ids[1]}
	stamp := func() string {
		t.Helper()
		st, ok := s.Stamp()
		if !ok {
			t.Fatal("no stamp")
		}
		return st
	}
	want := func() string {
		t.Helper()
		rs, err := s.ReadMany(ctx, nil, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			r.Normalize()
		}
		b, ok := resources.AppendJSON(nil, rs)
		if !ok {
			t.Fatal("AppendJSON declined")
		}
		return string(b)
	}
	check := func(what string, in resources.Querier, st string) {
		t.Helper()
		got, ok, err := s.ReadManyJSON(ctx, in, page, st)
		if err != nil || !ok {
			t.Fatalf("%s: ReadManyJSON: %v, %v", what, ok, err)
		}
		if diff := cmp.Diff(want(), string(got)); diff != "" {
			t.Errorf("%s: JSON (-ReadMany +ReadManyJSON):\n%s", what, diff)
		}
	}

	st := stamp()
	// As ReadMany, an ID not in the library is left out, and one given
	// twice written once.
	page = []int64{ids[3], 999999, ids[0], ids[3], ids[1]}
	check("an ID not in the library, one twice", nil, st)
	page = []int64{ids[3], ids[0], ids[1]}
	check("first read", nil, st)
	check("same state, nothing read", refusingQuerier{}, st)
	if _, _, err := s.ReadManyJSON(ctx, refusingQuerier{}, page, ""); err == nil {
		t.Error("without a stamp: nothing read, and no error")
	}

	if _, err := s.DB().ExecContext(ctx, "UPDATE tags SET name = 'quay' WHERE id = ?", tags[0]); err != nil {
		t.Fatal(err)
	}
	st2 := stamp()
	if st2 == st {
		t.Fatal("a commit left the stamp as it was")
	}
	if _, _, err := s.ReadManyJSON(ctx, refusingQuerier{}, page, st2); err == nil {
		t.Error("after a write: the cache served the state before it")
	}
	check("after the tag's rename", nil, st2)
	check("after the tag's rename, nothing read", refusingQuerier{}, st2)

	// A read of the older state still gets it right: its entries are gone,
	// so it reads (and keeps what it read for its own state only).
	if _, _, err := s.ReadManyJSON(ctx, refusingQuerier{}, page, st); err == nil {
		t.Error("the older state served from the cache of the newer one")
	}
}
