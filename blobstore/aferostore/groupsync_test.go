package aferostore

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupSync: every caller's item is in a sync that started after the
// call, syncs never overlap, concurrent callers share syncs, and a failed
// sync fails its callers only.
func TestGroupSync(t *testing.T) {
	var g groupSync[int]
	var (
		mu       sync.Mutex
		syncedAt = map[int]int{} // item → the sync that had it
		running  atomic.Int32
		runs     int
	)
	run := func(items map[int]struct{}) error {
		if running.Add(1) != 1 {
			t.Error("two syncs at once")
		}
		defer running.Add(-1)
		mu.Lock()
		runs++
		for it := range items {
			syncedAt[it] = runs
		}
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	}
	const callers, each = 8, 50
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				it := c*each + i
				mu.Lock()
				before := runs
				mu.Unlock()
				if err := g.wait([]int{it}, run); err != nil {
					t.Error(err)
				}
				mu.Lock()
				if at, ok := syncedAt[it]; !ok || at <= before {
					t.Errorf("item %d synced by sync %d, called after sync %d began", it, at, before)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if runs >= callers*each {
		t.Errorf("%d syncs for %d concurrent calls: none shared", runs, callers*each)
	}

	errBoom := errors.New("boom")
	if err := g.wait([]int{-1}, func(map[int]struct{}) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Errorf("wait with a failing sync returned %v, want %v", err, errBoom)
	}
	if err := g.wait([]int{-2}, run); err != nil {
		t.Errorf("wait after a failed sync returned %v", err)
	}
}
