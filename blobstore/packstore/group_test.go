package packstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

// openTest opens a pack in front of the files of a new folder.
func openTest(t *testing.T) *Store {
	t.Helper()
	dir := t.TempDir()
	files := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	files.LocalDir = dir
	s, err := Open(context.Background(), filepath.Join(dir, FileName), files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestGroupCommit holds the first commit until the other Puts wait, then
// checks that they were committed together, and all of them stored.
func TestGroupCommit(t *testing.T) {
	s := openTest(t)
	const puts = 8
	var (
		mu      sync.Mutex
		batches []int
		release = make(chan struct{})
	)
	s.beforeCommit = func(n int) {
		mu.Lock()
		first := len(batches) == 0
		batches = append(batches, n)
		mu.Unlock()
		if first {
			<-release
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, puts)
	for i := range puts {
		wg.Go(func() {
			res, err := s.Put(context.Background(), bytes.NewReader(fmt.Appendf(nil, "blob %d", i)))
			if err == nil && !res.Created {
				err = fmt.Errorf("blob %d: not created", i)
			}
			errs <- err
		})
	}
	// The first Put's commit is held; the rest reach the committer's
	// door meanwhile (a generous wait: they have a hash to compute and a
	// file to look for).
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		started := len(batches) > 0
		mu.Unlock()
		if started || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range batches {
		total += n
	}
	if total != puts || len(batches) > 2 {
		t.Errorf("batches %v: want the %d Puts in at most 2 commits", batches, puts)
	}
}

// TestRemovalsDoNotWaitForTheDisk: a batch of removals alone commits with
// synchronous=NORMAL, and the next Put with FULL again.
func TestRemovalsDoNotWaitForTheDisk(t *testing.T) {
	s := openTest(t)
	synchronous := func() int {
		var n int
		if err := s.db.Writer.DB.QueryRow("PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const normal, full = 1, 2
	put := func(content string) blobstore.PutResult {
		res, err := s.Put(context.Background(), bytes.NewReader([]byte(content)))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := put("a")
	if got := synchronous(); got != full {
		t.Errorf("after a Put: synchronous = %d, want %d", got, full)
	}
	if err := s.Remove(context.Background(), a.Hash); err != nil {
		t.Fatal(err)
	}
	if got := synchronous(); got != normal {
		t.Errorf("after a removal: synchronous = %d, want %d", got, normal)
	}
	if _, err := s.Stat(context.Background(), a.Hash); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Stat after Remove: %v", err)
	}
	put("b")
	if got := synchronous(); got != full {
		t.Errorf("after the next Put: synchronous = %d, want %d", got, full)
	}
}

// TestWalkPages walks a pack of several pages, with files between.
func TestWalkPages(t *testing.T) {
	defer func(n int) { walkPage = n }(walkPage)
	walkPage = 2
	s := openTest(t)
	want := map[blobstore.Hash]bool{}
	for i := range 9 {
		size := 10 // packed
		if i%4 == 0 {
			size = DefaultSmall + 1 // a file
		}
		res, err := s.Put(context.Background(), bytes.NewReader(bytes.Repeat([]byte{byte(i)}, size)))
		if err != nil {
			t.Fatal(err)
		}
		want[res.Hash] = true
	}
	var got []blobstore.Hash
	if err := s.Walk(context.Background(), func(i blobstore.Info) error { got = append(got, i.Hash); return nil }); err != nil {
		t.Fatal(err)
	}
	sorted := slices.IsSortedFunc(got, func(a, b blobstore.Hash) int { return bytes.Compare(a[:], b[:]) })
	if len(got) != len(want) || !sorted {
		t.Errorf("Walk reported %d blobs (sorted %v), want the %d put, in order", len(got), sorted, len(want))
	}
	for _, h := range got {
		if !want[h] {
			t.Errorf("Walk reported %s, never put", h)
		}
		delete(want, h)
	}
}
