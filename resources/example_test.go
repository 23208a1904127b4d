package resources_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
)

// This example stores a small text file with a tag, reads it back, and shows
// that uploading the same bytes again is refused as a duplicate.
func ExampleStore_Create() {
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
	store, err := resources.New(resources.Config{
		DB:     db.Writer,
		ReadDB: db.Reader,
		Blobs:  aferostore.New(afero.NewMemMapFs()), // blobs in memory
	})
	if err != nil {
		log.Fatal(err)
	}

	tag, err := store.SaveTag(ctx, resources.TagInput{Name: ptr("recipes")})
	if err != nil {
		log.Fatal(err)
	}
	res, err := store.Create(ctx, strings.NewReader("Flour, water, salt.\n"), resources.CreateInput{
		OriginalName: "bread.txt",
		Tags:         []int64{tag.ID},
		Meta:         resources.Meta(`{"lang":"en"}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("name:", res.Name)
	fmt.Println("type:", res.ContentType, "size:", res.FileSize)
	fmt.Println("location:", res.Location[:6]+"…")
	fmt.Println("tag:", res.Tags[0].Name, "meta:", string(res.Meta))

	_, err = store.Create(ctx, strings.NewReader("Flour, water, salt.\n"), resources.CreateInput{})
	var dup *resources.DuplicateError
	if errors.As(err, &dup) {
		fmt.Println("duplicate of resource", dup.ExistingID == res.ID)
	}
	// Output:
	// name: bread.txt
	// type: text/plain size: 20
	// location: 49/c0/…
	// tag: recipes meta: {"lang":"en"}
	// duplicate of resource true
}
