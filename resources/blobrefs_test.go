package resources_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources"
)

func TestRemoveUnreferencedBlobs(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	kept := mustCreate(t, s, []byte("a resource's file"), resources.CreateInput{})
	withVersion := mustCreate(t, s, []byte("v1 of another"), resources.CreateInput{})
	if _, err := s.AppendVersion(ctx, withVersion.ID, resources.Content{Hash: kept.Hash, Size: kept.FileSize}, ""); err != nil {
		t.Fatal(err)
	}
	// Garbage: blobs that no row refers to, more than one query's worth.
	var garbage []blobstore.Hash
	for i := range 1000 {
		res, err := bs.Put(ctx, bytes.NewReader(fmt.Appendf(nil, "garbage %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		garbage = append(garbage, res.Hash)
	}
	// A pinned upload: staged, its rows not committed yet.
	up, err := s.Stage(ctx, bytes.NewReader([]byte("in flight")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(ctx, up)

	hashes := append([]blobstore.Hash{kept.Hash, withVersion.Hash, up.Hash, {}}, garbage...) // the zero Hash is skipped
	hashes = append(hashes, garbage[:10]...)                                                 // repeated hashes are fine
	s.RemoveUnreferencedBlobs(ctx, hashes)

	want := []string{kept.Hash.String(), withVersion.Hash.String(), up.Hash.String()}
	slices.Sort(want)
	if got := storedBlobs(t, bs); !slices.Equal(got, want) {
		t.Errorf("%d blobs left, want the %d referenced or pinned ones", len(got), len(want))
	}
}
