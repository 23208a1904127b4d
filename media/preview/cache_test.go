package preview_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/preview"
)

// TestBoxLadder: every requested size lands on a few boxes.
func TestBoxLadder(t *testing.T) {
	boxes := map[preview.Box]bool{}
	for w := 0; w <= 3000; w += 7 {
		for _, h := range []int{0, 1, 63, 64, 65, 200, 700, 2047, 2048, 5000} {
			b, err := preview.NewBox(w, h)
			if err != nil {
				t.Fatal(err)
			}
			boxes[b] = true
			// The box holds what was asked for (up to MaxBox).
			if w > 0 && b.Width < min(w, preview.MaxBox) || h > 0 && b.Height < min(h, preview.MaxBox) {
				t.Fatalf("NewBox(%d, %d) = %v, smaller than asked", w, h, b)
			}
		}
	}
	// 6 steps per side, plus the default box.
	if len(boxes) > 6*6+1 {
		t.Errorf("%d distinct boxes, want at most 37", len(boxes))
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
			if f, err := blobs.OpenDerived(ctx, h, "preview-v1-128x128"); err == nil {
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
