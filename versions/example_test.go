package versions_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

// This example edits a file twice, restores the first text, compares two
// versions, and cleans up all but the two newest.
func ExampleVersioner() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stockroom-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: filepath.Join(dir, "stockroom.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		log.Fatal(err)
	}
	store, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: aferostore.New(afero.NewMemMapFs())})
	if err != nil {
		log.Fatal(err)
	}
	history := versions.New(store)

	res, err := store.Create(ctx, strings.NewReader("Flour, water, salt.\n"), resources.CreateInput{Name: "bread.txt"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := history.Upload(ctx, res.ID, strings.NewReader("Flour, water, salt, yeast.\n"), "add yeast"); err != nil {
		log.Fatal(err)
	}
	restored, err := history.Restore(ctx, res.ID, *res.CurrentVersionID, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("version %d: %s\n", restored.VersionNumber, restored.Comment)

	vs, err := history.List(ctx, res.ID)
	if err != nil {
		log.Fatal(err)
	}
	c, err := history.Compare(ctx, res.ID, vs[1].ID, vs[0].ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("v%d -> v%d: %+d bytes, same content: %v\n", c.Version1.VersionNumber, c.Version2.VersionNumber, c.SizeDelta, c.SameHash)

	cleaned, err := history.Cleanup(ctx, res.ID, versions.CleanupOptions{KeepLast: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", cleaned.Count)
	// Output:
	// version 3: Restored from version 1
	// v2 -> v3: -7 bytes, same content: false
	// deleted: 1
}
