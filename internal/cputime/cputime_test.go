package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessCounts spins for a while and expects the CPU time to grow by
// a good part of it and by no more than the processors could give.
func TestProcessCounts(t *testing.T) {
	if !Supported {
		t.Skip("no CPU time on " + runtime.GOOS)
	}
	c0, w0 := Process(), time.Now()
	x := 0
	for time.Since(w0) < 100*time.Millisecond {
		x++
	}
	used, wall := Process()-c0, time.Since(w0)
	if used < wall/4 || used > wall*time.Duration(runtime.NumCPU())+10*time.Millisecond {
		t.Errorf("spun %v (%d rounds) and Process grew by %v", wall, x, used)
	}
}
