package aferostore

import "sync"

// groupSync runs one sync at a time on behalf of any number of callers
// (group commit). A caller that arrives while a sync runs waits for it to
// end, then for the next one, which one of the waiting callers runs for
// all of them with every item they brought: what a caller did before it
// called wait is covered by a sync that started after that. The zero
// value is ready to use.
type groupSync[T comparable] struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	started uint64         // syncs begun
	done    uint64         // syncs ended; done == started unless running
	pending map[T]struct{} // items of the next sync
	errGen  uint64         // the last sync that failed, and its error
	err     error
}

// wait returns once a sync that started after the call, and was given
// items, has ended, with the error of a sync that failed since then. run
// is the sync, which the caller runs should its turn come.
func (g *groupSync[T]) wait(items []T, run func(items map[T]struct{}) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	if g.pending == nil {
		g.pending = make(map[T]struct{})
	}
	for _, it := range items {
		g.pending[it] = struct{}{}
	}
	target := g.started + 1
	for g.done < target {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		gen, batch := g.started, g.pending
		g.pending = make(map[T]struct{})
		g.mu.Unlock()
		err := run(batch)
		g.mu.Lock()
		g.running = false
		g.done = gen
		if err != nil {
			g.errGen, g.err = gen, err
		}
		g.cond.Broadcast()
	}
	if g.err != nil && g.errGen >= target {
		return g.err
	}
	return nil
}
