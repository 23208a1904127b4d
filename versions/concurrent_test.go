package versions_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

// TestConcurrentHistory runs uploads, restores, deletions and cleanups at
// once on two resources whose files share content, so that blobs are
// dropped by one goroutine while another uploads the same bytes. The only
// errors allowed are the conflicts such races explain; afterwards the
// invariants hold.
func TestConcurrentHistory(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pool := [][]byte{[]byte("alpha"), []byte("beta"), []byte("gamma"), pngBytes(t, 3, 2, 1)}
	ids := []int64{
		e.create(t, pool[0], resources.CreateInput{}).ID,
		e.create(t, pool[1], resources.CreateInput{}).ID,
	}
	const workers, ops = 4, 40
	var (
		wg        sync.WaitGroup
		succeeded atomic.Int64
	)
	errs := make(chan error, workers*ops)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range ops {
				rid := ids[rng.IntN(len(ids))]
				var err error
				switch rng.IntN(4) {
				case 0:
					_, err = e.V.Upload(ctx, rid, bytes.NewReader(pool[rng.IntN(len(pool))]), "")
				case 1, 2:
					vs, lerr := e.V.List(ctx, rid)
					if lerr != nil {
						err = lerr
						break
					}
					v := vs[rng.IntN(len(vs))]
					if rng.IntN(2) == 0 {
						_, err = e.V.Restore(ctx, rid, v.ID, "")
					} else {
						err = e.V.Delete(ctx, rid, v.ID)
					}
				default:
					_, err = e.V.Cleanup(ctx, rid, versions.CleanupOptions{KeepLast: 1 + rng.IntN(2)})
				}
				// Another goroutine may have deleted the version picked, or
				// made it current, or be deleting the blob being uploaded.
				switch {
				case err == nil:
					succeeded.Add(1)
				case !errors.Is(err, resources.ErrNotFound) && !errors.Is(err, resources.ErrConflict):
					errs <- fmt.Errorf("worker %d: %w", w, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d of %d operations succeeded", succeeded.Load(), workers*ops)
	checkInvariants(t, e, "after the concurrent run")
}
