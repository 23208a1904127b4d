package preview_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/preview"
)

// TestPreviewBudget: previews take their decode's cost from the shared
// budget: the 16-bit PNG at the pixel limit (800 MB decoded) gets a
// placeholder without being decoded, and 16 previews at once of images
// costing 32 MB each never hold more than the budget.
func TestPreviewBudget(t *testing.T) {
	s, blobs := newService(t)
	s.Budget = imaging.NewBudget(100 << 20)
	ctx := context.Background()

	big := put(t, blobs, imagetest.PNG16(10000, 10000))
	p, err := s.Get(ctx, big, "image/png", preview.Box{Width: 256, Height: 256})
	if err != nil || !p.Placeholder || p.Reason != "over-memory-budget" {
		t.Fatalf("16-bit PNG at the limit: %v, %+v", err, p)
	}
	// The first frame of the 3,000-frame GIF is all a preview decodes.
	gif := put(t, blobs, imagetest.AnimatedGIF(1000, 1000, 3000))
	if p, err := s.Get(ctx, gif, "image/gif", preview.Box{Width: 256, Height: 256}); err != nil || p.Placeholder {
		t.Fatalf("animated GIF: %v, %+v", err, p)
	}

	var wg sync.WaitGroup
	for i := range 16 {
		h := put(t, blobs, imagetest.PNG16(uint32(2000+i), 2000))
		wg.Go(func() {
			p, err := s.Get(ctx, h, "image/png", preview.Box{Width: 128, Height: 128})
			if err != nil || p.Placeholder {
				t.Errorf("preview %d: %v, %+v", i, err, p.Reason)
			}
		})
	}
	wg.Wait()
	if peak := s.Budget.Peak(); peak > s.Budget.Size() || peak < 32_000_000 {
		t.Errorf("peak %d of a budget of %d", peak, s.Budget.Size())
	}
}
