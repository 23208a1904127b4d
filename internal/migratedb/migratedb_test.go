package migratedb_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/migratedb"
	"github.com/stockroomhq/stockroom/internal/pgdb"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
)

// TestCopy fills a SQLite library, copies it into PostgreSQL and checks
// that a library opened on the copy reads the same resources, versions,
// tags and users, that a token made before still works, and that new rows
// get IDs after the copied ones.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.DSN(t) // skips without PostgreSQL
	dir := t.TempDir()
	fs := afero.NewMemMapFs()
	quiet := access.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}
	src, err := stockroom.Open(ctx, stockroom.Options{DataDir: dir, Fs: fs, DisableJobs: true, Password: quiet})
	if err != nil {
		t.Fatal(err)
	}
	tag, err := src.Store.SaveTag(ctx, resources.TagInput{Name: ptr("cat")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, body := range []string{"one", "two", "three"} {
		r, err := src.Store.Create(ctx, bytes.NewReader([]byte(body)), resources.CreateInput{
			Name: body, Tags: []int64{tag.ID}, Meta: resources.Meta(`{"n":` + string(rune('0'+i)) + `,"b":{"a":true}}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := src.Versions.Upload(ctx, ids[0], bytes.NewReader([]byte("one, edited")), "second"); err != nil {
		t.Fatal(err)
	}
	u, err := src.Access.CreateUser(ctx, access.UserInput{Username: "ada", Password: "long enough", Role: "ADMIN"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := src.Access.CreateToken(ctx, u.ID, "ci", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	sdb, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(dir, "stockroom.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	pg, err := pgdb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	counts, err := migratedb.Copy(ctx, sdb.Reader, pg)
	if err != nil {
		t.Fatal(err)
	}
	if counts["resources"] != 3 || counts["resource_versions"] != 4 || counts["users"] != 1 || counts["resource_tags"] != 3 {
		t.Errorf("counts = %v", counts)
	}
	if _, err := migratedb.Copy(ctx, sdb.Reader, pg); err == nil {
		t.Error("a second copy into the same database was not refused")
	}
	// The triggers were off: the per-day counts were rebuilt.
	var days int
	if err := pg.NewRaw(`SELECT coalesce(sum(n), 0) FROM resource_days`).Scan(ctx, &days); err != nil || days != 3 {
		t.Errorf("resource_days counts %d resources (%v), want 3", days, err)
	}
	var ordered int
	if err := pg.NewRaw(`SELECT count(*) FROM resource_tag_order AS o JOIN resource_tags AS rt
		ON rt.resource_id = o.resource_id AND rt.tag_id = o.tag_id`).Scan(ctx, &ordered); err != nil || ordered != 3 {
		t.Errorf("resource_tag_order holds %d of the 3 links (%v)", ordered, err)
	}

	a, err := stockroom.Open(ctx, stockroom.Options{DataDir: dir, Fs: fs, DisableJobs: true, Password: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := stockroom.Open(ctx, stockroom.Options{PostgresDSN: dsn, Fs: fs, DisableJobs: true, Password: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, id := range ids {
		ra, err := a.Store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ra, rb); diff != "" {
			t.Errorf("resource %d (-sqlite +postgres):\n%s", id, diff)
		}
		va, err := a.Versions.List(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := b.Versions.List(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(va, vb); diff != "" {
			t.Errorf("versions of %d (-sqlite +postgres):\n%s", id, diff)
		}
	}
	p, err := b.Access.TokenPrincipal(ctx, secret)
	if err != nil || p.Name != "ada" {
		t.Errorf("TokenPrincipal on the copy = %+v, %v", p, err)
	}
	// The blobs are where they were: the copy reads the content.
	r, err := b.Store.Create(ctx, bytes.NewReader([]byte("four")), resources.CreateInput{Name: "four"})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID <= ids[2] {
		t.Errorf("new resource on the copy got ID %d, not after the copied %d", r.ID, ids[2])
	}
	if _, err := b.Store.Create(ctx, bytes.NewReader([]byte("two")), resources.CreateInput{}); !isDuplicate(err) {
		t.Errorf("uploading copied content again = %v, want a duplicate", err)
	}
}

func ptr[T any](v T) *T { return &v }

func isDuplicate(err error) bool {
	var d *resources.DuplicateError
	return err != nil && asDup(err, &d)
}

func asDup(err error, d **resources.DuplicateError) bool { return errors.As(err, d) }
