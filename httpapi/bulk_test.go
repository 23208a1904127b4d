package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
)

// dbRow is one row of a table, column name to value.
type dbRow map[string]any

// rows reads every row of every table, so that a refused call can be shown
// to have changed nothing at all. Rows are sorted by their text form.
func (e *testEnv) rows(tb testing.TB) map[string][]dbRow {
	tb.Helper()
	ctx := context.Background()
	// The library's text indexer moves filed resources into the search
	// tables on its own schedule; done here first, it has nothing left
	// to change between two snapshots.
	for {
		n, err := e.Lib.Store.IndexText(ctx, 0)
		if err != nil {
			tb.Fatalf("indexing filed text: %v", err)
		}
		if n == 0 {
			break
		}
	}
	db := e.Lib.Store.DB()
	var tables []string
	if err := dbtest.Tables(ctx, db, &tables); err != nil {
		tb.Fatalf("listing tables: %v", err)
	}
	out := make(map[string][]dbRow, len(tables))
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			tb.Fatalf("reading %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		var got []dbRow
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("scanning %s: %v", table, err)
			}
			r := dbRow{}
			for i, c := range cols {
				r[c] = vals[i]
			}
			got = append(got, r)
		}
		if err := rows.Close(); err != nil {
			tb.Fatal(err)
		}
		slices.SortFunc(got, func(a, b dbRow) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		out[table] = got
	}
	return out
}

// bulkEnv is a library with three resources, tags and groups.
type bulkEnv struct {
	*testEnv
	r1, r2, r3 int64
	tags       []int64 // a, b, c
	groups     []int64 // owner, trip
}

func newBulkEnv(t *testing.T) *bulkEnv {
	t.Helper()
	e := &bulkEnv{testEnv: newTestEnv(t)}
	for _, n := range []string{"a", "b", "c"} {
		e.tags = append(e.tags, e.createID(t, "/v1/tag", map[string]any{"Name": n}))
	}
	for _, n := range []string{"owner", "trip"} {
		e.groups = append(e.groups, e.createID(t, "/v1/group", map[string]any{"Name": n}))
	}
	e.r1 = e.uploadOK(t, filePart("resource", "1.txt", []byte("one\n")),
		fieldPart("Tags", itoa(e.tags[0])), fieldPart("OwnerId", itoa(e.groups[0])), fieldPart("Meta", `{"a":1,"b":{"c":1}}`))
	e.r2 = e.uploadOK(t, filePart("resource", "2.txt", []byte("two\n")))
	e.r3 = e.uploadOK(t, filePart("resource", "3.txt", []byte("three\n")), fieldPart("Tags", itoa(e.tags[2])))
	// The media worker's first step records its settings, whenever it
	// runs: run it now, so that it does not change the rows that a test
	// compares before and after a call.
	if err := e.Lib.Media.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBulkTagsAndGroups(t *testing.T) {
	e := newBulkEnv(t)
	ok := map[string]any{"ok": true}
	post := func(path string, body any) {
		t.Helper()
		got := do(t, "POST", e.URL+path, body).wantStatus(t, http.StatusOK).object(t)
		if diff := cmp.Diff(ok, got); diff != "" {
			t.Errorf("%s answer (-want +got):\n%s", path, diff)
		}
	}
	wantTags := func(id int64, want ...int64) {
		t.Helper()
		if want == nil {
			want = []int64{}
		}
		if diff := cmp.Diff(want, idsSorted(t, e.getResource(t, id)["Tags"])); diff != "" {
			t.Errorf("tags of %d (-want +got):\n%s", id, diff)
		}
	}
	a, b, c := e.tags[0], e.tags[1], e.tags[2]

	// JSON body.
	post("/v1/resources/addTags", map[string]any{"ID": []int64{e.r1, e.r2}, "EditedId": []int64{a, b}})
	wantTags(e.r1, a, b)
	wantTags(e.r2, a, b)
	wantTags(e.r3, c)

	// Form, names in another case.
	post("/v1/resources/removeTags", url.Values{"id": {itoa(e.r1), itoa(e.r3)}, "editedId": {itoa(a), itoa(c)}})
	wantTags(e.r1, b)
	wantTags(e.r2, a, b)
	wantTags(e.r3)

	// Query string, a comma-separated list.
	do(t, "POST", e.URL+"/v1/resources/replaceTags?ID="+itoa(e.r1)+","+itoa(e.r3)+"&EditedId="+itoa(c), nil).wantStatus(t, http.StatusOK)
	wantTags(e.r1, c)
	wantTags(e.r2, a, b)
	wantTags(e.r3, c)

	// An empty list replaces the tags with none.
	post("/v1/resources/replaceTags", map[string]any{"ID": []int64{e.r1}, "EditedId": []int64{}})
	wantTags(e.r1)
	wantTags(e.r3, c)

	post("/v1/resources/addGroups", map[string]any{"ID": []int64{e.r1, e.r2}, "EditedId": e.groups[1]})
	for _, id := range []int64{e.r1, e.r2} {
		if diff := cmp.Diff([]int64{e.groups[1]}, idsSorted(t, e.getResource(t, id)["Groups"])); diff != "" {
			t.Errorf("groups of %d (-want +got):\n%s", id, diff)
		}
	}
	if got := e.getResource(t, e.r1)["OwnerId"]; got != e.groups[0] {
		t.Errorf("owner of r1 = %v, want %d unchanged", got, e.groups[0])
	}
}

func TestBulkAddMeta(t *testing.T) {
	e := newBulkEnv(t)
	meta := func(id int64) any {
		t.Helper()
		return e.getResource(t, id)["Meta"]
	}
	r3Before := meta(e.r3)
	do(t, "POST", e.URL+"/v1/resources/addMeta", map[string]any{
		"ID":   []int64{e.r1, e.r2},
		"Meta": map[string]any{"a": nil, "b": map[string]any{"d": 2}, "e": "x"},
	}).wantStatus(t, http.StatusOK)
	if diff := cmp.Diff(map[string]any{"b": map[string]any{"c": int64(1), "d": int64(2)}, "e": "x"}, meta(e.r1)); diff != "" {
		t.Errorf("meta of r1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"b": map[string]any{"d": int64(2)}, "e": "x"}, meta(e.r2)); diff != "" {
		t.Errorf("meta of r2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(r3Before, meta(e.r3)); diff != "" {
		t.Errorf("meta of r3 changed (-want +got):\n%s", diff)
	}
	// Meta as a string holding JSON, in a form.
	do(t, "POST", e.URL+"/v1/resources/addMeta", url.Values{"ID": {itoa(e.r2)}, "Meta": {`{"e":null}`}}).wantStatus(t, http.StatusOK)
	if diff := cmp.Diff(map[string]any{"b": map[string]any{"d": int64(2)}}, meta(e.r2)); diff != "" {
		t.Errorf("meta of r2 after the form (-want +got):\n%s", diff)
	}
}

// TestBulkErrors checks that every refused bulk call answers the right
// status and changes no row and no file.
func TestBulkErrors(t *testing.T) {
	e := newBulkEnv(t)
	a := e.tags[0]
	r1, r2 := e.r1, e.r2
	tests := []struct {
		path      string
		body      any
		status    int
		fragments []string
	}{
		{"addTags", map[string]any{"EditedId": []int64{a}}, 400, []string{"ID"}},
		{"addTags", map[string]any{"ID": []int64{}, "EditedId": []int64{a}}, 400, []string{"ID"}},
		{"addTags", map[string]any{"ID": []int64{r1}}, 400, []string{"EditedId"}},
		{"addTags", map[string]any{"ID": []int64{r1}, "EditedId": []int64{}}, 400, []string{"EditedId"}},
		{"addTags", map[string]any{"ID": []any{"x"}, "EditedId": []int64{a}}, 400, []string{"ID"}},
		{"addTags", map[string]any{"ID": []int64{r1, 999}, "EditedId": []int64{a}}, 404, []string{"resource", "999"}},
		{"addTags", map[string]any{"ID": []int64{r1, r2}, "EditedId": []int64{a, 999}}, 404, []string{"tag", "999"}},
		{"removeTags", map[string]any{"ID": []int64{r1}, "EditedId": []int64{999}}, 404, []string{"tag", "999"}},
		{"removeTags", map[string]any{"ID": []int64{999}, "EditedId": []int64{a}}, 404, []string{"resource", "999"}},
		{"removeTags", map[string]any{"ID": []int64{r1}}, 400, []string{"EditedId"}},
		{"replaceTags", map[string]any{"ID": []int64{r1, r2}}, 400, []string{"EditedId"}},
		{"replaceTags", map[string]any{"ID": []int64{r1, r2}, "EditedId": []int64{999}}, 404, []string{"tag", "999"}},
		{"replaceTags", map[string]any{"ID": []int64{r1, 999}, "EditedId": []int64{}}, 404, []string{"resource", "999"}},
		{"addGroups", map[string]any{"ID": []int64{r1, r2}, "EditedId": []int64{e.groups[1], 999}}, 404, []string{"group", "999"}},
		{"addGroups", map[string]any{"ID": []int64{}, "EditedId": []int64{e.groups[1]}}, 400, []string{"ID"}},
		{"addGroups", map[string]any{"ID": []int64{r1}, "EditedId": []int64{}}, 400, []string{"EditedId"}},
		{"addMeta", map[string]any{"ID": []int64{r1}}, 400, []string{"Meta"}},
		{"addMeta", map[string]any{"ID": []int64{r1}, "Meta": "[1]"}, 400, []string{"Meta"}},
		{"addMeta", map[string]any{"ID": []int64{r1}, "Meta": 3}, 400, []string{"Meta"}},
		{"addMeta", map[string]any{"Meta": map[string]any{"k": 1}}, 400, []string{"ID"}},
		{"addMeta", map[string]any{"ID": []int64{r1, r2, 999}, "Meta": map[string]any{"a": nil}}, 404, []string{"resource", "999"}},
		{"delete", map[string]any{"ID": []int64{r1, 999}}, 404, []string{"999"}},
		{"delete", map[string]any{"ID": []int64{}}, 400, []string{"ID"}},
		{"merge", map[string]any{"Losers": []int64{r2}}, 400, []string{"Winner"}},
		{"merge", map[string]any{"Winner": r1}, 400, []string{"Losers"}},
		{"merge", map[string]any{"Winner": r1, "Losers": []int64{}}, 400, []string{"Losers"}},
		{"merge", map[string]any{"Winner": r1, "Losers": []int64{r2, r1}}, 400, []string{"winner"}},
		{"merge", map[string]any{"Winner": r1, "Losers": []int64{r2, 999}}, 404, []string{"resource", "999"}},
		{"merge", map[string]any{"Winner": 999, "Losers": []int64{r2}}, 404, []string{"resource", "999"}},
		{"merge", map[string]any{"Winner": "x", "Losers": []int64{r2}}, 400, []string{"Winner"}},
	}
	before, files := e.rows(t), e.state(t)
	for _, tt := range tests {
		body, _ := json.Marshal(tt.body)
		t.Run(tt.path+" "+string(body), func(t *testing.T) {
			do(t, "POST", e.URL+"/v1/resources/"+tt.path, tt.body).wantError(t, tt.status, tt.fragments...)
			if diff := cmp.Diff(before, e.rows(t)); diff != "" {
				t.Errorf("rows changed by a refused call (-before +after):\n%s", diff)
			}
			e.wantUnchanged(t, files)
		})
	}
	// Only POST.
	do(t, "GET", e.URL+"/v1/resources/addTags", nil).wantError(t, http.StatusMethodNotAllowed)
}

func TestMergeEndpoint(t *testing.T) {
	e := newBulkEnv(t)
	ctx := context.Background()
	store := e.Lib.Store
	// r2 gets a second version, r3 the meta the winner also has.
	up, err := store.Stage(ctx, bytes.NewReader([]byte("two, again\n")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.AppendVersion(ctx, e.r2, up.Content(), "second"); err != nil {
		t.Fatal(err)
	}
	store.Release(ctx, up)
	do(t, "POST", e.URL+"/v1/resources/addMeta", map[string]any{"ID": []int64{e.r3}, "Meta": map[string]any{"a": 3, "z": 3}}).wantStatus(t, http.StatusOK)
	do(t, "POST", e.URL+"/v1/resources/addGroups", map[string]any{"ID": []int64{e.r3}, "EditedId": e.groups[1]}).wantStatus(t, http.StatusOK)
	blobsBefore := e.blobs(t)
	winner := e.getResource(t, e.r1)

	// The losers as a form's comma-separated list.
	got := do(t, "POST", e.URL+"/v1/resources/merge", url.Values{"winner": {itoa(e.r1)}, "losers": {itoa(e.r3) + "," + itoa(e.r2)}}).
		wantStatus(t, http.StatusOK).object(t)
	if diff := cmp.Diff(map[string]any{"ok": true}, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	merged := e.getResource(t, e.r1)
	if diff := cmp.Diff([]int64{e.tags[0], e.tags[2]}, idsSorted(t, merged["Tags"])); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{e.groups[1]}, idsSorted(t, merged["Groups"])); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"a": int64(1), "b": map[string]any{"c": int64(1)}, "z": int64(3)}, merged["Meta"]); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	for _, k := range []string{"Hash", "currentVersionId", "OwnerId", "Name"} {
		if merged[k] != winner[k] {
			t.Errorf("%s = %v, want the winner's %v", k, merged[k], winner[k])
		}
	}
	for _, id := range []int64{e.r2, e.r3} {
		do(t, "GET", e.URL+"/v1/resource"+qs("id", itoa(id)), nil).wantError(t, http.StatusNotFound)
	}
	if diff := cmp.Diff([]int64{e.r1}, e.resourceIDs(t)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	vs, err := e.Lib.Versions.List(ctx, e.r1)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	var comments []string
	for _, v := range vs {
		numbers = append(numbers, v.VersionNumber)
		comments = append(comments, v.Comment)
	}
	if diff := cmp.Diff([]int{4, 3, 2, 1}, numbers); diff != "" {
		t.Errorf("version numbers, newest first (-want +got):\n%s", diff)
	}
	if comments[1] != "second" {
		t.Errorf("comments %q: want r2's second version as number 3", comments)
	}
	// Every blob is still referenced by a version of the winner.
	if diff := cmp.Diff(blobsBefore, e.blobs(t)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
}
