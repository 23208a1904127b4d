package imaging_test

import (
	"bytes"
	"context"
	"errors"
	"image/gif"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
)

func TestBudget(t *testing.T) {
	b := imaging.NewBudget(100)
	ctx := context.Background()
	if _, err := b.Acquire(ctx, 101); !errors.Is(err, imaging.ErrOverBudget) {
		t.Fatalf("Acquire past the budget: %v", err)
	}
	r1, err := b.Acquire(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	// 50 more does not fit: it waits, and gives up with its context.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(short, 50); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire that cannot fit: %v", err)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := b.Acquire(ctx, 50)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("granted while the budget was taken")
	case <-time.After(20 * time.Millisecond):
	}
	r1()
	r1() // releasing twice gives back once
	(<-got)()
	if b.Peak() != 60 {
		t.Errorf("peak %d, want 60", b.Peak())
	}

	// Many jobs at once never hold more than the budget.
	var held, worst atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			n := int64(10 + i%40)
			release, err := b.Acquire(ctx, n)
			if err != nil {
				t.Error(err)
				return
			}
			now := held.Add(n)
			for {
				w := worst.Load()
				if now <= w || worst.CompareAndSwap(w, now) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			held.Add(-n)
			release()
		})
	}
	wg.Wait()
	if worst.Load() > 100 || b.Peak() > 100 {
		t.Errorf("held %d at once (peak %d), budget 100", worst.Load(), b.Peak())
	}
}

func TestGIFFrames(t *testing.T) {
	small := imagetest.AnimatedGIF(30, 20, 7)
	g, err := gif.DecodeAll(bytes.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	frames, pixels, err := imaging.GIFFrames(bytes.NewReader(small), 1<<30)
	if err != nil || frames != len(g.Image) || pixels != 7*30*20 {
		t.Fatalf("GIFFrames = %d frames, %d pixels, %v; want %d, %d", frames, pixels, err, len(g.Image), 7*30*20)
	}
	// The GIF of issue 14: 3,000 frames of 1000x1000, 3 GB decoded. It is
	// refused once the frames read pass the bound, without decoding.
	hostile := imagetest.AnimatedGIF(1000, 1000, 3000)
	t.Logf("hostile GIF: %d bytes", len(hostile))
	frames, _, err = imaging.GIFFrames(bytes.NewReader(hostile), 256<<20)
	if !errors.Is(err, imaging.ErrOverBudget) || frames > 269 {
		t.Errorf("hostile GIF: %d frames read, %v", frames, err)
	}
	if _, _, err := imaging.GIFFrames(bytes.NewReader(small[:len(small)/2]), 1<<30); !errors.Is(err, imaging.ErrDecode) {
		t.Errorf("truncated GIF: %v", err)
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		ct   string
		want int64
	}{
		{"16-bit PNG", imagetest.PNG16(100, 50), "image/png", 100 * 50 * 8},
		{"8-bit PNG", imagetest.PNGHeader(100, 50), "image/png", 100 * 50 * 4},
		{"GIF", imagetest.AnimatedGIF(100, 50, 3), "image/gif", 100 * 50},
	} {
		r := bytes.NewReader(tc.data)
		got, err := imaging.Cost(r, tc.ct, imaging.Options{})
		if err != nil || got != tc.want {
			t.Errorf("%s: Cost = %d, %v; want %d", tc.name, got, err, tc.want)
		}
		if pos, _ := r.Seek(0, 1); pos != 0 {
			t.Errorf("%s: left at %d, want the start", tc.name, pos)
		}
	}
	// The 16-bit PNG at the 100 MP limit costs 800 MB: more than the
	// default budget, so it is refused before decoding.
	big := imagetest.PNG16(10000, 10000)
	t.Logf("16-bit PNG at the limit: %d bytes", len(big))
	cost, err := imaging.Cost(bytes.NewReader(big), "image/png", imaging.Options{})
	if err != nil || cost != 800_000_000 {
		t.Fatalf("Cost = %d, %v", cost, err)
	}
	if _, err := imaging.NewBudget(imaging.DefaultBudgetCap).Acquire(context.Background(), cost); !errors.Is(err, imaging.ErrOverBudget) {
		t.Errorf("Acquire(%d) of the default budget: %v", cost, err)
	}
}
