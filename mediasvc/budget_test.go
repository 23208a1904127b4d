package mediasvc_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/resources"
)

// TestRotateBudget: the hostile files of issue 14 are refused before they
// are decoded, and many rotations at once hold no more than the budget.
func TestRotateBudget(t *testing.T) {
	s, _ := newTestStore(t)
	budget := imaging.NewBudget(8 << 20)
	m := mediasvc.New(s, mediasvc.Config{Budget: budget})
	ctx := context.Background()

	hostile := []struct {
		name string
		data []byte
	}{
		{"gif of 3000 frames of 1000x1000", imagetest.AnimatedGIF(1000, 1000, 3000)},
		{"16-bit png of 10000x10000", imagetest.PNG16(10000, 10000)},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			r := mustCreate(t, s, h.data, resources.CreateInput{Name: h.name})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := m.Rotate(ctx, r.ID, 90)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, resources.ErrUnsupported) || !errors.Is(err, imaging.ErrOverBudget) {
				t.Errorf("Rotate: %v, want ErrUnsupported for the budget", err)
			}
			// Reading headers and frame descriptors, not pixels.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("refusing allocated %d MiB", alloc>>20)
			}
		})
	}

	// 16 rotations of 500x500 images at once, each costing 3 MB
	// (decoded, oriented and turned copies): two fit at a time.
	var ids []int64
	for i := range 16 {
		r := mustCreate(t, s, imagetest.Encode(t, imagetest.Photo(500, 500, uint64(i)), "image/png"), resources.CreateInput{Name: fmt.Sprint(i)})
		ids = append(ids, r.ID)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if _, err := m.Rotate(ctx, id, 180); err != nil {
				t.Errorf("Rotate %d: %v", id, err)
			}
		})
	}
	wg.Wait()
	if budget.Peak() > budget.Size() || budget.Peak() < 3_000_000 {
		t.Errorf("peak %d of a budget of %d", budget.Peak(), budget.Size())
	}
}
