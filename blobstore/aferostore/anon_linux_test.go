package aferostore_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
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

// TestPutReplacesTornBlob: a small blob is named before its content is
// synced, so a crash of the machine may leave its name with less (here
// nothing, or other bytes of the same length). A Put of that content
// does not take such a file for the content stored: it stores it again.
func TestPutReplacesTornBlob(t *testing.T) {
	content := []byte("a small blob, named before its sync")
	for _, torn := range [][]byte{nil, []byte("a small blob\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")} {
		dir := t.TempDir()
		s := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
		s.LocalDir = dir
		name := filepath.Join(dir, filepath.FromSlash(blobstore.Hash(sha256.Sum256(content)).Path()))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, torn, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := s.Put(t.Context(), bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, content) {
			t.Errorf("after a Put over a torn file of %d bytes, the blob holds %q, %v; want %q", len(torn), got, err, content)
		}
		if !res.Created {
			t.Errorf("Put over a torn file of %d bytes: Created false, want true", len(torn))
		}
		if err := s.Verify(t.Context(), res.Hash); err != nil {
			t.Error(err)
		}
	}
}
