package preview

import (
	"context"
	"sync"
)

// flightGroup runs one function per key at a time: callers asking for a
// key already in flight wait for its result instead of starting another.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	p    *Preview
	err  error
}

// do returns fn's result for key, running fn in its own goroutine unless a
// call for key is already running. A caller whose ctx ends stops waiting;
// fn goes on.
func (g *flightGroup) do(ctx context.Context, key string, fn func() (*Preview, error)) (*Preview, error) {
	g.mu.Lock()
	c, running := g.calls[key]
	if !running {
		if g.calls == nil {
			g.calls = make(map[string]*flightCall)
		}
		c = &flightCall{done: make(chan struct{})}
		g.calls[key] = c
		go func() {
			defer close(c.done)
			c.p, c.err = fn()
			g.mu.Lock()
			delete(g.calls, key)
			g.mu.Unlock()
		}()
	}
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.p, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
