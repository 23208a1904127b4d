package resources_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
)

// photos yields the IDs of the resources whose name starts with "IMG_", as a
// query over the library would.
func photos(rs []*resources.Resource) iter.Seq2[int64, error] {
	return func(yield func(int64, error) bool) {
		for _, r := range rs {
			if strings.HasPrefix(r.Name, "IMG_") && !yield(r.ID, nil) {
				return
			}
		}
	}
}

// This example tags and annotates every photo of a small library in one
// transaction, then merges the second photo into the first.
func ExampleStore_EditAll() {
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

	var library []*resources.Resource
	for _, name := range []string{"IMG_0001.txt", "IMG_0002.txt", "notes.txt"} {
		r, err := store.Create(ctx, strings.NewReader("content of "+name), resources.CreateInput{
			Name: name, Meta: resources.Meta(`{"source":"` + name + `"}`)})
		if err != nil {
			log.Fatal(err)
		}
		library = append(library, r)
	}
	tag, err := store.SaveTag(ctx, resources.TagInput{Name: ptr("holiday")})
	if err != nil {
		log.Fatal(err)
	}
	err = store.EditAll(ctx, photos(library), resources.BulkInput{
		AddTags: []int64{tag.ID},
		AddMeta: resources.Meta(`{"trip":{"year":2024},"source":null}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range library {
		got, err := store.Get(ctx, r.ID)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(got.Name, len(got.Tags), string(got.Meta))
	}

	if err := store.Merge(ctx, library[0].ID, []int64{library[1].ID}); err != nil {
		log.Fatal(err)
	}
	var numbers []int
	err = store.DB().NewSelect().Table("resource_versions").Column("version_number").
		Where("resource_id = ?", library[0].ID).Order("version_number").Scan(ctx, &numbers)
	if err != nil {
		log.Fatal(err)
	}
	_, err = store.Get(ctx, library[1].ID)
	fmt.Println("versions of the winner:", numbers, "loser:", err)
	// Output:
	// IMG_0001.txt 1 {"trip":{"year":2024}}
	// IMG_0002.txt 1 {"trip":{"year":2024}}
	// notes.txt 0 {"source":"notes.txt"}
	// versions of the winner: [1 2] loser: resources.Get: resource 2 not found
}
