package preview_test

import (
	"bytes"
	"context"
	"image"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/preview"
)

// TestOldPreviewsNotServed: a preview cached by the previous version, at a
// size of its ladder, is not served for a box, and is counted under the
// cap so that it is evicted with the other previews of its image.
func TestOldPreviewsNotServed(t *testing.T) {
	ctx := context.Background()
	blobs := aferostore.New(afero.NewMemMapFs())
	h := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(3000, 1000, 1), 85))
	old := imagetest.JPEG(t, imagetest.Photo(256, 85, 2), 85)
	if err := blobs.PutDerived(ctx, h, "preview-v1-256x256", bytes.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	s := preview.New(blobs)
	p, err := s.Get(ctx, h, "image/jpeg", preview.Box{Width: 200, Height: 200})
	if err != nil || p.Placeholder {
		t.Fatalf("%v %+v", err, p)
	}
	if got := previewSize(t, p); s.Renders() != 1 || s.CacheHits() != 0 || got != image.Pt(200, 67) {
		t.Errorf("renders %d, cache hits %d, size %v; want a new 200x67 render", s.Renders(), s.CacheHits(), got)
	}
	if got, want := s.CacheBytes(), int64(len(old)+len(p.Data)); got != want {
		t.Errorf("cache counts %d bytes, want %d (the old preview and the new)", got, want)
	}
	// Restarted with a cap below what the image's previews take, the old
	// one goes with them.
	again := preview.New(blobs)
	again.CacheSize = int64(len(p.Data))
	if got := again.CacheBytes(); got != 0 {
		t.Errorf("restarted under a smaller cap: %d bytes counted", got)
	}
	if _, err := blobs.OpenDerived(ctx, h, "preview-v1-256x256"); err == nil {
		t.Error("the old preview was not evicted")
	}
}

// TestCacheCapOneImage: an image asked for in many boxes has a preview
// per box, and they are evicted, the image's own included, to keep under
// the cap.
func TestCacheCapOneImage(t *testing.T) {
	ctx := context.Background()
	s, blobs := newService(t)
	h := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(300, 200, 1), 85))
	if _, err := s.Get(ctx, h, "image/jpeg", preview.Box{Width: 100, Height: 100}); err != nil {
		t.Fatal(err)
	}
	s2 := preview.New(blobs)
	s2.CacheSize = 3 * s.CacheBytes()
	for w := 90; w < 110; w++ {
		p, err := s2.Get(ctx, h, "image/jpeg", preview.Box{Width: w, Height: w})
		if err != nil || p.Placeholder {
			t.Fatalf("%v %+v", err, p)
		}
		if got := s2.CacheBytes(); got > s2.CacheSize {
			t.Fatalf("after width %d: %d bytes cached, cap %d", w, got, s2.CacheSize)
		}
	}
	if s2.Renders() != 20 {
		t.Errorf("%d renders of 20 boxes", s2.Renders())
	}
}

// TestCacheCap: past CacheSize the previews of the least recently used
// images go, the total stays under the cap, and a Service started over the
// same store counts what is already there.
func TestCacheCap(t *testing.T) {
	s, blobs := newService(t)
	ctx := context.Background()
	var hs []blobstore.Hash
	for i := range 6 {
		hs = append(hs, put(t, blobs, imagetest.JPEG(t, imagetest.Photo(300, 200, uint64(i)), 85)))
	}
	box := preview.Box{Width: 128, Height: 128}
	get := func(s *preview.Service, h blobstore.Hash) {
		t.Helper()
		p, err := s.Get(ctx, h, "image/jpeg", box)
		if err != nil || p.Placeholder {
			t.Fatalf("Get: %v %+v", err, p)
		}
	}
	// The size of one preview sets the cap: room for three.
	get(s, hs[0])
	one := s.CacheBytes()
	if one == 0 {
		t.Fatal("the cached preview is not counted")
	}
	limit := 3*one + one/2
	s = preview.New(blobs)
	s.CacheSize = limit
	cached := func() []int {
		var out []int
		for i, h := range hs {
			if f, err := blobs.OpenDerived(ctx, h, "preview-v2-128x128"); err == nil {
				f.Close()
				out = append(out, i)
			}
		}
		return out
	}
	get(s, hs[1])
	get(s, hs[2])
	if diff := cmp.Diff([]int{0, 1, 2}, cached()); diff != "" {
		t.Fatalf("cached (-want +got):\n%s", diff)
	}
	get(s, hs[0]) // used: 1 is now the least recently used
	get(s, hs[3])
	if diff := cmp.Diff([]int{0, 2, 3}, cached()); diff != "" {
		t.Errorf("after a fourth image (-want +got):\n%s", diff)
	}
	for i := range 6 {
		get(s, hs[i])
		if s.CacheBytes() > limit {
			t.Fatalf("%d bytes cached, cap %d", s.CacheBytes(), limit)
		}
	}
	if got := cached(); len(got) != 3 {
		t.Errorf("cached %v, want the three last", got)
	}
	// A new Service (a restart) counts the stored previews before adding.
	again := preview.New(blobs)
	again.CacheSize = 2*one + one/2
	if got := again.CacheBytes(); got > again.CacheSize || got < one {
		t.Errorf("restarted index counts %d bytes, cap %d", got, again.CacheSize)
	}
	if got := cached(); len(got) != 2 {
		t.Errorf("after a restart with a smaller cap: cached %v, want 2", got)
	}
}
