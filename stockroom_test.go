package stockroom_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/afero"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/resources"
)

// openSQLite opens a SQLite database the way an embedder might: one
// connection, foreign keys on, transactions that take the write lock at
// once.
func openSQLite(t *testing.T) *bun.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "own.db") + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate"
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	t.Cleanup(func() { db.Close() })
	return db
}

// TestOpenInjected: a Library over the caller's blob store and database
// keeps its files and rows there, writes nothing into DataDir, and leaves
// both open on Close.
func TestOpenInjected(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	fs := afero.NewMemMapFs()
	blobs := aferostore.New(fs)
	dataDir := t.TempDir()

	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: dataDir, DB: db, Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	created, err := lib.Store.Create(ctx, strings.NewReader("kept in memory\n"), resources.CreateInput{Name: "note.txt"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lib.Store.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("Get after Create (-created +got):\n%s", diff)
	}
	if got.Name != "note.txt" || got.FileSize != int64(len("kept in memory\n")) {
		t.Errorf("stored %q of %d bytes", got.Name, got.FileSize)
	}

	// The blob is in the injected store, on its filesystem.
	f, err := blobs.Open(ctx, got.Hash)
	if err != nil {
		t.Fatalf("the injected blob store lacks the file: %v", err)
	}
	content, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(content) != "kept in memory\n" {
		t.Errorf("blob content %q, %v", content, err)
	}
	if ok, err := afero.Exists(fs, got.Hash.Path()); !ok || err != nil {
		t.Errorf("no %s on the injected filesystem: %v", got.Hash.Path(), err)
	}
	// Nothing of the defaults was created.
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("DataDir holds %s; the injected backends should hold everything", e.Name())
	}

	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	// The caller's database is still open, and holds the row.
	n, err := db.NewSelect().Table("resources").Where("id = ?", created.ID).Count(ctx)
	if err != nil || n != 1 {
		t.Errorf("after Library.Close: %d rows, %v; want the resource, and the database still open", n, err)
	}
}
