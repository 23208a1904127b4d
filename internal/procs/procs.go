// Package procs narrows the Go scheduler to one processor while a server
// does one thing at a time, and widens it again as soon as it does more.
//
// With more than one processor, every goroutine that becomes ready (a
// request's bytes arriving, net/http's background read of each request, a
// reply written) wakes an idle thread to look for more work. With one
// client there is none: the thread spins, finds nothing and sleeps again,
// and that was a quarter of the CPU of a GET on two cores. On one processor
// the same request costs only its own work.
//
// The code that does the work counts it (Begin, End): the server's
// requests and the library's background batches. A second piece of work
// in progress widens the scheduler at once; a few windows in a row with no
// more than one narrow it. Work that is not counted (goroutines a request
// starts, requests queued behind a long one) still widens it, within a
// window, when goroutines queue for the one processor.
//
// Only a program that calls Govern changes anything; for everyone else
// Begin and End are a few atomic operations.
package procs

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

var (
	working  atomic.Int64 // pieces of work in progress
	peak     atomic.Int64 // the most in progress since the governor last looked
	narrowed atomic.Bool  // GOMAXPROCS is 1 by the governor's choice
	mu       sync.Mutex   // serialises changes of GOMAXPROCS
	widens   atomic.Int64 // times widened
	narrows  atomic.Int64 // times narrowed
	govern   atomic.Bool  // a Govern runs
)

// Begin counts a piece of work that starts; End must follow. When it is
// the second in progress and the scheduler is narrowed, Begin widens it
// before it returns.
func Begin() {
	n := working.Add(1)
	for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
	}
	if n > 1 && narrowed.Load() {
		widen()
	}
}

// End counts a piece of work that ended.
func End() { working.Add(-1) }

// countKey is the context key of the count of a piece of work (Start).
type countKey struct{}

// Start counts a piece of work, as Begin does, and returns a context that
// carries its count and the function that ends it (once, whatever calls
// it). Work that will spend most of its life waiting (an event stream, for
// instance) ends its count early with Done(ctx).
func Start(ctx context.Context) (context.Context, func()) {
	Begin()
	var ended atomic.Bool
	end := func() {
		if ended.CompareAndSwap(false, true) {
			End()
		}
	}
	return context.WithValue(ctx, countKey{}, end), end
}

// Done ends the count that Start put in ctx, if any, before the work ends.
func Done(ctx context.Context) {
	if end, ok := ctx.Value(countKey{}).(func()); ok {
		end()
	}
}

// Changes returns how many times the governor narrowed the scheduler and
// widened it again, for metrics: a governor that changes it several times
// a second is being kept from its choice.
func Changes() (narrowed, widened int64) { return narrows.Load(), widens.Load() }

// widen gives the scheduler its default number of processors again (which
// also gives the runtime back its own updates of it, after a change of the
// CPU quota for instance).
func widen() {
	mu.Lock()
	defer mu.Unlock()
	if narrowed.Load() {
		runtime.SetDefaultGOMAXPROCS()
		narrowed.Store(false)
		widens.Add(1)
	}
}

// narrow runs the scheduler on one processor unless more than one piece
// of work is in progress.
func narrow() {
	mu.Lock()
	defer mu.Unlock()
	if !narrowed.Load() && working.Load() <= 1 {
		runtime.GOMAXPROCS(1)
		narrowed.Store(true)
		narrows.Add(1)
	}
}

// samplesPerWindow is how many times per window the governor counts the
// goroutines ready to run and waiting for a processor.
const samplesPerWindow = 5

// quietToNarrow is the number of windows in a row with no more than one
// piece of work in progress after which the governor narrows: work that
// comes and goes (uploads, each followed by a media batch that overlaps
// the next upload or not) would otherwise make it change every window.
const quietToNarrow = 3

// queuedToWiden is the average number of goroutines queued for the one
// processor over a window at which the governor widens. One is too few:
// with a single client, net/http's goroutine that watches each request's
// connection is often queued behind the request itself.
const queuedToWiden = 2

// quietAfterQueue is the number of windows the governor stays wide after
// it widened for goroutines in a queue, so that work it cannot count does
// not make it change every window.
const quietAfterQueue = 10

// Govern narrows the scheduler whenever no more than one piece of work
// was in progress during quietToNarrow windows in a row, and widens it
// when goroutines were queued for the one processor, queuedToWiden on
// average over a window (see the package documentation), until ctx ends;
// it then leaves the default number of processors. It does nothing where
// that default is already 1, or while another Govern runs (two servers in
// one process, in tests).
func Govern(ctx context.Context, window time.Duration) {
	if runtime.GOMAXPROCS(0) < 2 || !govern.CompareAndSwap(false, true) {
		return
	}
	defer govern.Store(false)
	defer widen()
	queue := []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}}
	var queued uint64
	samples, hold := 0, 0
	t := time.NewTicker(window / samplesPerWindow)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if metrics.Read(queue); queue[0].Value.Kind() == metrics.KindUint64 {
			queued += queue[0].Value.Uint64()
		}
		if samples++; samples < samplesPerWindow {
			continue
		}
		n := working.Load()
		busy := peak.Swap(n) > 1 || n > 1
		switch {
		case narrowed.Load() && queued >= queuedToWiden*samplesPerWindow:
			widen()
			hold = quietAfterQueue
		case busy:
			hold = max(hold, quietToNarrow-1)
		case hold > 0:
			hold--
		default:
			narrow()
		}
		queued, samples = 0, 0
	}
}
