package aferostore_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

func ExampleStore() {
	ctx := context.Background()
	// On a server: afero.NewBasePathFs(afero.NewOsFs(), "/var/lib/stockroom/blobs").
	s := aferostore.New(afero.NewMemMapFs())

	res, err := s.Put(ctx, strings.NewReader("hello, stockroom"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Hash, res.Size, res.Created)

	again, err := s.Put(ctx, strings.NewReader("hello, stockroom"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored again:", again.Created)

	f, err := s.Open(ctx, res.Hash)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s at %s\n", data, res.Hash.Path()[:5])
	// Output:
	// 151538c7090cfb9f7244288b145ca3ee4b2e1c2003fe738683d21a87933c73dc 16 true
	// stored again: false
	// hello, stockroom at 15/15
}
