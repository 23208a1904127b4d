package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/internal/dbtest"
)

// TestListTotalCountCapped checks the paging headers when counting every
// match would cost more than the page: X-Total-Count is then a lower bound
// and X-Total-Count-Capped says so; the last page is exact.
func TestListTotalCountCapped(t *testing.T) {
	dbtest.SkipOnPostgres(t, "the capped totals are the SQLite planner's; PostgreSQL counts exactly")
	e := newTestEnv(t)
	// A check on the index is counted over at most 2000 entries, so 2100
	// resources make its total a bound; a check that reads rows is never
	// counted past the page.
	_, err := e.Lib.Store.DB().ExecContext(context.Background(), `
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100)
		INSERT INTO resources (created_at, updated_at, name, original_name, hash, hash_type, location)
		SELECT printf('2024-01-01 00:00:%02d+00:00', i % 60), '2024-01-01 00:00:00+00:00',
			'item ' || i, 'file ' || i, printf('%064x', i), 'SHA256', 'none' FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	// The capped totals are those of the full-text index, which the
	// background indexer may not have reached yet.
	for {
		n, err := e.Lib.Store.IndexText(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for _, tt := range []struct {
		name, query string
		want        []string // X-Total-Count, X-Total-Count-Capped, X-Page
	}{
		{"no filter: exact", "", []string{"2100", "", "1"}},
		{"a check on the index: counted up to its bound", qs("Name", "it"), []string{"2000", "true", "1"}},
		{"a check on rows: at least one more page", qs("OriginalName", "fi"), []string{"51", "true", "1"}},
		{"page 41", qs("OriginalName", "fi", "page", "41"), []string{"2051", "true", "41"}},
		{"last page: exact", qs("OriginalName", "fi", "page", "42"), []string{"2100", "", "42"}},
		{"selective: exact", qs("Name", "item 20"), []string{"111", "", "1"}}, // 20, 200-209, 2000-2099
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", e.URL+"/v1/resources"+tt.query, nil).wantStatus(t, http.StatusOK)
			got := []string{r.Header.Get("X-Total-Count"), r.Header.Get("X-Total-Count-Capped"), r.Header.Get("X-Page")}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("X-Total-Count, X-Total-Count-Capped, X-Page (-want +got):\n%s", diff)
			}
		})
	}
}
