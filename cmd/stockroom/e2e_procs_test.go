//go:build !windows

package main

import (
	"bufio"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gomaxprocs reads the server's GOMAXPROCS from its metrics.
func gomaxprocs(t *testing.T, p *proc) int {
	t.Helper()
	return metricValue(t, p, "go_sched_gomaxprocs_threads")
}

// metricValue reads a metric without labels from the server.
func metricValue(t *testing.T, p *proc, name string) int {
	t.Helper()
	v, ok := serverMetrics(t, p.base)[name]
	if !ok {
		t.Fatalf("no %s in the server's metrics", name)
	}
	return int(v)
}

// serverMetrics reads the server's metrics that have no labels, by name.
func serverMetrics(tb testing.TB, base string) map[string]float64 {
	tb.Helper()
	_, b := fetch(tb, base+"/metrics")
	m := map[string]float64{}
	for line := range strings.Lines(string(b)) {
		name, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			m[name] = f
		}
	}
	return m
}

// TestE2EAdaptiveProcs: an idle server runs Go on one CPU, an event stream
// does not keep it on more, a request in progress beside another puts it
// on every CPU at once; -adaptive-procs=false and GOMAXPROCS keep it on
// what the runtime chose.
func TestE2EAdaptiveProcs(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	waitFor(t, 10*time.Second, "GOMAXPROCS 1 while idle", func() bool { return gomaxprocs(t, p) == 1 })

	resp, err := http.Get(p.url("/v1/jobs/events"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "event: init") {
		t.Fatalf("events stream: %q, %v", line, err)
	}
	// Each metrics request beside the open stream is the only work in
	// progress. Were the stream work, every such request would be a second
	// piece and the server would never narrow again (that takes three quiet
	// windows in a row). A busy machine may widen it for a moment (its
	// goroutines queue), as CI's parallel packages once did, so the test
	// waits for it to be narrow over the next windows rather than asking at
	// each.
	time.Sleep(3 * procsWindow)
	waitFor(t, 10*time.Second, "GOMAXPROCS 1 with an event stream open (the stream must not count as work)", func() bool { return gomaxprocs(t, p) == 1 })

	// With an upload in progress the metrics request is the second piece
	// of work: it is answered on every CPU.
	startStuckUpload(t, p, dataDir)
	if n := gomaxprocs(t, p); n != runtime.NumCPU() {
		t.Fatalf("GOMAXPROCS %d beside an upload in progress, want %d", n, runtime.NumCPU())
	}
	if n, w := metricValue(t, p, "stockroom_procs_narrowed_total"), metricValue(t, p, "stockroom_procs_widened_total"); n < 1 || w < 1 {
		t.Errorf("metrics count %d narrowings and %d widenings; want at least one of each", n, w)
	}

	for name, run := range map[string]func() *proc{
		"-adaptive-procs=false": func() *proc {
			return startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-ephemeral", "-adaptive-procs=false")
		},
		"GOMAXPROCS=2": func() *proc {
			return startServer(t, t.TempDir(), []string{"GOMAXPROCS=2"}, "-bind-address", "127.0.0.1:0", "-ephemeral")
		},
	} {
		q := run()
		time.Sleep(5 * procsWindow)
		if n := gomaxprocs(t, q); n < 2 {
			t.Errorf("%s: GOMAXPROCS %d while idle, want the runtime's own", name, n)
		}
	}
}
