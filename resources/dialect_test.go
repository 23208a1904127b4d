package resources_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// otherDialect is SQLite's dialect under another name, so that a real
// database poses as one whose SQL this package does not know.
type otherDialect struct{ schema.Dialect }

func (otherDialect) Name() dialect.Name { return dialect.MSSQL }

// TestUnknownDialect checks that the operations whose SQL differs between
// databases refuse a dialect they do not know with an error that names it,
// and change nothing.
func TestUnknownDialect(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		t.Fatal(err)
	}
	blobs := aferostore.New(afero.NewMemMapFs())
	s, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	r := mustCreate(t, s, []byte("content"), resources.CreateInput{Name: "r", Meta: resources.Meta(`{"a":1}`)})
	if _, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("sunset")}); err != nil {
		t.Fatal(err)
	}

	odb := func(b *bun.DB) *bun.DB { return bun.NewDB(b.DB, otherDialect{b.Dialect()}) }
	other, err := resources.New(resources.Config{DB: odb(db.Writer), ReadDB: odb(db.Reader), Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	named := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "mssql") {
			t.Errorf("%s on mssql = %v, want an error naming the dialect", what, err)
		}
	}
	_, err = other.ListTags(ctx, resources.ListOptions{Name: "sun"})
	named("ListTags", err)
	named("AddMeta", other.AddMeta(ctx, []int64{r.ID}, resources.Meta(`{"b":2}`)))
	if diff := cmp.Diff(resources.Meta(`{"a":1}`), mustGet(t, s, r.ID).Meta); diff != "" {
		t.Errorf("meta after the refused AddMeta (-want +got):\n%s", diff)
	}
}
