package resources_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/resources"
)

// insertResources writes n resources, each with its own blob and its
// version 1 as the current version, straight to the tables with multi-row
// INSERTs: Create is too slow for the thousands that bulk tests and
// benchmarks need. The names and contents are label plus the index.
func insertResources(tb testing.TB, s *resources.Store, n int, label string) []int64 {
	tb.Helper()
	ctx := context.Background()
	t := time.Now().UTC().Truncate(time.Microsecond)
	rs := make([]*resources.Resource, 0, n)
	for i := range n {
		name := fmt.Sprintf("%s %d", label, i)
		put, err := s.Blobs().Put(ctx, strings.NewReader(name))
		if err != nil {
			tb.Fatalf("Put: %v", err)
		}
		rs = append(rs, &resources.Resource{
			CreatedAt: t, UpdatedAt: t, Name: name,
			Hash: put.Hash, HashType: resources.HashType, Location: put.Hash.Path(),
			FileSize: put.Size, ContentType: "text/plain; charset=utf-8", Meta: resources.Meta(fmt.Sprintf(`{"i":%d}`, i)),
		})
	}
	const perInsert = 500
	err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for start := 0; start < n; start += perInsert {
			batch := rs[start:min(start+perInsert, n)]
			if _, err := tx.NewInsert().Model(&batch).Exec(ctx); err != nil {
				return err
			}
			vs := make([]*resources.Version, 0, len(batch))
			for _, r := range batch {
				vs = append(vs, &resources.Version{ResourceID: r.ID, VersionNumber: 1, Hash: r.Hash, HashType: r.HashType,
					FileSize: r.FileSize, ContentType: r.ContentType, Location: r.Location, CreatedAt: t})
			}
			if _, err := tx.NewInsert().Model(&vs).Exec(ctx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE resources SET current_version_id =
			(SELECT v.id FROM resource_versions v WHERE v.resource_id = resources.id AND v.version_number = 1)
			WHERE current_version_id IS NULL`)
		return err
	})
	if err != nil {
		tb.Fatalf("inserting %d resources: %v", n, err)
	}
	ids := make([]int64, n)
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// row is one row of a table, column name to value.
type row map[string]any

// snapshot reads every row of every table, so that a refused call can be
// shown to have changed nothing at all. Rows are sorted by their text form.
func snapshot(tb testing.TB, s *resources.Store) map[string][]row {
	tb.Helper()
	ctx := context.Background()
	db := s.DB()
	var tables []string
	if err := dbtest.Tables(ctx, db, &tables); err != nil {
		tb.Fatalf("listing tables: %v", err)
	}
	out := make(map[string][]row, len(tables))
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			tb.Fatalf("reading %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		var got []row
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("scanning %s: %v", table, err)
			}
			r := row{}
			for i, c := range cols {
				r[c] = vals[i]
			}
			got = append(got, r)
		}
		if err := rows.Close(); err != nil {
			tb.Fatal(err)
		}
		slices.SortFunc(got, func(a, b row) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		out[table] = got
	}
	return out
}

// wantSame fails the test if the database differs from before.
func wantSame(tb testing.TB, s *resources.Store, before map[string][]row) {
	tb.Helper()
	if diff := cmp.Diff(before, snapshot(tb, s)); diff != "" {
		tb.Errorf("rows changed by a refused call (-before +after):\n%s", diff)
	}
}

// tagIDsOf returns the sorted tag IDs of resource id, read from the join
// table.
func tagIDsOf(tb testing.TB, s *resources.Store, id int64) []int64 {
	tb.Helper()
	return linkedIDs(tb, s, `SELECT tag_id FROM resource_tags WHERE resource_id = ? ORDER BY tag_id`, id)
}

func groupIDsOf(tb testing.TB, s *resources.Store, id int64) []int64 {
	tb.Helper()
	return linkedIDs(tb, s, `SELECT group_id FROM groups_related_resources WHERE resource_id = ? ORDER BY group_id`, id)
}

func noteIDsOf(tb testing.TB, s *resources.Store, id int64) []int64 {
	tb.Helper()
	return linkedIDs(tb, s, `SELECT note_id FROM resource_notes WHERE resource_id = ? ORDER BY note_id`, id)
}

func linkedIDs(tb testing.TB, s *resources.Store, q string, id int64) []int64 {
	tb.Helper()
	out := []int64{}
	if err := s.DB().NewRaw(q, id).Scan(context.Background(), &out); err != nil && !errors.Is(err, sql.ErrNoRows) {
		tb.Fatal(err)
	}
	return out
}

// newTags saves tags with the given names and returns their IDs.
func newTags(tb testing.TB, s *resources.Store, names ...string) []int64 {
	tb.Helper()
	var ids []int64
	for _, n := range names {
		tag, err := s.SaveTag(context.Background(), resources.TagInput{Name: ptr(n)})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, tag.ID)
	}
	return ids
}

func newGroups(tb testing.TB, s *resources.Store, names ...string) []int64 {
	tb.Helper()
	var ids []int64
	for _, n := range names {
		g, err := s.SaveGroup(context.Background(), resources.GroupInput{Name: ptr(n)})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, g.ID)
	}
	return ids
}

func TestAddTags(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags := newTags(t, s, "a", "b", "c")
	r1 := mustCreate(t, s, []byte("1"), resources.CreateInput{Tags: []int64{tags[0]}})
	r2 := mustCreate(t, s, []byte("2"), resources.CreateInput{})
	r3 := mustCreate(t, s, []byte("3"), resources.CreateInput{Tags: []int64{tags[2]}})
	other := mustGet(t, s, r3.ID)

	if err := s.AddTags(ctx, []int64{r1.ID, r2.ID, r1.ID}, []int64{tags[0], tags[1], tags[1]}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	for _, id := range []int64{r1.ID, r2.ID} {
		if diff := cmp.Diff([]int64{tags[0], tags[1]}, tagIDsOf(t, s, id)); diff != "" {
			t.Errorf("tags of %d (-want +got):\n%s", id, diff)
		}
		if got := mustGet(t, s, id); !got.UpdatedAt.After(r1.UpdatedAt) {
			t.Errorf("UpdatedAt of %d = %v, want after %v", id, got.UpdatedAt, r1.UpdatedAt)
		}
	}
	if diff := cmp.Diff(other, mustGet(t, s, r3.ID)); diff != "" {
		t.Errorf("resource not named changed (-want +got):\n%s", diff)
	}
	// Adding again is harmless.
	if err := s.AddTags(ctx, []int64{r1.ID}, []int64{tags[0]}); err != nil {
		t.Fatalf("AddTags again: %v", err)
	}
	if diff := cmp.Diff([]int64{tags[0], tags[1]}, tagIDsOf(t, s, r1.ID)); diff != "" {
		t.Errorf("tags of r1 after adding again (-want +got):\n%s", diff)
	}
}

func TestRemoveTags(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags := newTags(t, s, "a", "b", "c")
	r1 := mustCreate(t, s, []byte("1"), resources.CreateInput{Tags: tags})
	r2 := mustCreate(t, s, []byte("2"), resources.CreateInput{Tags: tags[1:]})
	r3 := mustCreate(t, s, []byte("3"), resources.CreateInput{Tags: tags})

	// r2 lacks tag a: not an error.
	if err := s.RemoveTags(ctx, []int64{r1.ID, r2.ID}, []int64{tags[0], tags[1]}); err != nil {
		t.Fatalf("RemoveTags: %v", err)
	}
	for _, tt := range []struct {
		id   int64
		want []int64
	}{{r1.ID, tags[2:]}, {r2.ID, tags[2:]}, {r3.ID, tags}} {
		if diff := cmp.Diff(tt.want, tagIDsOf(t, s, tt.id)); diff != "" {
			t.Errorf("tags of %d (-want +got):\n%s", tt.id, diff)
		}
	}
}

func TestReplaceTags(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags := newTags(t, s, "a", "b", "c")
	r1 := mustCreate(t, s, []byte("1"), resources.CreateInput{Tags: tags[:2]})
	r2 := mustCreate(t, s, []byte("2"), resources.CreateInput{})
	r3 := mustCreate(t, s, []byte("3"), resources.CreateInput{Tags: tags[:1]})

	if err := s.ReplaceTags(ctx, []int64{r1.ID, r2.ID}, []int64{tags[1], tags[2]}); err != nil {
		t.Fatalf("ReplaceTags: %v", err)
	}
	for _, id := range []int64{r1.ID, r2.ID} {
		if diff := cmp.Diff(tags[1:], tagIDsOf(t, s, id)); diff != "" {
			t.Errorf("tags of %d (-want +got):\n%s", id, diff)
		}
	}
	if diff := cmp.Diff(tags[:1], tagIDsOf(t, s, r3.ID)); diff != "" {
		t.Errorf("tags of r3 (-want +got):\n%s", diff)
	}
	// Nothing to replace with clears the tags.
	if err := s.ReplaceTags(ctx, []int64{r1.ID, r3.ID}, nil); err != nil {
		t.Fatalf("ReplaceTags with none: %v", err)
	}
	for _, id := range []int64{r1.ID, r3.ID} {
		if diff := cmp.Diff([]int64{}, tagIDsOf(t, s, id)); diff != "" {
			t.Errorf("tags of %d after clearing (-want +got):\n%s", id, diff)
		}
	}
	if diff := cmp.Diff(tags[1:], tagIDsOf(t, s, r2.ID)); diff != "" {
		t.Errorf("tags of r2 (-want +got):\n%s", diff)
	}
}

func TestAddGroups(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	groups := newGroups(t, s, "owner", "trip", "album")
	r1 := mustCreate(t, s, []byte("1"), resources.CreateInput{OwnerID: &groups[0], Groups: groups[1:2]})
	r2 := mustCreate(t, s, []byte("2"), resources.CreateInput{})

	if err := s.AddGroups(ctx, []int64{r1.ID, r2.ID}, groups[1:]); err != nil {
		t.Fatalf("AddGroups: %v", err)
	}
	for _, id := range []int64{r1.ID, r2.ID} {
		if diff := cmp.Diff(groups[1:], groupIDsOf(t, s, id)); diff != "" {
			t.Errorf("groups of %d (-want +got):\n%s", id, diff)
		}
	}
	if got := mustGet(t, s, r1.ID).OwnerID; got == nil || *got != groups[0] {
		t.Errorf("owner of r1 = %v, want %d unchanged", got, groups[0])
	}
}

func TestAddMeta(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	r1 := mustCreate(t, s, []byte("1"), resources.CreateInput{Meta: resources.Meta(`{"keep":1,"gone":true,"obj":{"x":1,"y":{"deep":1}},"arr":[1,2],"n":1}`)})
	r2 := mustCreate(t, s, []byte("2"), resources.CreateInput{})
	r3 := mustCreate(t, s, []byte("3"), resources.CreateInput{Meta: resources.Meta(`{"untouched":true}`)})

	patch := resources.Meta(`{"gone":null,"obj":{"y":{"deep":null,"new":"v"},"z":"<&>"},"arr":[3],"n":"one","absent":null,"added":{"a":null,"b":1}}`)
	if err := s.AddMeta(ctx, []int64{r1.ID, r2.ID}, patch); err != nil {
		t.Fatalf("AddMeta: %v", err)
	}
	tests := []struct {
		id   int64
		want string
	}{
		{r1.ID, `{"keep":1,"obj":{"x":1,"y":{"new":"v"},"z":"<&>"},"arr":[3],"n":"one","added":{"b":1}}`},
		{r2.ID, `{"obj":{"y":{"new":"v"},"z":"<&>"},"arr":[3],"n":"one","added":{"b":1}}`},
		{r3.ID, `{"untouched":true}`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, string(mustGet(t, s, tt.id).Meta), jsonEqual); diff != "" {
			t.Errorf("meta of %d (-want +got):\n%s", tt.id, diff)
		}
	}
	wantErr(t, s.AddMeta(ctx, []int64{r1.ID}, resources.Meta(`[1]`)), resources.ErrInvalid)
	wantErr(t, s.AddMeta(ctx, []int64{r1.ID}, nil), resources.ErrInvalid)
}

// jsonEqual compares strings holding JSON by their value.
var jsonEqual = cmp.Comparer(func(a, b string) bool {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		return a == b
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return false
	}
	return cmp.Equal(x, y)
})

// TestEditManyOrder checks the order in which the parts of one BulkInput
// apply: replace, remove, add, then groups and meta.
func TestEditManyOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags := newTags(t, s, "a", "b", "c", "d")
	groups := newGroups(t, s, "g")
	r := mustCreate(t, s, []byte("1"), resources.CreateInput{Tags: tags[:1]})
	err := s.EditMany(ctx, []int64{r.ID}, resources.BulkInput{
		ReplaceTags: []int64{tags[1], tags[2]},
		RemoveTags:  []int64{tags[2], tags[3]},
		AddTags:     []int64{tags[3]},
		AddGroups:   groups,
		AddMeta:     resources.Meta(`{"k":"v"}`),
	})
	if err != nil {
		t.Fatalf("EditMany: %v", err)
	}
	if diff := cmp.Diff([]int64{tags[1], tags[3]}, tagIDsOf(t, s, r.ID)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(groups, groupIDsOf(t, s, r.ID)); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if got := string(mustGet(t, s, r.ID).Meta); got != `{"k":"v"}` {
		t.Errorf("meta = %s", got)
	}
	wantErr(t, s.EditMany(ctx, []int64{r.ID}, resources.BulkInput{}), resources.ErrInvalid)
}

// TestBulkFailureChangesNothing checks every refused bulk call: the error,
// and every row of every table as it was.
func TestBulkFailureChangesNothing(t *testing.T) {
	const unknown = 9999
	type env struct {
		r1, r2, r3 int64
		tags       []int64
		groups     []int64
	}
	tests := []struct {
		name       string
		call       func(ctx context.Context, s *resources.Store, e env) error
		wantErr    error
		wantEntity string // for ErrNotFound: the entity named, with ID unknown
	}{
		{"addTags unknown resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddTags(ctx, []int64{e.r1, e.r2, unknown}, e.tags)
		}, resources.ErrNotFound, "resource"},
		{"addTags unknown tag", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddTags(ctx, []int64{e.r1, e.r2}, []int64{e.tags[1], unknown})
		}, resources.ErrNotFound, "tag"},
		{"addTags no resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddTags(ctx, nil, e.tags)
		}, resources.ErrInvalid, ""},
		{"addTags no tag", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddTags(ctx, []int64{e.r1}, []int64{})
		}, resources.ErrInvalid, ""},
		{"removeTags unknown resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.RemoveTags(ctx, []int64{unknown, e.r1}, e.tags)
		}, resources.ErrNotFound, "resource"},
		{"removeTags unknown tag", func(ctx context.Context, s *resources.Store, e env) error {
			return s.RemoveTags(ctx, []int64{e.r1, e.r2, e.r3}, []int64{e.tags[0], unknown})
		}, resources.ErrNotFound, "tag"},
		{"removeTags no tag", func(ctx context.Context, s *resources.Store, e env) error {
			return s.RemoveTags(ctx, []int64{e.r1}, nil)
		}, resources.ErrInvalid, ""},
		{"replaceTags unknown resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.ReplaceTags(ctx, []int64{e.r1, e.r2, e.r3, unknown}, e.tags[:1])
		}, resources.ErrNotFound, "resource"},
		{"replaceTags unknown tag", func(ctx context.Context, s *resources.Store, e env) error {
			return s.ReplaceTags(ctx, []int64{e.r1, e.r2}, []int64{unknown})
		}, resources.ErrNotFound, "tag"},
		{"replaceTags no resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.ReplaceTags(ctx, []int64{}, e.tags)
		}, resources.ErrInvalid, ""},
		{"addGroups unknown resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddGroups(ctx, []int64{e.r1, unknown}, e.groups)
		}, resources.ErrNotFound, "resource"},
		{"addGroups unknown group", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddGroups(ctx, []int64{e.r1, e.r2}, []int64{e.groups[0], unknown})
		}, resources.ErrNotFound, "group"},
		{"addGroups no group", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddGroups(ctx, []int64{e.r1}, nil)
		}, resources.ErrInvalid, ""},
		{"addMeta unknown resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddMeta(ctx, []int64{e.r1, e.r2, unknown}, resources.Meta(`{"k":null,"x":1}`))
		}, resources.ErrNotFound, "resource"},
		{"addMeta not an object", func(ctx context.Context, s *resources.Store, e env) error {
			return s.AddMeta(ctx, []int64{e.r1}, resources.Meta(`"x"`))
		}, resources.ErrInvalid, ""},
		{"editMany unknown tag after valid parts", func(ctx context.Context, s *resources.Store, e env) error {
			return s.EditMany(ctx, []int64{e.r1, e.r2, e.r3}, resources.BulkInput{
				ReplaceTags: e.tags[:1], AddGroups: e.groups, AddMeta: resources.Meta(`{"x":1}`), AddTags: []int64{unknown}})
		}, resources.ErrNotFound, "tag"},
		{"delete unknown resource", func(ctx context.Context, s *resources.Store, e env) error {
			return s.DeleteMany(ctx, []int64{e.r1, e.r2, e.r3, unknown})
		}, resources.ErrNotFound, "resource"},
		{"merge unknown loser", func(ctx context.Context, s *resources.Store, e env) error {
			return s.Merge(ctx, e.r1, []int64{e.r2, e.r3, unknown})
		}, resources.ErrNotFound, "resource"},
		{"merge unknown winner", func(ctx context.Context, s *resources.Store, e env) error {
			return s.Merge(ctx, unknown, []int64{e.r2, e.r3})
		}, resources.ErrNotFound, "resource"},
		{"merge winner among losers", func(ctx context.Context, s *resources.Store, e env) error {
			return s.Merge(ctx, e.r1, []int64{e.r2, e.r1})
		}, resources.ErrInvalid, ""},
		{"merge no loser", func(ctx context.Context, s *resources.Store, e env) error {
			return s.Merge(ctx, e.r1, nil)
		}, resources.ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, bs := newTestStore(t)
			var e env
			e.tags = newTags(t, s, "a", "b")
			e.groups = newGroups(t, s, "g", "h")
			e.r1 = mustCreate(t, s, []byte("1"), resources.CreateInput{Tags: e.tags[:1], Groups: e.groups[:1], OwnerID: &e.groups[1], Meta: resources.Meta(`{"k":1}`)}).ID
			e.r2 = mustCreate(t, s, []byte("2"), resources.CreateInput{Tags: e.tags, Meta: resources.Meta(`{"x":{"y":2}}`)}).ID
			e.r3 = mustCreate(t, s, []byte("3"), resources.CreateInput{}).ID
			before := snapshot(t, s)
			blobs := storedBlobs(t, bs)
			err := tt.call(ctx, s, e)
			if tt.wantEntity != "" {
				wantNotFound(t, err, tt.wantEntity, unknown)
			} else {
				wantErr(t, err, tt.wantErr)
			}
			wantSame(t, s, before)
			if diff := cmp.Diff(blobs, storedBlobs(t, bs)); diff != "" {
				t.Errorf("blobs changed by a refused call (-before +after):\n%s", diff)
			}
		})
	}
}

func TestEditAll(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags := newTags(t, s, "a")
	ids := insertResources(t, s, 5, "r")

	// Every even resource, as a query would yield them, one of them twice.
	evens := func(yield func(int64, error) bool) {
		for i, id := range append(ids, ids[0]) {
			if i%2 == 0 && !yield(id, nil) {
				return
			}
		}
	}
	if err := s.EditAll(ctx, evens, resources.BulkInput{AddTags: tags}); err != nil {
		t.Fatalf("EditAll: %v", err)
	}
	for i, id := range ids {
		want := []int64{}
		if i%2 == 0 {
			want = tags
		}
		if diff := cmp.Diff(want, tagIDsOf(t, s, id)); diff != "" {
			t.Errorf("tags of resource %d (-want +got):\n%s", i, diff)
		}
	}

	// An iterator that fails part way changes nothing.
	before := snapshot(t, s)
	errQuery := errors.New("query failed")
	failing := func(yield func(int64, error) bool) {
		if yield(ids[1], nil) {
			yield(0, errQuery)
		}
	}
	wantErr(t, s.EditAll(ctx, failing, resources.BulkInput{AddTags: tags}), errQuery)
	wantErr(t, s.DeleteAll(ctx, failing), errQuery)
	wantSame(t, s, before)
	wantErr(t, s.EditAll(ctx, seq2(), resources.BulkInput{AddTags: tags}), resources.ErrInvalid)
}

// seq2 yields ids without errors.
func seq2(ids ...int64) iter.Seq2[int64, error] {
	return func(yield func(int64, error) bool) {
		for _, id := range ids {
			if !yield(id, nil) {
				return
			}
		}
	}
}

func TestDeleteAll(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	ids := insertResources(t, s, 3, "r")
	if err := s.DeleteAll(ctx, seq2(ids[0], ids[2], ids[0])); err != nil {
		t.Fatalf("DeleteAll: %v", err)
	}
	var left []int64
	if err := s.DB().NewRaw(`SELECT id FROM resources`).Scan(ctx, &left); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{ids[1]}, left); diff != "" {
		t.Errorf("resources left (-want +got):\n%s", diff)
	}
	if n := len(storedBlobs(t, bs)); n != 1 {
		t.Errorf("%d blobs left, want 1", n)
	}
}

// statementCounter counts the statements a bun.DB runs, BEGIN and COMMIT
// included.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (c *statementCounter) AfterQuery(context.Context, *bun.QueryEvent) { c.n.Add(1) }

// countStatements adds a statementCounter to the store's databases. Call it
// before the store is used concurrently.
func countStatements(s *resources.Store) *statementCounter {
	c := &statementCounter{}
	s.DB().AddQueryHook(c)
	if s.ReadDB() != s.DB() {
		s.ReadDB().AddQueryHook(c)
	}
	return c
}

// TestBulkLarge runs every bulk operation on more resources than fit in one
// chunk, and checks that the statements they issue grow with the number of
// chunks, not of resources.
func TestBulkLarge(t *testing.T) {
	const n = 1000
	// A bound well below one statement per resource: a few per chunk of a
	// few hundred.
	const maxStatements = 40
	ctx := context.Background()
	s, bs := newTestStore(t)
	count := countStatements(s)
	tags := newTags(t, s, "a", "b", "c")
	groups := newGroups(t, s, "g")
	ids := insertResources(t, s, n, "r")
	run := func(name string, f func() error) {
		t.Helper()
		start := count.n.Load()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := count.n.Load() - start; got > maxStatements {
			t.Errorf("%s on %d resources ran %d statements, want at most %d", name, n, got, maxStatements)
		}
	}
	run("AddTags", func() error { return s.AddTags(ctx, ids, tags) })
	if got := countRows(t, s, "resource_tags", ""); got != 3*n {
		t.Errorf("%d tag links, want %d", got, 3*n)
	}
	run("RemoveTags", func() error { return s.RemoveTags(ctx, ids[:n/2], tags[:1]) })
	if got := countRows(t, s, "resource_tags", ""); got != 3*n-n/2 {
		t.Errorf("%d tag links, want %d", got, 3*n-n/2)
	}
	run("ReplaceTags", func() error { return s.ReplaceTags(ctx, ids, tags[2:]) })
	if got := countRows(t, s, "resource_tags", "tag_id = ?", tags[2]); got != n {
		t.Errorf("%d links of the replacing tag, want %d", got, n)
	}
	if got := countRows(t, s, "resource_tags", ""); got != n {
		t.Errorf("%d tag links, want %d", got, n)
	}
	run("AddGroups", func() error { return s.AddGroups(ctx, ids, groups) })
	if got := countRows(t, s, "groups_related_resources", ""); got != n {
		t.Errorf("%d group links, want %d", got, n)
	}
	run("AddMeta", func() error { return s.AddMeta(ctx, ids, resources.Meta(`{"i":null,"all":true}`)) })
	// Read back as Meta: PostgreSQL's merge writes jsonb's spaced text.
	var metas []resources.Meta
	if err := s.DB().NewRaw(`SELECT meta FROM resources`).Scan(ctx, &metas); err != nil {
		t.Fatal(err)
	}
	if got := len(slices.DeleteFunc(metas, func(m resources.Meta) bool { return string(m) != `{"all":true}` })); got != n {
		t.Errorf("%d resources with the patched meta, want %d", got, n)
	}
	run("Merge", func() error { return s.Merge(ctx, ids[0], ids[1:n/2]) })
	if got := countRows(t, s, "resource_versions", "resource_id = ?", ids[0]); got != n/2 {
		t.Errorf("the winner has %d versions, want %d", got, n/2)
	}
	run("DeleteMany", func() error { return s.DeleteMany(ctx, ids[n/2:]) })
	if got := countRows(t, s, "resources", ""); got != 1 {
		t.Errorf("%d resources left, want 1", got)
	}
	if got := len(storedBlobs(t, bs)); got != n/2 {
		t.Errorf("%d blobs left, want %d (the winner's versions')", got, n/2)
	}
}
