// Embed shows Stockroom used as a library: it opens a library whose files
// live in memory and whose database is a temporary SQLite file, stores a
// file with a tag, and reads the file back through the blob store.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/resources"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "stockroom-embed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	lib, err := stockroom.Open(ctx, stockroom.Options{
		DBPath: filepath.Join(dir, "stockroom.db"),
		Fs:     afero.NewMemMapFs(),
	})
	if err != nil {
		return err
	}
	defer lib.Close()

	tag, err := lib.Store.SaveTag(ctx, resources.TagInput{Name: ptr("greeting")})
	if err != nil {
		return err
	}
	res, err := lib.Store.Create(ctx, strings.NewReader("hello, stockroom\n"), resources.CreateInput{
		OriginalName: "hello.txt",
		Tags:         []int64{tag.ID},
		Meta:         resources.Meta(`{"lang":"en"}`),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stored resource %d %q (%s, %d bytes, tags: %s)\n",
		res.ID, res.Name, res.ContentType, res.FileSize, res.Tags[0].Name)

	f, err := lib.Blobs.Open(ctx, res.Hash)
	if err != nil {
		return err
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "read back: %s", body)
	return nil
}

func ptr[T any](v T) *T { return &v }
