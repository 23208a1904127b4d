package query_test

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
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

func ExampleQuery_List() {
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
	for _, r := range []struct{ name, meta string }{
		{"beach.txt", `{"camera":{"model":"X100"},"rating":5}`},
		{"forest.txt", `{"camera":{"model":"Z6"},"rating":3}`},
		{"city.txt", `{"rating":4}`},
	} {
		in := resources.CreateInput{Name: r.name, Meta: resources.Meta(r.meta)}
		if _, err := store.Create(ctx, strings.NewReader("the content of "+r.name), in); err != nil {
			log.Fatal(err)
		}
	}

	q := query.New(store)
	page, err := q.List(ctx, query.Filter{
		MetaQuery: []string{"rating:GE:4"},
		SortBy:    []string{"meta->>'rating' desc"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("total:", page.Total)
	for _, r := range page.Resources {
		fmt.Println(r.Name, string(r.Meta))
	}
	page, err = q.List(ctx, query.Filter{MetaQuery: []string{"camera.model:EQ:Z6", "camera.model:EQ:X100"}, SortBy: []string{"name"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range page.Resources {
		fmt.Println(r.Name)
	}
	_, err = q.List(ctx, query.Filter{MetaQuery: []string{"rating:XX:1"}})
	fmt.Println(err)
	// Output:
	// total: 2
	// beach.txt {"camera":{"model":"X100"},"rating":5}
	// city.txt {"rating":4}
	// beach.txt
	// forest.txt
	// query.List: invalid input: MetaQuery "rating:XX:1": unknown operator "XX" (want one of EQ NE LI NL GT GE LT LE)
}
