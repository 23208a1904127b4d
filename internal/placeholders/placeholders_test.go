package placeholders

import "testing"

func TestFor(t *testing.T) {
	for _, c := range []struct {
		pg         bool
		text, want string
	}{
		{false, "SELECT ? WHERE id = ?", "SELECT ? WHERE id = ?"},
		{true, "SELECT ? WHERE id = ?", "SELECT $1 WHERE id = $2"},
		{true, "DELETE FROM t", "DELETE FROM t"},
		{true, "SELECT 'é', ?", "SELECT 'é', $1"},
		{true, "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
	} {
		if got := For(c.pg, c.text); got != c.want {
			t.Errorf("For(%v, %q) = %q, want %q", c.pg, c.text, got, c.want)
		}
	}
}
