package dbtx

import (
	"context"
	"fmt"
	"sync"

	"github.com/uptrace/bun"
)

// maxGroup bounds the writes one grouped transaction holds.
const maxGroup = 64

// Group runs write transactions like Write, but those that wait for one
// another share a transaction (group commit): while one runs, the writes
// that arrive queue up, and the first of them, once it is its turn, runs
// them all in one transaction, each in a savepoint of its own. A write
// that fails is rolled back to its savepoint and fails alone; should the
// commit fail, every write in it fails. One write at a time (a single
// client) runs exactly as with Write. Each write's function runs with its
// own context, cancellation aside: the writes of others share its
// transaction, and an interrupted statement would roll back all of them.
// The zero value is not usable; a Group is safe for concurrent use.
type Group struct {
	db *bun.DB

	mu      sync.Mutex
	queue   []*groupWrite
	running bool // a leader is running a transaction
}

type groupWrite struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx Tx) error
	err  error
	wake chan bool // true: lead the next transaction; false: done
}

// NewGroup returns a Group of the write transactions of db.
func NewGroup(db *bun.DB) *Group { return &Group{db: db} }

// Write runs fn in a write transaction of the Group's database, possibly
// shared with other writes, and returns fn's error or that of the commit.
func (g *Group) Write(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &groupWrite{ctx: context.WithoutCancel(ctx), fn: fn, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if !lead && !<-w.wake {
		return w.err // another write's transaction held this one
	}
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	g.run(batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- true // the longest waiting write leads the next
	} else {
		g.running = false
	}
	g.mu.Unlock()
	for _, o := range batch {
		if o != w {
			o.wake <- false
		}
	}
	return w.err
}

// run runs batch in one transaction and sets the error of each write.
func (g *Group) run(batch []*groupWrite) {
	if len(batch) == 1 {
		w := batch[0]
		w.err = Write(w.ctx, g.db, func(_ context.Context, tx Tx) error { return call(w, tx) })
		return
	}
	err := Write(batch[0].ctx, g.db, func(ctx context.Context, tx Tx) error {
		for _, w := range batch {
			if _, err := tx.SQL().ExecContext(ctx, "SAVEPOINT stockroom_group"); err != nil {
				return err
			}
			if w.err = call(w, tx); w.err != nil {
				if _, err := tx.SQL().ExecContext(ctx, "ROLLBACK TO SAVEPOINT stockroom_group"); err != nil {
					return err
				}
			}
			if _, err := tx.SQL().ExecContext(ctx, "RELEASE SAVEPOINT stockroom_group"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
		}
	}
}

// call runs w's function in tx; a panic, which the leader must not pass
// on to its own request, fails w alone.
func call(w *groupWrite, tx Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a write transaction: %v", p)
		}
	}()
	return w.fn(w.ctx, tx)
}
