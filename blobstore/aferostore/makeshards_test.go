package aferostore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

// TestMakeShards: MakeShards makes every shard directory, beside those
// Puts made, syncs the directories that gained entries, and a Put then
// makes none (ShardsMade counts the Puts' alone) and syncs its own
// directory alone.
func TestMakeShards(t *testing.T) {
	ctx := context.Background()
	rec := &syncRecorder{Fs: afero.NewMemMapFs()}
	s := aferostore.New(rec)
	first, err := s.Put(ctx, bytes.NewReader([]byte("first")))
	if err != nil {
		t.Fatal(err)
	}
	rec.synced = nil
	if err := s.MakeShards(ctx, 0); err != nil {
		t.Fatal(err)
	}
	want := []string{"."}
	for i := range 256 {
		want = append(want, fmt.Sprintf("%02x", i))
		for j := range 256 {
			if ok, err := afero.IsDir(rec, fmt.Sprintf("%02x/%02x", i, j)); err != nil || !ok {
				t.Fatalf("shard directory %02x/%02x: %v, %v", i, j, ok, err)
			}
		}
	}
	slices.Sort(rec.synced)
	if diff := cmp.Diff(want, slices.Compact(rec.synced)); diff != "" {
		t.Errorf("directories synced (-want +got):\n%s", diff)
	}
	if _, err := rec.Stat(first.Hash.Path()); err != nil {
		t.Errorf("the blob stored before: %v", err)
	}
	rec.synced = nil
	res, err := s.Put(ctx, bytes.NewReader([]byte("second")))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{path.Dir(res.Hash.Path())}, rec.synced); diff != "" {
		t.Errorf("directories synced by a Put after MakeShards (-want +got):\n%s", diff)
	}
	if n := s.ShardsMade(); n != 1 {
		t.Errorf("ShardsMade() = %d, want 1: the first Put's", n)
	}
}

// pausingFs pauses the Mkdir of one directory until released.
type pausingFs struct {
	*syncRecorder
	at      string
	reached chan struct{}
	release chan struct{}
}

func (p *pausingFs) Mkdir(name string, perm os.FileMode) error {
	if path.Clean(name) == p.at {
		close(p.reached)
		<-p.release
	}
	return p.syncRecorder.Mkdir(name, perm)
}

// TestMakeShardsWithPuts: a Put into a shard directory that MakeShards
// made but has not synced yet (its parent's sync comes after all its
// shards) syncs the parents itself, so that a crash cannot lose the
// directory with the blob.
func TestMakeShardsWithPuts(t *testing.T) {
	ctx := context.Background()
	rec := &syncRecorder{Fs: afero.NewMemMapFs()}
	p := &pausingFs{syncRecorder: rec, at: "00/ff", reached: make(chan struct{}), release: make(chan struct{})}
	s := aferostore.New(p)
	var content []byte
	for i := 0; content == nil; i++ {
		c := fmt.Appendf(nil, "content %d", i)
		if d := path.Dir(blobstore.Hash(sha256.Sum256(c)).Path()); path.Dir(d) == "00" && d != "00/ff" {
			content = c
		}
	}
	done := make(chan error)
	go func() { done <- s.MakeShards(ctx, 0) }()
	<-p.reached
	res, err := s.Put(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	synced := rec.synced
	rec.mu.Unlock()
	want := []string{path.Dir(res.Hash.Path()), "00", "."}
	if diff := cmp.Diff(want, synced, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("directories synced by a Put during MakeShards (-want +got):\n%s", diff)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
