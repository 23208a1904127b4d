package query_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// TestListSubstringSearch checks that Name, Description, OriginalName and
// OriginalLocation keep the semantics of LIKE (a substring, ASCII letters in any case, % and _
// literal) whether the term is short enough for LIKE alone or served by the
// trigram index, whose case folding is Unicode-wide.
func TestListSubstringSearch(t *testing.T) { eachMode(t, testListSubstringSearch) }

func testListSubstringSearch(t *testing.T) {
	e := newEnv(t)
	label := map[int64]string{}
	for i, name := range []string{
		"ab",
		"Abc",
		"xABCy",
		"100%_done",
		"100 percent",
		"a_b%c",
		"Straße",
		"STRAẞE",         // capital sharp s: LIKE does not fold it, FTS5 does
		"\u212Aelvin",    // KELVIN SIGN, which Unicode folds to k
		"Kelvin",         // plain K
		"caf\u00e9 noir", // é
		"CAF\u00c9 NOIR", // É
		`say "hi"`,
	} {
		r := e.create(t, text(name, 100+i), resources.CreateInput{Name: name, Description: "- " + name,
			OriginalName: name, OriginalLocation: "- " + name}, day("2024-01-01").AddDate(0, 0, i))
		label[r.ID] = name
	}
	other := query.New(e.store)
	query.Generic(other)
	cases := []struct {
		term string
		want []string // newest first
	}{
		{"a", []string{`say "hi"`, "CAFÉ NOIR", "café noir", "STRAẞE", "Straße", "a_b%c", "xABCy", "Abc", "ab"}},
		{"A", []string{`say "hi"`, "CAFÉ NOIR", "café noir", "STRAẞE", "Straße", "a_b%c", "xABCy", "Abc", "ab"}},
		{"ab", []string{"xABCy", "Abc", "ab"}},
		{"aB", []string{"xABCy", "Abc", "ab"}},
		{"abc", []string{"xABCy", "Abc"}},
		{"ABC", []string{"xABCy", "Abc"}},
		{"bcy", []string{"xABCy"}},
		{"xabcy", []string{"xABCy"}},
		{"abcd", nil},
		{"%", []string{"a_b%c", "100%_done"}},
		{"_", []string{"a_b%c", "100%_done"}},
		{"%_", []string{"100%_done"}},
		{"0%_d", []string{"100%_done"}},
		{"b%c", []string{"a_b%c"}},
		{"_b%", []string{"a_b%c"}},
		{"0%", []string{"100%_done"}},
		{"0 p", []string{"100 percent"}},
		{"%%%", nil},
		{"___", nil},
		{"straße", []string{"Straße"}},
		{"STRASSE", nil},
		{"STRAẞE", []string{"STRAẞE"}},
		{"raẞ", []string{"STRAẞE"}},
		{"raß", []string{"Straße"}},
		{"kel", []string{"Kelvin"}},
		{"KELVIN", []string{"Kelvin"}},
		{"\u212Ael", []string{"\u212Aelvin"}},
		{"café", []string{"café noir"}},
		{"CAFÉ", []string{"CAFÉ NOIR"}},
		{"fé n", []string{"café noir"}},
		{"é", []string{"café noir"}},
		{`"hi"`, []string{`say "hi"`}},
		{`y "`, []string{`say "hi"`}},
		{`"`, []string{`say "hi"`}},
	}
	for _, tc := range cases {
		for _, field := range []string{"Name", "Description", "OriginalName", "OriginalLocation"} {
			t.Run(field+" "+tc.term, func(t *testing.T) {
				f := map[string]query.Filter{
					"Name":             {Name: tc.term},
					"Description":      {Description: tc.term},
					"OriginalName":     {OriginalName: tc.term},
					"OriginalLocation": {OriginalLocation: tc.term},
				}[field]
				var got, ref []string
				for _, q := range []*query.Query{e.q, other} {
					page, err := q.List(e.ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					var names []string
					for _, r := range page.Resources {
						names = append(names, label[r.ID])
					}
					if page.Total != len(names) || page.TotalCapped {
						t.Errorf("Total %d (capped %v) for %d resources", page.Total, page.TotalCapped, len(names))
					}
					if got == nil {
						got = names
					} else {
						ref = names
					}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s %q (-want +got):\n%s", field, tc.term, diff)
				}
				if diff := cmp.Diff(ref, got); diff != "" {
					t.Errorf("%s %q differs from LIKE alone (-LIKE +got):\n%s", field, tc.term, diff)
				}
			})
		}
	}
}

// validMeta is the meta of resources AS r2, or {} when it is not a JSON
// object.
const validMeta = `CASE WHEN json_valid(r2.meta) AND json_type(r2.meta) = 'object' THEN r2.meta ELSE '{}' END`

// metaLabel is the condition that the JSON label k can be part of a
// MetaQuery key.
func metaLabel(k string) string {
	return "(" + k + " GLOB '[A-Za-z0-9_-]*' AND " + k + " NOT GLOB '*[^A-Za-z0-9_-]*')"
}

// checkSearchTables verifies that every table the schema derives for
// searching holds exactly what the core tables imply.
func checkSearchTables(t *testing.T, e *env) {
	t.Helper()
	const filed = `SELECT p.id FROM resources_text_pending AS p JOIN resources AS r ON r.id = p.id`
	for _, c := range []struct{ what, a, b string }{
		{"resource_tag_order",
			`SELECT tag_id, created_at, resource_id FROM resource_tag_order`,
			`SELECT rt.tag_id, r.created_at, r.id FROM resource_tags AS rt JOIN resources AS r ON r.id = rt.resource_id`},
		{"resource_meta",
			`SELECT resource_id, key, kind, quote(value), created_at FROM resource_meta`,
			// The values at depth one and two, computed from the meta text
			// with json_extract, which resource_meta must agree with.
			`SELECT r.id, p.key, CASE json_type(r.meta, p.path) WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'text' THEN 't'
				WHEN 'true' THEN 'b' WHEN 'false' THEN 'b' WHEN 'null' THEN 'z' WHEN 'object' THEN 'o' ELSE 'a' END,
				quote(CASE WHEN json_type(r.meta, p.path) IN ('object', 'array') THEN NULL ELSE json_extract(r.meta, p.path) END),
				r.created_at
			FROM resources AS r, (
				SELECT r2.id AS id, a.key AS key, '$."' || a.key || '"' AS path
				FROM resources AS r2, json_each(` + validMeta + `) AS a
				WHERE ` + metaLabel("a.key") + `
				UNION
				SELECT r2.id, a.key || '.' || b.key, '$."' || a.key || '"."' || b.key || '"'
				FROM resources AS r2, json_each(` + validMeta + `) AS a, json_each(r2.meta -> ('$."' || a.key || '"')) AS b
				WHERE a.type = 'object' AND b.key IS NOT NULL AND ` + metaLabel("a.key") + ` AND ` + metaLabel("b.key") + `
			) AS p
			WHERE p.id = r.id AND json_type(r.meta, p.path) IS NOT NULL`},
		{"resource_days",
			`SELECT day, n FROM resource_days`,
			`SELECT CASE typeof(created_at) WHEN 'text' THEN substr(created_at, 1, 10) ELSE '' END, count(*) FROM resources GROUP BY 1`},
		// A resource is in the full-text tables or filed for the
		// indexer, never both (see the check below).
		{"resources_name_fts",
			`SELECT rowid FROM resources_name_fts UNION ALL SELECT id FROM resources_text_pending`,
			`SELECT id FROM resources`},
		{"resources_description_fts",
			`SELECT rowid FROM resources_description_fts UNION ALL ` + filed + ` WHERE r.description <> ''`,
			`SELECT id FROM resources WHERE description <> ''`},
		{"resources_original_name_fts",
			`SELECT rowid FROM resources_original_name_fts UNION ALL ` + filed + ` WHERE r.original_name <> ''`,
			`SELECT id FROM resources WHERE original_name <> ''`},
		{"resources_original_location_fts",
			`SELECT rowid FROM resources_original_location_fts UNION ALL ` + filed + ` WHERE r.original_location <> ''`,
			`SELECT id FROM resources WHERE original_location <> ''`},
		{"resources_text_pending: filed and indexed",
			`SELECT id FROM resources_text_pending INTERSECT SELECT rowid FROM (
				SELECT rowid FROM resources_name_fts UNION ALL SELECT rowid FROM resources_description_fts
				UNION ALL SELECT rowid FROM resources_original_name_fts UNION ALL SELECT rowid FROM resources_original_location_fts)`,
			`SELECT 1 WHERE 0`},
		{"resources_text_pending: filed and gone",
			`SELECT id FROM resources_text_pending EXCEPT SELECT id FROM resources`,
			`SELECT 1 WHERE 0`},
	} {
		for _, diff := range []struct{ name, sql string }{
			{"missing", "SELECT * FROM (" + c.b + ") EXCEPT SELECT * FROM (" + c.a + ")"},
			{"extra", "SELECT * FROM (" + c.a + ") EXCEPT SELECT * FROM (" + c.b + ")"},
		} {
			rows, err := e.db.Reader.QueryContext(e.ctx, diff.sql)
			if err != nil {
				t.Fatalf("%s: %v", c.what, err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				t.Errorf("%s: %s row %v", c.what, diff.name, vals)
			}
			rows.Close()
		}
	}
}

// TestSearchTablesInSync edits resources every way the Store and raw SQL
// can, and checks after each step that the tables derived by triggers are
// right and that lists see the changes.
func TestSearchTablesInSync(t *testing.T) {
	dbtest.SkipOnPostgres(t, "checks the side tables of the SQLite schema")
	eachMode(t, func(t *testing.T) {
		// The edits find the resources filed for the text indexer, or
		// indexed after each step.
		t.Run("filed", func(t *testing.T) { testSearchTablesInSync(t, false) })
		t.Run("indexed", func(t *testing.T) { testSearchTablesInSync(t, true) })
	})
}

func testSearchTablesInSync(t *testing.T, indexEach bool) {
	f := newFixture(t)
	checkSearchTables(t, f.env)
	// index runs the text indexer and checks that it left nothing filed.
	index := func(t *testing.T) {
		t.Helper()
		for { // in batches of two, several when more are filed
			n, err := f.store.IndexText(f.ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		var filed int
		if err := f.db.Reader.QueryRowContext(f.ctx, `SELECT count(*) FROM resources_text_pending`).Scan(&filed); err != nil {
			t.Fatal(err)
		}
		if filed != 0 {
			t.Errorf("%d resources filed after IndexText, want none", filed)
		}
	}
	ctx := f.ctx
	r1, r2, r3 := f.r["r1"].ID, f.r["r2"].ID, f.r["r3"].ID
	str := func(s string) *string { return &s }
	steps := []struct {
		name string
		do   func() error
	}{
		{"edit name and description", func() error {
			_, err := f.store.Edit(ctx, resources.EditInput{ID: r1, Name: str("Harbour at dusk"), Description: str("")})
			return err
		}},
		{"edit meta", func() error {
			_, err := f.store.Edit(ctx, resources.EditInput{ID: r1, Meta: meta(`{"rating":2,"camera":{"model":"Q2"},"new-key":"x"}`)})
			return err
		}},
		{"edit tags", func() error {
			_, err := f.store.Edit(ctx, resources.EditInput{ID: r2, Tags: []int64{f.t2, f.t3}})
			return err
		}},
		{"backdate", func() error {
			f.setCreatedAt(t, r3, day("2020-05-05"))
			return nil
		}},
		{"raw meta update, repeated keys and odd names", func() error {
			_, err := f.db.Writer.ExecContext(ctx, `UPDATE resources SET meta = ? WHERE id = ?`,
				`{"a":1,"a":{"b":2},"x":{"y":1},"x":{"y":2,"z":3},"sp ace":1,"dot.ted":{"q":1},"arr":[{"k":1}],"n":null,"":5}`, r2)
			return err
		}},
		{"raw malformed meta", func() error {
			_, err := f.db.Writer.ExecContext(ctx, `UPDATE resources SET meta = 'not json' WHERE id = ?`, r3)
			return err
		}},
		{"raw meta back to an object", func() error {
			_, err := f.db.Writer.ExecContext(ctx, `UPDATE resources SET meta = '{"rating":1}' WHERE id = ?`, r3)
			return err
		}},
		{"raw tag link moved", func() error {
			_, err := f.db.Writer.ExecContext(ctx, `UPDATE resource_tags SET tag_id = ? WHERE resource_id = ? AND tag_id = ?`, f.t1, r3, f.t2)
			return err
		}},
		{"delete", func() error { return f.store.Delete(ctx, r2) }},
		{"delete tag", func() error { return f.store.DeleteTag(ctx, f.t3) }},
		{"create", func() error {
			r, err := f.store.Create(ctx, strings.NewReader("new content"), resources.CreateInput{
				Name: "fresh", Description: "brand new", Tags: []int64{f.t1}, Meta: meta(`{"rating":5,"z":{"w":true}}`)})
			if err == nil {
				f.label[r.ID] = "new"
			}
			return err
		}},
		{"raw original name and location", func() error {
			_, err := f.db.Writer.ExecContext(ctx, `UPDATE resources SET original_name = 'DSCF0042.RAF',
				original_location = 'https://cdn.example.com/shoot/DSCF0042.RAF' WHERE id = ?`, r1)
			if err == nil {
				_, err = f.db.Writer.ExecContext(ctx, `UPDATE resources SET original_name = '', original_location = '' WHERE id = ?`, r3)
			}
			return err
		}},
		{"raw replace, with recursive triggers", func() error {
			// Without them SQLite runs no delete trigger for the replaced
			// row (see resources/schema_search.go).
			if _, err := f.db.Writer.ExecContext(ctx, `PRAGMA recursive_triggers = 1`); err != nil {
				return err
			}
			_, err := f.db.Writer.ExecContext(ctx, `INSERT OR REPLACE INTO resources
				(id, created_at, updated_at, name, description, hash, hash_type, location, meta)
				SELECT id, created_at, updated_at, 'replaced', 'replaced too', hash, hash_type, location, '{"r":1}'
				FROM resources WHERE id = ?`, f.r["r5"].ID)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		t.Run(s.name, func(t *testing.T) {
			checkSearchTables(t, f.env)
			if indexEach {
				index(t)
				checkSearchTables(t, f.env)
			}
		})
	}

	// Lists see the new state, before the indexer runs and after.
	lists := []struct {
		filter query.Filter
		want   []string
	}{
		{query.Filter{Name: "harbour"}, l("r1")},
		{query.Filter{Name: "sunset"}, l()},
		{query.Filter{Description: "orange"}, l()},
		{query.Filter{MetaQuery: []string{"rating:EQ:2"}}, l("r1")},
		{query.Filter{MetaQuery: []string{"camera.model:EQ:Q2"}}, l("r1")},
		{query.Filter{MetaQuery: []string{"camera.model:EQ:X100"}}, l()},
		{query.Filter{MetaQuery: []string{"rating:EQ:1"}}, l("r3")},
		{query.Filter{Tags: []int64{f.t1}}, l("new", "r1", "r3")}, // r3 backdated, its t2 moved to t1
		{query.Filter{Tags: []int64{f.t3}}, l()},
		{query.Filter{Name: "replaced"}, l("r5")},
		{query.Filter{OriginalName: "dscf0042"}, l("r1")},
		{query.Filter{OriginalLocation: "cdn.example.com/shoot"}, l("r1")},
		{query.Filter{Description: "brand"}, l("new")},
		{query.Filter{MetaQuery: []string{"r:EQ:1"}}, l("r5")},
		{query.Filter{MetaQuery: []string{"z.w:EQ:true"}}, l("new")},
	}
	for _, indexed := range []bool{false, true} {
		if indexed {
			index(t)
			checkSearchTables(t, f.env)
		}
		for _, c := range lists {
			got := f.list(t, c.filter)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("List(%+v), indexed %v (-want +got):\n%s", c.filter, indexed, diff)
			}
		}
	}
}

// TestMetaKeysFollowEdits checks that MetaKeys, read from the index the
// triggers maintain, follows creates, edits and deletes.
func TestMetaKeysFollowEdits(t *testing.T) {
	dbtest.SkipOnPostgres(t, "checks the side tables of the SQLite schema")
	eachMode(t, testMetaKeysFollowEdits)
}

func testMetaKeysFollowEdits(t *testing.T) {
	f := newFixture(t)
	keys := func() []string {
		t.Helper()
		got, err := f.q.MetaKeys(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	all := []string{"a-b_c", "camera", "code", "discount", "public", "rating", "tags", "title"}
	if diff := cmp.Diff(all, keys()); diff != "" {
		t.Fatalf("MetaKeys (-want +got):\n%s", diff)
	}
	// "a-b_c" is only r4's: replacing r4's meta removes it and adds "z".
	if _, err := f.store.Edit(f.ctx, resources.EditInput{ID: f.r["r4"].ID, Meta: meta(`{"z":1}`)}); err != nil {
		t.Fatal(err)
	}
	want := []string{"camera", "code", "discount", "public", "rating", "tags", "title", "z"}
	if diff := cmp.Diff(want, keys()); diff != "" {
		t.Errorf("after edit (-want +got):\n%s", diff)
	}
	// "code" is only r2's; "rating" stays with others.
	if err := f.store.Delete(f.ctx, f.r["r2"].ID); err != nil {
		t.Fatal(err)
	}
	want = []string{"camera", "discount", "public", "rating", "tags", "title", "z"}
	if diff := cmp.Diff(want, keys()); diff != "" {
		t.Errorf("after delete (-want +got):\n%s", diff)
	}
	for _, label := range []string{"r1", "r3", "r4", "r5"} {
		if err := f.store.Delete(f.ctx, f.r[label].ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := keys(); len(got) != 0 {
		t.Errorf("no resources left, MetaKeys = %q", got)
	}
	checkSearchTables(t, f.env)
}

// TestListMetaSideTable compares MetaQuery on the side table with the same
// conditions on the JSON text, on metas with repeated keys, nested
// objects, arrays and every type.
func TestListMetaSideTable(t *testing.T) {
	e := newEnv(t)
	metas := []string{
		`{"a":1,"a":2}`,
		`{"a":{"b":1},"a":{"b":2,"c":3}}`,
		`{"a":"x","a":{"b":1}}`,
		`{"a":{"b":{"c":1}}}`,
		`{"a":[1,2],"b":true,"c":null}`,
		`{"a":1.5,"b":false,"c":"null"}`,
		`{"a":"1","b":"true","c":0}`,
		`{"a":{"b":null},"b":1}`,
		`{"a.b":7,"a":{"b":8}}`,
		`{"A":1,"a-b":2,"a_b":{"c-d":3}}`,
		`{}`,
		`{"a":9007199254740993,"b":1e400}`,
	}
	for i, m := range metas {
		e.create(t, text(fmt.Sprint("m", i), 50), resources.CreateInput{Name: fmt.Sprint("m", i), Meta: meta(m)}, day("2024-01-01").AddDate(0, 0, i))
	}
	ref := query.New(e.store)
	query.Generic(ref)
	var terms []string
	for _, key := range []string{"a", "b", "c", "a.b", "a.c", "a.b.c", "A", "a-b", "a_b.c-d", "x"} {
		for _, v := range []string{"1", "2", "1.5", `"1"`, "x", "true", "null", `"null"`, "9007199254740993"} {
			for _, op := range []string{"EQ", "NE", "GT", "GE", "LT", "LE"} {
				terms = append(terms, key+":"+op+":"+v)
			}
		}
	}
	for _, term := range terms {
		if _, err := query.ParseMetaQuery(term); err != nil {
			continue
		}
		for _, q := range [][]string{{term}, {term, "b:EQ:true", "b:EQ:1"}} {
			f := query.Filter{MetaQuery: q}
			got, err := e.q.List(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ref.List(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(want.Resources), ids(got.Resources)); diff != "" {
				t.Errorf("MetaQuery %q (-json +side):\n%s", q, diff)
			}
			if got.Total != want.Total {
				t.Errorf("MetaQuery %q: Total %d, want %d", q, got.Total, want.Total)
			}
		}
	}
}
