package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBindable(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		args       []any
		want       string
		flat       []any
		ok         bool
	}{
		{"ids as one JSON array", "SELECT id FROM r WHERE id IN (?) AND x = ?", []any{idsArg{3, 1, 2}, int64(7)},
			"SELECT id FROM r WHERE id IN (SELECT value FROM json_each(?)) AND x = ?", []any{"[3,1,2]", int64(7)}, true},
		{"no ids", "id IN (?)", []any{idsArg{}}, "id IN (SELECT value FROM json_each(?))", []any{"[]"}, true},
		{"values the planner would look at", "name LIKE ? ESCAPE '\\' LIMIT ? OFFSET ?", []any{"%a%", 51, int64(100)},
			"name LIKE +? ESCAPE '\\' LIMIT +? OFFSET +?", []any{"%a%", 51, int64(100)}, true},
		{"ids outside IN", "x = ?", []any{idsArg{1}}, "", nil, false},
		{"named placeholder", "x = ?name", []any{1}, "", nil, false},
		{"too few arguments", "x = ? AND y = ?", []any{1}, "", nil, false},
		{"too many arguments", "x = ?", []any{1, 2}, "", nil, false},
		{"a type bun writes", "x = ?", []any{1.5}, "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, flat, ok := bindable(tc.text, tc.args)
			if ok != tc.ok {
				t.Fatalf("bindable(%q) ok = %v, want %v", tc.text, ok, tc.ok)
			}
			if !ok {
				return
			}
			if got != tc.want {
				t.Errorf("text:\n got %s\nwant %s", got, tc.want)
			}
			if diff := cmp.Diff(tc.flat, flat); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}
