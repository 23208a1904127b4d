package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
)

// TestSparseOrderIndexes checks that the category and series order
// indexes hold only the resources that have one (an upload without them
// writes no page of either), that the owner's keeps every row (for
// ShowWithoutOwner), and that the lists of one category or series still
// read them in the default order.
func TestSparseOrderIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := Migrate(ctx, db.Writer, nil); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO resource_categories (id, name, created_at, updated_at) VALUES (1, 'c', '2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00')`,
		`INSERT INTO series (id, name, slug, created_at, updated_at) VALUES (1, 's', 's', '2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00')`,
		`INSERT INTO resources (created_at, updated_at, name, hash, hash_type, location) VALUES
			('2024-01-01 00:00:01+00:00', '2024-01-01 00:00:01+00:00', 'a', 'ha', 'SHA256', 'l'),
			('2024-01-01 00:00:02+00:00', '2024-01-01 00:00:02+00:00', 'b', 'hb', 'SHA256', 'l'),
			('2024-01-01 00:00:03+00:00', '2024-01-01 00:00:03+00:00', 'c', 'hc', 'SHA256', 'l')`,
		`UPDATE resources SET resource_category_id = 1 WHERE name = 'b'`,
		`UPDATE resources SET series_id = 1 WHERE name IN ('b', 'c')`,
		`ANALYZE`,
	} {
		if _, err := db.Writer.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// sqlite_stat1 gives an index's number of entries first.
	entries := map[string]int{}
	rows, err := db.Writer.QueryContext(ctx, `SELECT idx, CAST(stat AS INTEGER) FROM sqlite_stat1
		WHERE idx IN ('resources_owner_order', 'resources_resource_category_order', 'resources_series_order')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var idx string
		var n int
		if err := rows.Scan(&idx, &n); err != nil {
			t.Fatal(err)
		}
		entries[idx] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"resources_owner_order": 3, "resources_resource_category_order": 1, "resources_series_order": 2}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("index entries (-want +got):\n%s", diff)
	}
	for q, want := range map[string][]string{
		`SELECT name FROM resources INDEXED BY resources_resource_category_order WHERE resource_category_id = 1 ORDER BY created_at DESC, id DESC`: {"b"},
		`SELECT name FROM resources INDEXED BY resources_series_order WHERE series_id = 1 ORDER BY created_at DESC, id DESC`:                       {"c", "b"},
	} {
		var names []string
		if err := db.Reader.NewRaw(q).Scan(ctx, &names); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q, diff)
		}
	}
}
