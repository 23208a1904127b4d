package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/schema/postgres"
)

// TestMigrateConcurrently migrates one database from several connections
// at once, as servers starting together do: each step is applied once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Postgres(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- postgres.Migrate(ctx, db, nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var steps []int
	if err := db.NewRaw(`SELECT version FROM stockroom_migrations ORDER BY version`).Scan(ctx, &steps); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 15 || steps[0] != 1 || steps[14] != 15 {
		t.Errorf("steps recorded: %v", steps)
	}
}

// TestMergePatch checks stockroom_merge_patch against RFC 7396's examples.
func TestMergePatch(t *testing.T) {
	ctx := context.Background()
	db, _ := migrated(t)
	cases := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, c := range cases {
		var same bool
		err := db.NewRaw(`SELECT stockroom_merge_patch(?::jsonb, ?::jsonb) = ?::jsonb`, c.target, c.patch, c.want).Scan(ctx, &same)
		if err != nil {
			t.Fatal(err)
		}
		if !same {
			var got string
			db.NewRaw(`SELECT stockroom_merge_patch(?::jsonb, ?::jsonb)::text`, c.target, c.patch).Scan(ctx, &got)
			t.Errorf("merge %s with %s = %s, want %s", c.target, c.patch, got, c.want)
		}
	}
}

// TestResourceDays checks that the triggers keep resource_days, the
// resources per UTC day of creation, through inserts, changes of the
// creation time and deletes, and that RebuildDerived computes the same.
func TestResourceDays(t *testing.T) {
	ctx := context.Background()
	db, exec := migrated(t)
	days := func() map[string]int {
		t.Helper()
		var rows []struct {
			Day string `bun:"day"`
			N   int    `bun:"n"`
		}
		if err := db.NewRaw(`SELECT day, n FROM resource_days WHERE n <> 0 ORDER BY day`).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.Day] = r.N
		}
		return out
	}
	insert := func(id int, created string) {
		exec(`INSERT INTO resources (id, created_at, updated_at, hash, hash_type, location) VALUES (?, ?, now(), 'h', 'SHA256', 'l')`, id, created)
	}
	// 23:30 at UTC-2 is the next day in UTC.
	insert(1, "2024-03-01 10:00:00+00")
	insert(2, "2024-03-01 23:30:00-02")
	insert(3, "2024-03-02 00:00:00+00")
	if diff := cmp.Diff(map[string]int{"2024-03-01": 1, "2024-03-02": 2}, days()); diff != "" {
		t.Errorf("after inserts (-want +got):\n%s", diff)
	}
	exec(`UPDATE resources SET created_at = '2024-02-29 12:00:00+00' WHERE id = 3`)
	exec(`UPDATE resources SET name = 'renamed' WHERE id = 2`)
	if diff := cmp.Diff(map[string]int{"2024-02-29": 1, "2024-03-01": 1, "2024-03-02": 1}, days()); diff != "" {
		t.Errorf("after updates (-want +got):\n%s", diff)
	}
	exec(`DELETE FROM resources WHERE id = 1`)
	kept := days()
	if diff := cmp.Diff(map[string]int{"2024-02-29": 1, "2024-03-02": 1}, kept); diff != "" {
		t.Errorf("after a delete (-want +got):\n%s", diff)
	}
	exec(postgres.RebuildDerived)
	if diff := cmp.Diff(kept, days()); diff != "" {
		t.Errorf("rebuilt (-kept +rebuilt):\n%s", diff)
	}
}

// TestTagOrder checks that the triggers keep resource_tag_order equal to
// the links of resource_tags with their resources' creation times through
// links added, moved and removed, creation times changed, and resources
// and tags deleted; and that Rebuild computes the same.
func TestTagOrder(t *testing.T) {
	db, exec := migrated(t)
	type entry struct {
		Tag      int64  `bun:"tag_id"`
		Created  string `bun:"created"`
		Resource int64  `bun:"resource_id"`
	}
	read := func(q string) []entry { t.Helper(); return rows[entry](t, db, q) }
	check := func(when string) []entry {
		t.Helper()
		got := read(`SELECT tag_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created, resource_id
			FROM resource_tag_order ORDER BY 1, 2, 3`)
		want := read(`SELECT rt.tag_id, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created, r.id AS resource_id
			FROM resource_tags AS rt JOIN resources AS r ON r.id = rt.resource_id ORDER BY 1, 2, 3`)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-links +resource_tag_order):\n%s", when, diff)
		}
		return got
	}
	for i := 1; i <= 3; i++ {
		exec(`INSERT INTO resources (id, created_at, updated_at, hash, hash_type, location) VALUES (?, ?, now(), 'h', 'SHA256', 'l')`,
			i, fmt.Sprintf("2024-03-0%d 10:00:00+00", i))
		exec(`INSERT INTO tags (id, created_at, updated_at, name) VALUES (?, now(), now(), ?)`, i, fmt.Sprint("t", i))
	}
	exec(`INSERT INTO resource_tags (resource_id, tag_id) VALUES (1, 1), (1, 2), (2, 1), (3, 3)`)
	exec(`INSERT INTO resource_tags (resource_id, tag_id) VALUES (1, 1), (2, 2) ON CONFLICT DO NOTHING`)
	if n := len(check("after inserts")); n != 5 {
		t.Errorf("%d entries after inserts, want 5", n)
	}
	exec(`UPDATE resources SET created_at = '2023-01-01 00:00:00+00' WHERE id = 1`)
	exec(`UPDATE resources SET name = 'renamed' WHERE id = 2`)
	check("after updates of resources")
	exec(`UPDATE resource_tags SET tag_id = 3 WHERE resource_id = 2 AND tag_id = 2`)
	exec(`DELETE FROM resource_tags WHERE resource_id = 1 AND tag_id = 2`)
	check("after changed links")
	exec(`DELETE FROM resources WHERE id = 3`)
	exec(`DELETE FROM tags WHERE id = 1`)
	kept := check("after deletes")
	if len(kept) != 1 {
		t.Errorf("%d entries after deletes, want 1", len(kept))
	}
	exec(postgres.Rebuild)
	check("rebuilt")
}

// TestResourceMeta checks that the triggers keep resource_meta equal to
// the entries of the resources' meta with their creation times through
// inserts, changes of meta and of the creation time, and deletes, and
// that Rebuild computes the same; and which values it holds.
func TestResourceMeta(t *testing.T) {
	db, exec := migrated(t)
	type entry struct {
		Resource int64   `bun:"resource_id"`
		Key      string  `bun:"key"`
		Created  string  `bun:"created"`
		Kind     string  `bun:"kind"`
		Num      *string `bun:"num"`
		Txt      *string `bun:"txt"`
	}
	read := func(q string) []entry { t.Helper(); return rows[entry](t, db, q) }
	check := func(when string) []entry {
		t.Helper()
		got := read(`SELECT resource_id, key, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created, kind, num::text AS num, txt
			FROM resource_meta ORDER BY 1, 2`)
		want := read(`SELECT r.id AS resource_id, e.key, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created, e.kind, e.num::text AS num, e.txt
			FROM resources AS r, stockroom_meta_entries(r.meta) AS e ORDER BY 1, 2`)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-meta +resource_meta):\n%s", when, diff)
		}
		return got
	}
	insert := func(id int, created, meta string) {
		exec(`INSERT INTO resources (id, created_at, updated_at, hash, hash_type, location, meta) VALUES (?, ?, now(), 'h', 'SHA256', 'l', ?)`, id, created, meta)
	}
	long := strings.Repeat("x", 1001)
	insert(1, "2024-03-01 10:00:00+00", `{"a":1,"b":"x","c":true,"d":false,"e":null,"f":[1],"g":{"h":2.50,"i":{"j":1},"k":"s"},"bad key":1,"a.b":2,"n":1e2000,"m":"`+long+`"}`)
	insert(2, "2024-03-02 10:00:00+00", `[1, 2]`)
	insert(3, "2024-03-03 10:00:00+00", `{"a":1,"a":"last"}`)
	s := func(v string) *string { return &v }
	want := []entry{
		{1, "a", "2024-03-01 10:00", "n", s("1"), nil},
		{1, "b", "2024-03-01 10:00", "t", nil, s("x")},
		{1, "c", "2024-03-01 10:00", "b", s("1"), nil},
		{1, "d", "2024-03-01 10:00", "b", s("0"), nil},
		{1, "g.h", "2024-03-01 10:00", "n", s("2.50"), nil},
		{1, "g.k", "2024-03-01 10:00", "t", nil, s("s")},
		{1, "n", "2024-03-01 10:00", "N", nil, nil},
		{3, "a", "2024-03-03 10:00", "t", nil, s("last")},
	}
	if diff := cmp.Diff(want, check("after inserts")); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	exec(`UPDATE resources SET meta = '{"a":2,"z":"new"}' WHERE id = 1`)
	exec(`UPDATE resources SET created_at = '2023-01-01 00:00:00+00' WHERE id = 3`)
	exec(`UPDATE resources SET meta = '{"q":{"r":"s"}}', created_at = '2022-01-01 00:00:00+00' WHERE id = 2`)
	exec(`UPDATE resources SET name = 'renamed' WHERE id = 3`)
	check("after updates")
	exec(`DELETE FROM resources WHERE id = 1`)
	kept := check("after a delete")
	if len(kept) != 2 {
		t.Errorf("%d entries after a delete, want 2: %v", len(kept), kept)
	}
	exec(postgres.Rebuild)
	check("rebuilt")
}

// migrated returns a PostgreSQL database of the test's own, migrated, and
// a function that runs a statement on it, failing the test if it fails.
func migrated(t *testing.T) (*bun.DB, func(q string, args ...any)) {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Postgres(t)
	if err := postgres.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	return db, func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// rows scans the rows of q into values of T.
func rows[T any](t *testing.T, db *bun.DB, q string) []T {
	t.Helper()
	var out []T
	if err := db.NewRaw(q).Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}
