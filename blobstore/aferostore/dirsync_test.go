package aferostore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"path"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

// syncRecorder is an afero.Fs that records which directories are synced.
type syncRecorder struct {
	afero.Fs
	mu     sync.Mutex
	synced []string
}

type recordedFile struct {
	afero.File
	fs *syncRecorder
}

func (f recordedFile) Sync() error {
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.fs.mu.Lock()
		f.fs.synced = append(f.fs.synced, path.Clean("./"+f.Name()))
		f.fs.mu.Unlock()
	}
	return f.File.Sync()
}

func (r *syncRecorder) Open(name string) (afero.File, error) {
	f, err := r.Fs.Open(name)
	if err != nil {
		return nil, err
	}
	return recordedFile{f, r}, nil
}

// TestPutSyncsNewShardDirectories: a blob whose shard directories are new
// gets its own directory and the parents of the new ones synced, so a
// crash cannot lose the directory entry that leads to it.
func TestPutSyncsNewShardDirectories(t *testing.T) {
	rec := &syncRecorder{Fs: afero.NewMemMapFs()}
	s := aferostore.New(rec)
	res, err := s.Put(context.Background(), bytes.NewReader([]byte("first")))
	if err != nil {
		t.Fatal(err)
	}
	dir := path.Dir(res.Hash.Path())  // ab/cd
	shard := path.Dir(dir)            // ab
	want := []string{dir, shard, "."} // its directory, and the parents of ab/cd and ab
	// All are synced before Put returns, in one sync shared with other
	// Puts, in no particular order.
	if diff := cmp.Diff(want, rec.synced, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("directories synced (-want +got):\n%s", diff)
	}
}

// TestPutSyncsNewShardUnderKnownParent: a new shard directory in a top
// directory that an earlier Put made is made with one mkdir, and its
// parent is still synced; a Put into a shard directory that exists syncs
// that directory alone.
func TestPutSyncsNewShardUnderKnownParent(t *testing.T) {
	rec := &syncRecorder{Fs: afero.NewMemMapFs()}
	s := aferostore.New(rec)
	first, err := s.Put(context.Background(), bytes.NewReader([]byte("first")))
	if err != nil {
		t.Fatal(err)
	}
	top, shard := path.Dir(path.Dir(first.Hash.Path())), path.Dir(first.Hash.Path())
	// Content whose address is in the same top directory but another
	// shard, and content in the same shard.
	var sibling, same []byte
	for i := 0; sibling == nil || same == nil; i++ {
		c := fmt.Appendf(nil, "content %d", i)
		d := path.Dir(blobstore.Hash(sha256.Sum256(c)).Path())
		switch {
		case d == shard && same == nil:
			same = c
		case path.Dir(d) == top && d != shard && sibling == nil:
			sibling = c
		}
	}
	for _, tc := range []struct {
		content []byte
		want    func(dir string) []string
	}{
		{sibling, func(dir string) []string { return []string{dir, top} }},
		{same, func(dir string) []string { return []string{dir} }},
	} {
		rec.mu.Lock()
		rec.synced = nil
		rec.mu.Unlock()
		res, err := s.Put(context.Background(), bytes.NewReader(tc.content))
		if err != nil {
			t.Fatal(err)
		}
		want := tc.want(path.Dir(res.Hash.Path()))
		if diff := cmp.Diff(want, rec.synced, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("directories synced for %s (-want +got):\n%s", res.Hash.Path(), diff)
		}
		if ok, err := afero.IsDir(rec, path.Dir(res.Hash.Path())); err != nil || !ok {
			t.Errorf("shard directory of %s: %v, %v", res.Hash.Path(), ok, err)
		}
	}
}
