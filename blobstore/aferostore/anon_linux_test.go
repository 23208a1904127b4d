package aferostore_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

// TestPutAnonymousTemp: with LocalDir, a Put in progress has no name in
// TempDir (a crash leaves nothing to clean), and the blob gets its name
// when done. The content is larger than what Put reads whole before
// making a file.
func TestPutAnonymousTemp(t *testing.T) {
	dir := t.TempDir()
	s := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	s.LocalDir = dir
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var name string
	go func() {
		res, err := s.Put(t.Context(), pr)
		name = res.Hash.Path()
		done <- err
	}()
	half := strings.Repeat("half of it, ", 6<<10)
	if _, err := pw.Write([]byte(half)); err != nil {
		t.Fatal(err)
	}
	// The temporary file exists once the first bytes are written.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, aferostore.TempDir)); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left, err := os.ReadDir(filepath.Join(dir, aferostore.TempDir)); err != nil || len(left) > 0 {
		t.Errorf("TempDir during a Put: %v, %v; want it empty", left, err)
	}
	pw.Write([]byte("the other half"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil || string(got) != half+"the other half" {
		t.Errorf("blob %s holds %d bytes, %v; want %d", name, len(got), err, len(half)+len("the other half"))
	}
}
