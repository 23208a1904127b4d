package procs

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The tests change the process's GOMAXPROCS, so none runs in parallel.

const testWindow = 5 * time.Millisecond

// startGovern runs Govern for the test and returns the default number of
// processors, which it checks is restored at the end.
func startGovern(t *testing.T) int {
	t.Helper()
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	runtime.SetDefaultGOMAXPROCS()
	wide := runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Govern(ctx, testWindow) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if got := runtime.GOMAXPROCS(0); got != wide || narrowed.Load() {
			t.Errorf("after Govern: GOMAXPROCS %d, narrowed %v; want %d, false", got, narrowed.Load(), wide)
		}
	})
	return wide
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never %s (GOMAXPROCS %d, narrowed %v)", what, runtime.GOMAXPROCS(0), narrowed.Load())
		}
	}
}

func isNarrow() bool { return narrowed.Load() && runtime.GOMAXPROCS(0) == 1 }

func TestGovernFollowsCountedWork(t *testing.T) {
	wide := startGovern(t)
	waitFor(t, "narrowed while idle", isNarrow)

	Begin()
	time.Sleep(4 * testWindow)
	if !isNarrow() {
		t.Fatalf("one piece of work widened the scheduler to %d", runtime.GOMAXPROCS(0))
	}
	Begin() // the second widens before Begin returns
	if got := runtime.GOMAXPROCS(0); got != wide || narrowed.Load() {
		t.Fatalf("with two pieces of work: GOMAXPROCS %d, narrowed %v; want %d", got, narrowed.Load(), wide)
	}
	time.Sleep(4 * testWindow)
	if got := runtime.GOMAXPROCS(0); got != wide {
		t.Fatalf("narrowed to %d with two pieces of work in progress", got)
	}
	End()
	End()
	waitFor(t, "narrowed again once the work ended", isNarrow)
}

// spin runs n goroutines that nothing counts and that always want a
// processor, until the test ends.
func spin(t *testing.T, n int) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 1e5; i++ {
				}
			}
		})
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
}

func TestGovernWidensForUncountedWork(t *testing.T) {
	wide := startGovern(t)
	waitFor(t, "narrowed while idle", isNarrow)
	before := widens.Load()
	// When the governor looks, it runs and all of them are queued.
	spin(t, queuedToWiden)
	waitFor(t, "widened for goroutines queued for a processor", func() bool {
		return widens.Load() > before && runtime.GOMAXPROCS(0) == wide
	})
}

// One goroutine queued is what net/http's watcher of a request's
// connection makes while the request runs: it must not widen.
func TestGovernStaysNarrowForOneQueued(t *testing.T) {
	startGovern(t)
	waitFor(t, "narrowed while idle", isNarrow)
	spin(t, queuedToWiden-1)
	time.Sleep(20 * testWindow)
	if !isNarrow() {
		t.Fatalf("widened to %d for %d goroutine(s) queued", runtime.GOMAXPROCS(0), queuedToWiden-1)
	}
}

func TestBeginEndWithoutGovern(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	for range 3 {
		Begin()
	}
	for range 3 {
		End()
	}
	if got := runtime.GOMAXPROCS(0); got != before || narrowed.Load() {
		t.Fatalf("GOMAXPROCS %d, narrowed %v; want %d, false", got, narrowed.Load(), before)
	}
	if n := working.Load(); n != 0 {
		t.Fatalf("%d pieces of work left counted", n)
	}
}

// BenchmarkNarrowWiden measures a change of the scheduler each way, which
// stops the world: the price of a widen on a request's path.
func BenchmarkNarrowWiden(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("needs two CPUs")
	}
	defer runtime.SetDefaultGOMAXPROCS()
	for b.Loop() {
		narrow()
		widen()
	}
}

// BenchmarkBeginEnd is the cost of counting a piece of work.
func BenchmarkBeginEnd(b *testing.B) {
	for b.Loop() {
		Begin()
		End()
	}
}

func TestStartDone(t *testing.T) {
	ctx, end := Start(context.Background())
	if n := working.Load(); n != 1 {
		t.Fatalf("after Start: %d in progress, want 1", n)
	}
	Done(ctx)
	Done(ctx)
	end()
	if n := working.Load(); n != 0 {
		t.Fatalf("after Done twice and the end: %d in progress, want 0", n)
	}
	Done(context.Background()) // nothing counted: nothing to end
	if n := working.Load(); n != 0 {
		t.Fatalf("Done without Start changed the count to %d", n)
	}
}

func TestOneGovernAtATime(t *testing.T) {
	startGovern(t)
	waitFor(t, "narrowed while idle", isNarrow)
	done := make(chan struct{})
	go func() { defer close(done); Govern(context.Background(), testWindow) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a second Govern did not return at once")
	}
	if !isNarrow() {
		t.Fatal("the second Govern changed the scheduler")
	}
}
