package query_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// TestListStartsNoGoroutines checks that a list of a small library, with a
// context that can be cancelled as a server's requests are, starts no
// goroutine: database/sql's Tx, each statement in it and the SQLite
// driver watched the context with one each (8 in a default list, 6 in a
// Name search), whose starts and the threads they woke cost a tenth of a
// small list's CPU.
func TestListStartsNoGoroutines(t *testing.T) {
	e := newEnv(t)
	sea := e.harbours(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	filters := []query.Filter{{}, {Name: "harbour"}, {Tags: []int64{sea}}, {MaxResults: 5, Page: 2}}
	list := func() {
		for _, f := range filters {
			page, err := e.q.List(ctx, f)
			if err != nil {
				t.Fatalf("List(%+v): %v", f, err)
			}
			if len(page.Resources) == 0 {
				t.Fatalf("List(%+v): empty page", f)
			}
		}
	}
	list() // the first looks up the library's size
	const rounds = 10
	before := goroutinesCreated()
	for range rounds {
		list()
	}
	// Below one per round: another part of the process may start one.
	if n := goroutinesCreated() - before; n >= rounds {
		t.Errorf("%d rounds of %d lists started %d goroutines, want none", rounds, len(filters), n)
	}
}

// TestListPreparesNothingNew checks that lists run statements with bound
// arguments, which each connection prepares once: a text without them
// (such as the count of a list without filters had) is parsed and
// planned anew every time.
func TestListPreparesNothingNew(t *testing.T) {
	dbtest.SkipOnPostgres(t, "counts the statements SQLite's connections prepare")
	e := newEnv(t)
	sea := e.harbours(t)
	filters := []query.Filter{
		{MaxResults: 5}, // more pages follow: the total is counted by days
		{Name: "harbour", MaxResults: 5},
		{Tags: []int64{sea}, MaxResults: 5},
		{MaxResults: 5, Page: 2},
		{CreatedAfter: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), MaxResults: 5},
	}
	list := func() {
		for _, f := range filters {
			page, err := e.q.List(e.ctx, f)
			if err != nil {
				t.Fatalf("List(%+v): %v", f, err)
			}
			if len(page.Resources) == 0 {
				t.Fatalf("List(%+v): empty page", f)
			}
		}
	}
	list()
	list()
	// The second built the copy of the names on a second connection,
	// which the pool hands out next: two more rounds prepare on both.
	query.WaitNames(e.q)
	list()
	list()
	before := sqlitedb.Prepared()
	for range 5 {
		list()
	}
	if n := sqlitedb.Prepared() - before; n != 0 {
		t.Errorf("5 rounds of %d lists prepared %d statements, want none", len(filters), n)
	}
}

// harbours fills e with 30 resources named "photo <i>", one in three also
// "harbour" and tagged "sea", and returns the tag's ID.
func (e *env) harbours(t *testing.T) (sea int64) {
	t.Helper()
	sea = e.tag(t, "sea")
	for i := range 30 {
		in := resources.CreateInput{Name: fmt.Sprintf("photo %d", i)}
		if i%3 == 0 {
			in.Name += " harbour"
			in.Tags = []int64{sea}
		}
		e.create(t, fmt.Appendf(nil, "content %d", i), in, time.Time{})
	}
	return sea
}

// TestListCanceled checks that a list whose context is done fails with the
// context's error, though on a small library it does not watch the
// context during its statements.
func TestListCanceled(t *testing.T) {
	e := newEnv(t)
	e.create(t, []byte("content"), resources.CreateInput{Name: "a"}, time.Time{})
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if _, err := e.q.List(ctx, query.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v, want context.Canceled", err)
	}
	// The connection went back to the pool outside any transaction: the
	// next lists begin theirs and see what was written since.
	for i := range 3 {
		e.create(t, fmt.Appendf(nil, "more %d", i), resources.CreateInput{Name: "b"}, time.Time{})
		page, err := e.q.List(e.ctx, query.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(page.Resources), i+2; got != want {
			t.Errorf("after %d creates, a list of %d resources, want %d", i+2, got, want)
		}
	}
}

// goroutinesCreated is the number of goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
