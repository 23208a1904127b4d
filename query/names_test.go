package query_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// nameCopyLibrary fills e with names that tell SQLite's LIKE apart from
// other ways to fold or match text (non-ASCII letters, the Kelvin sign,
// LIKE's wildcards and escape), several of them created at the same time,
// so that ties are broken by ID.
func nameCopyLibrary(t *testing.T, e *env) []*resources.Resource {
	t.Helper()
	names := []string{
		"Harbour at dawn", "harbour", "HARBOUR wall", "Harbor", "café Été", "CAFÉ été",
		"Kelvin \u212a", "kelvin k", "100% cotton", "100 percent", "snake_case", "snakeXcase",
		`back\slash`, "back/slash", "ÅNGSTRÖM", "ångström", "a", "ab", "old harbour map",
	}
	var rs []*resources.Resource
	for i := range 60 {
		name := names[i%len(names)]
		created := day("2024-03-01").Add(time.Duration(i%7) * time.Hour)
		rs = append(rs, e.create(t, text(fmt.Sprint(i), 40), resources.CreateInput{Name: name}, created))
	}
	return rs
}

// nameCopyFilters are Name searches in the default order, both ways,
// on several pages, past the end included.
func nameCopyFilters(terms ...string) []query.Filter {
	var fs []query.Filter
	for _, term := range terms {
		fs = append(fs,
			query.Filter{Name: term},
			query.Filter{Name: term, Page: 2, MaxResults: 3},
			query.Filter{Name: term, Page: 40, MaxResults: 2},
			query.Filter{Name: term, MaxResults: 4, SortBy: []string{"created_at asc"}},
			query.Filter{Name: term, Page: 2, MaxResults: 5, SortBy: []string{"created_at", "id"}},
		)
	}
	return fs
}

// nameCopyEnv is an env holding nameCopyLibrary, with the reference its
// lists are compared with.
func nameCopyEnv(t *testing.T) (*env, *query.Query, []*resources.Resource) {
	t.Helper()
	dbtest.SkipOnPostgres(t, "the copy of the names is SQLite's")
	e := newEnv(t)
	ref := query.New(e.store)
	query.Generic(ref)
	return e, ref, nameCopyLibrary(t, e)
}

// listServed compares e's lists of fs with ref's, waits for the build of
// the copy they started if any, and checks that the copy served want of
// them.
func listServed(t *testing.T, e *env, ref *query.Query, what string, want int, fs ...query.Filter) {
	t.Helper()
	before := query.NameScans(e.q)
	for _, f := range fs {
		sameLists(t, e.ctx, ref, e.q, f, what+" (-reference +planned)")
	}
	query.WaitNames(e.q)
	if got := query.NameScans(e.q) - before; got != int64(want) {
		t.Errorf("%s: the copy served %d of %d lists, want %d", what, got, len(fs), want)
	}
}

// buildNames has the copy of e's names built: two Name searches find it
// out of date at the same version, and the second has it built.
func buildNames(t *testing.T, e *env) {
	t.Helper()
	for range 2 {
		if _, err := e.q.List(e.ctx, query.Filter{Name: "harbour"}); err != nil {
			t.Fatal(err)
		}
	}
	query.WaitNames(e.q)
}

// TestListNameCopy checks that the Name searches that a small library's
// copy of its names serves show the pages and totals of the reference, and
// that the copy serves every one of them once built.
func TestListNameCopy(t *testing.T) {
	e, ref, _ := nameCopyEnv(t)
	fs := nameCopyFilters("harbour", "HARBOUR", "Harb", "ar", "a", "é", "É", "Été", "CAFÉ", "k", "K", "\u212a",
		"%", "100%", "_", "e_c", `\`, `k\s`, "ngstr", "NGSTR", "Å", "zzz")
	listServed(t, e, ref, "before the copy", 0, fs[0])
	buildNames(t, e)
	listServed(t, e, ref, "the copy", len(fs), fs...)
}

// TestListNameCopyFollowsChanges checks that a list never reads a copy of
// the names older than its snapshot: after each change of a name, a
// creation time or the set of resources, the next list reads the index,
// with the change, and the one after the new copy. A change of anything
// else leaves the copy in use.
func TestListNameCopyFollowsChanges(t *testing.T) {
	e, ref, rs := nameCopyEnv(t)
	fs := nameCopyFilters("harbour", "Kelvin")
	if _, err := e.db.Writer.ExecContext(e.ctx, "CREATE TABLE resources_kept AS SELECT * FROM resources WHERE id = ?", rs[2].ID); err != nil {
		t.Fatal(err)
	}
	buildNames(t, e)
	listServed(t, e, ref, "the build", len(fs), fs...)
	for _, c := range []struct {
		change string
		do     func() error
		stale  bool
	}{
		{"a new resource", func() error {
			e.create(t, text("new", 40), resources.CreateInput{Name: "New HARBOUR"}, day("2024-03-02"))
			return nil
		}, true},
		{"a rename to a match", func() error { return e.store.EditName(e.ctx, rs[3].ID, "harbour light") }, true},
		{"a rename away", func() error { return e.store.EditName(e.ctx, rs[0].ID, "quay") }, true},
		{"a change of case", func() error { return e.store.EditName(e.ctx, rs[6].ID, "KELVIN sign") }, true},
		{"an earlier creation time", func() error {
			e.setCreatedAt(t, rs[1].ID, day("2020-01-01"))
			return nil
		}, true},
		{"a deletion", func() error { return e.store.Delete(e.ctx, rs[2].ID) }, true},
		{"an insert below the highest ID", func() error {
			// rs[2] again, as a restore or an import might write it.
			_, err := e.db.Writer.ExecContext(e.ctx, "INSERT INTO resources SELECT * FROM resources_kept")
			return err
		}, true},
		{"a description", func() error { return e.store.EditDescription(e.ctx, rs[1].ID, "harbour in the description") }, false},
		{"the same name again", func() error { return e.store.EditName(e.ctx, rs[3].ID, "harbour light") }, false},
	} {
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.change, err)
		}
		// The first list after a change reads the index.
		listServed(t, e, ref, "just after "+c.change, btoi(!c.stale), fs[0])
		buildNames(t, e)
		listServed(t, e, ref, "after "+c.change, len(fs), fs...)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestListNameCopyWaitsForQuiet checks that no copy is built while the
// names change between every two searches, and that one is once two
// searches see the same names.
func TestListNameCopyWaitsForQuiet(t *testing.T) {
	e, ref, rs := nameCopyEnv(t)
	buildNames(t, e)
	f := query.Filter{Name: "harbour"}
	listServed(t, e, ref, "with the copy built", 1, f)
	for i := range 5 {
		if err := e.store.EditName(e.ctx, rs[i].ID, fmt.Sprintf("harbour %d", i)); err != nil {
			t.Fatal(err)
		}
		listServed(t, e, ref, fmt.Sprintf("after rename %d", i), 0, f)
	}
	listServed(t, e, ref, "after a search at the same names", 0, f) // builds
	listServed(t, e, ref, "with the copy built again", 1, f)
}

// TestListNameCopyLargeLibrary checks that a library too large for the
// copy is searched through the index, and that its copy is dropped then:
// smaller again, it needs a new one.
func TestListNameCopyLargeLibrary(t *testing.T) {
	e, ref, _ := nameCopyEnv(t)
	buildNames(t, e)
	for _, c := range []struct {
		what  string
		small int64
		want  int
	}{
		{"small", 10_000, 1},
		{"large", 10, 0},
		{"small again", 10_000, 0}, // the copy was dropped
		{"small again, a second time", 10_000, 0},
		{"small again, with a new copy", 10_000, 1},
	} {
		query.SetSmall(e.q, c.small)
		listServed(t, e, ref, c.what, c.want, query.Filter{Name: "harbour"})
	}
}

// TestListNameCopyOddRows checks that a library with a name or creation
// time that Go would not compare as SQLite does is searched through the
// index, with the reference's pages, and through the copy again once the
// row is fixed.
func TestListNameCopyOddRows(t *testing.T) {
	e, ref, rs := nameCopyEnv(t)
	fs := nameCopyFilters("harbour", "ou")
	for _, odd := range []struct{ what, set string }{
		{"a creation time that is a number", "created_at = 20240301"},
		{"a name that is not UTF-8", "name = CAST(x'686172626f757220ff' AS TEXT)"},
		{"a name that holds NUL", "name = 'harbour' || char(0) || ' a'"},
		{"a name that is a blob", "name = x'717561'"},
	} {
		if _, err := e.db.Writer.ExecContext(e.ctx, "UPDATE resources SET "+odd.set+" WHERE id = ?", rs[4].ID); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the first lists build the copy
			listServed(t, e, ref, "with "+odd.what, 0, fs...)
		}
		e.setCreatedAt(t, rs[4].ID, day("2024-03-01"))
		if err := e.store.EditName(e.ctx, rs[4].ID, "café Été"); err != nil {
			t.Fatal(err)
		}
	}
	buildNames(t, e)
	listServed(t, e, ref, "once fixed", len(fs), fs...)
}

// TestListNameCopyWhileRenaming lists while another goroutine renames
// resources back and forth: every resource of every page holds the term in
// the snapshot the page was read in, which a copy older than the snapshot
// would break.
func TestListNameCopyWhileRenaming(t *testing.T) {
	e, _, rs := nameCopyEnv(t)
	var writer, listers sync.WaitGroup
	done := make(chan struct{})
	writer.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			name := "quay"
			if i%2 == 1 {
				name = "Harbour quay"
			}
			if err := e.store.EditName(e.ctx, rs[i%len(rs)].ID, name); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond) // room for a copy to be current
		}
	})
	for range 2 {
		listers.Go(func() {
			for range 100 {
				p, err := e.q.List(e.ctx, query.Filter{Name: "harbour", MaxResults: 100})
				if err != nil {
					t.Error(err)
					return
				}
				if p.Total != len(p.Resources) {
					t.Errorf("total %d, %d resources on the one page", p.Total, len(p.Resources))
				}
				for _, r := range p.Resources {
					if !strings.Contains(strings.ToLower(r.Name), "harbour") {
						t.Errorf("resource %d %q listed for harbour", r.ID, r.Name)
					}
				}
			}
		})
	}
	listers.Wait()
	close(done)
	writer.Wait()
	query.WaitNames(e.q)
	t.Logf("the copy served %d of 200 lists", query.NameScans(e.q))
}
