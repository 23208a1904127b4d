package postgres_test

import (
	"context"
	"sync"
	"testing"

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
	if len(steps) != 4 || steps[0] != 1 || steps[3] != 4 {
		t.Errorf("steps recorded: %v", steps)
	}
}

// TestMergePatch checks stockroom_merge_patch against RFC 7396's examples.
func TestMergePatch(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Postgres(t)
	if err := postgres.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
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
