package aferostore_test

import (
	"bytes"
	"context"
	"path"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/afero"

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
