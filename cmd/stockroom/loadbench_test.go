//go:build linux

// The everyday-speed benchmark: it drives the real binary over loopback
// HTTP, as a user would, and prints what each kind of request costs the
// server. It runs only when STOCKROOM_LOADBENCH is set (it takes about a
// minute), so that a regression shows in a table anyone can reproduce:
//
//	STOCKROOM_LOADBENCH=1 go test ./cmd/stockroom -run TestLoadBench -v
//
// STOCKROOM_LOADBENCH_N sets the library size (default 2000) and
// STOCKROOM_LOADBENCH_REQS the requests per row (default 1000).
// The CPU column is the server's, less that of its media worker during the
// row (bg, read from /metrics): that background work is reported apart.
// STOCKROOM_LOADBENCH_ONLY, when set, runs only the rows whose request
// names contain it (say "upload").
// STOCKROOM_LOADBENCH_PPROF=host:port passes through to the server as
// STOCKROOM_PPROF, for profiling it under this load; with it,
// STOCKROOM_LOADBENCH_PROFILES=dir also saves a CPU profile of the first
// STOCKROOM_LOADBENCH_PROFILE_SECONDS (default 3) of every row in dir, so
// that each kind of request has a profile of its own (raise
// STOCKROOM_LOADBENCH_REQS so that the rows last that long).
// STOCKROOM_LOADBENCH_SERVER_ENV="K=V K=V" sets variables for the server
// alone (say GOMAXPROCS=1 or GOGC=200): set in the test's environment they
// would change the client too, which shares the cores. ADAPTIVE_PROCS=false
// there compares a server that keeps every CPU with the default one, which
// runs on one while it serves one request at a time (internal/procs).
// STOCKROOM_LOADBENCH_LATENCIES=dir writes each row's latencies to
// dir/<row>-c<clients>.txt, in microseconds, one per line in the order the
// requests were taken, so that periodic stalls show by their spacing. The
// log says, for every row, how much of its time went to requests slower
// than four times its median: a stall (a checkpoint, a flush queued behind
// another's) costs one client's throughput more than its p99 shows.
//
// The speed of this machine drifts by a third or more over hours, so a
// before-and-after comparison is only fair within minutes.
// STOCKROOM_LOADBENCH_COMPARE="/tmp/before /tmp/after" runs the benchmark
// against each of those stockroom binaries in turn, with a library of its
// own, STOCKROOM_LOADBENCH_ROUNDS times (default 3; another binary first
// in each round, after the machine has settled), and prints each
// column's median per binary and its req/s against the first's. Build
// them from the commits to compare (git worktree add, then go build -o
// /tmp/before ./cmd/stockroom). A server from before the media worker's
// CPU metric (fe062bd) shows bg as 0, its worker's CPU in the CPU column.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"golang.org/x/sys/unix"
)

func loadbenchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchJPEG is a distinct photo-like JPEG of 4–8 KB: each seed gives other
// bytes, so no upload is a duplicate of another.
func benchJPEG(tb testing.TB, seed uint64) []byte {
	return imagetest.JPEG(tb, imagetest.Photo(200, 150, seed), 90)
}

// multipartUpload builds the body of one upload.
func multipartUpload(tb testing.TB, name string, content []byte, fields url.Values) (string, []byte) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("resource", name)
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

type benchRow struct {
	name    string
	clients int
	n       int
	wall    time.Duration
	cpu     time.Duration // the server's, less bg
	bg      time.Duration // the media worker's during the row
	changes int           // the adaptive-procs governor's during the row
	lat     []time.Duration
	// disk is what the data folder's device did during the row; nil
	// where it has no counters to read.
	disk *diskCounters
}

// diskCounters are the counters of a block device that say what a durable
// write costs it: flush requests (each fsync ends in one) and KiB written.
type diskCounters struct{ flushes, kib int64 }

// readDiskCounters reads the counters of the device holding dir, from
// /sys/dev/block/<major>:<minor>/stat (fields 16 and 7: flush requests
// and sectors written); nil where the device has none (tmpfs, overlays).
func readDiskCounters(dir string) *diskCounters {
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/stat", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 16 {
		return nil
	}
	flushes, err1 := strconv.ParseInt(f[15], 10, 64)
	sectors, err2 := strconv.ParseInt(f[6], 10, 64)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &diskCounters{flushes: flushes, kib: sectors / 2}
}

// stalls describes the requests of the row slower than four times its
// median: how many, and their share of the time all its requests took.
func (r benchRow) stalls() string {
	sorted := slices.Sorted(slices.Values(r.lat))
	limit := 4 * sorted[len(sorted)/2]
	var n int
	var slow, all time.Duration
	for _, l := range r.lat {
		all += l
		if l > limit {
			n++
			slow += l
		}
	}
	return fmt.Sprintf("%s, %d clients: mean %.2f ms; %d requests over %.2f ms (4× the median) took %.0f%% of the time",
		r.name, r.clients, float64(all.Microseconds())/1000/float64(len(r.lat)), n,
		float64(limit.Microseconds())/1000, 100*slow.Seconds()/all.Seconds())
}

// writeLatencies writes the row's latencies in µs, in request order, to
// a file of dir named after the row.
func (r benchRow) writeLatencies(dir, file string) error {
	var b strings.Builder
	for _, l := range r.lat {
		fmt.Fprintf(&b, "%d\n", l.Microseconds())
	}
	return os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-c%d.txt", file, r.clients)), []byte(b.String()), 0o644)
}

// rowStats are a row's figures as its table prints them: milliseconds,
// and per request.
type rowStats struct {
	reqPerSec, p50, p99, cpu, bg float64
	flushes, kib                 float64 // NaN without disk counters
}

func (r benchRow) stats() rowStats {
	lat := slices.Sorted(slices.Values(r.lat))
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(r.n) }
	s := rowStats{reqPerSec: float64(r.n) / r.wall.Seconds(), p50: pct(0.50), p99: pct(0.99),
		cpu: perReq(r.cpu), bg: perReq(r.bg), flushes: math.NaN(), kib: math.NaN()}
	if r.disk != nil {
		s.flushes = float64(r.disk.flushes) / float64(r.n)
		s.kib = float64(r.disk.kib) / float64(r.n)
	}
	return s
}

// medianStats is each column's median over rows, on its own: the middle
// one of an odd number, the mean of the two middle ones of an even one.
func medianStats(rows []rowStats) rowStats {
	median := func(get func(rowStats) float64) float64 {
		var v []float64
		for _, r := range rows {
			v = append(v, get(r))
		}
		slices.Sort(v)
		return (v[(len(v)-1)/2] + v[len(v)/2]) / 2
	}
	return rowStats{
		reqPerSec: median(func(r rowStats) float64 { return r.reqPerSec }),
		p50:       median(func(r rowStats) float64 { return r.p50 }),
		p99:       median(func(r rowStats) float64 { return r.p99 }),
		cpu:       median(func(r rowStats) float64 { return r.cpu }),
		bg:        median(func(r rowStats) float64 { return r.bg }),
		flushes:   median(func(r rowStats) float64 { return r.flushes }),
		kib:       median(func(r rowStats) float64 { return r.kib }),
	}
}

// diskColumns are the flushes and KiB w columns, dashes where the device
// has no counters.
func (s rowStats) diskColumns() string {
	if math.IsNaN(s.flushes) {
		return "      — |      —"
	}
	return fmt.Sprintf("%7.2f | %6.1f", s.flushes, s.kib)
}

func (r benchRow) String() string {
	s := r.stats()
	return fmt.Sprintf("| %-26s | %d | %8.0f | %7.2f | %7.2f | %6.3f | %6.3f | %5d | %s |",
		r.name, r.clients, s.reqPerSec, s.p50, s.p99, s.cpu, s.bg, r.changes, s.diskColumns())
}

// rowMetrics reads what a row adds to the server's metrics: the media
// worker's CPU (zero where not measured) and the adaptive-procs
// governor's changes.
func rowMetrics(before, after map[string]float64) (mediaCPU time.Duration, changes int) {
	diff := func(name string) float64 { return after[name] - before[name] }
	return time.Duration(diff("stockroom_media_worker_cpu_seconds_total") * float64(time.Second)),
		int(diff("stockroom_procs_narrowed_total") + diff("stockroom_procs_widened_total"))
}

func TestLoadBench(t *testing.T) {
	if os.Getenv("STOCKROOM_LOADBENCH") == "" {
		t.Skip("set STOCKROOM_LOADBENCH=1 to run the load benchmark")
	}
	size := loadbenchEnvInt("STOCKROOM_LOADBENCH_N", 2000)
	reqs := loadbenchEnvInt("STOCKROOM_LOADBENCH_REQS", 1000)
	bins := strings.Fields(os.Getenv("STOCKROOM_LOADBENCH_COMPARE"))
	if len(bins) == 0 {
		rows := loadBench(t, stockroomBinary(t), size, reqs)
		var out strings.Builder
		fmt.Fprintf(&out, "library of %d resources, %d requests per row; CPU is the server process's utime+stime per request, less bg: the media worker's (its thread's CPU, from /metrics); procs: changes of GOMAXPROCS by -adaptive-procs during the row; flushes and KiB w: the data folder's device's flush requests and KiB written per request (the whole device's)\n", size, reqs)
		fmt.Fprintf(&out, "| request                    | c |    req/s | p50 ms  | p99 ms  | CPU ms | bg ms  | procs | flushes | KiB w  |\n")
		fmt.Fprintf(&out, "|----------------------------|---|----------|---------|---------|--------|--------|-------|---------|--------|\n")
		for _, r := range rows {
			fmt.Fprintln(&out, r)
		}
		t.Log("\n" + out.String())
		return
	}
	// Each round runs every binary once, in turn, so that they all see
	// the machine as it is within minutes of one another. The binary that
	// goes first changes from round to round, and each waits for the
	// machine to settle: with the order fixed, the second of each round
	// read a quarter slower than the first, whichever it was (the kernel
	// writing back and removing the library before, 65,536 shard
	// folders, is the likely cause).
	rounds := loadbenchEnvInt("STOCKROOM_LOADBENCH_ROUNDS", 3)
	runs := make([][][]benchRow, len(bins))
	for round := range rounds {
		for j := range bins {
			i := (round + j) % len(bins)
			bin := bins[i]
			waitQuiet(t)
			if !t.Run(fmt.Sprintf("round%d/%d", round+1, i+1), func(t *testing.T) {
				runs[i] = append(runs[i], loadBench(t, bin, size, reqs))
			}) {
				t.FailNow()
			}
		}
	}
	t.Log("\n" + compareTable(size, reqs, bins, runs))
}

// waitQuiet flushes the page cache's dirty pages and waits, up to half a
// minute, for the processors to be nine-tenths idle over half a second.
func waitQuiet(t *testing.T) {
	t.Helper()
	unix.Sync()
	start := time.Now()
	busy0, total0 := cpuCounters(t)
	for time.Since(start) < 30*time.Second {
		time.Sleep(500 * time.Millisecond)
		busy, total := cpuCounters(t)
		if total > total0 && float64(busy-busy0) < 0.1*float64(total-total0) {
			break
		}
		busy0, total0 = busy, total
	}
	t.Logf("waited %v for a quiet machine", time.Since(start).Round(100*time.Millisecond))
}

// cpuCounters reads the machine's busy and total CPU ticks from /proc/stat
// (idle and iowait count as not busy).
func cpuCounters(t *testing.T) (busy, total uint64) {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		t.Fatalf("/proc/stat begins %q", line)
	}
	// user nice system idle iowait irq softirq steal; the guest times
	// after them are counted in user already.
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("/proc/stat: %q", line)
		}
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy, total
}

// compareTable is the medians, over the rounds, of each binary's rows:
// each column's median on its own, and the median req/s as a share of the
// first binary's.
func compareTable(size, reqs int, bins []string, runs [][][]benchRow) string {
	var out strings.Builder
	fmt.Fprintf(&out, "library of %d resources, %d requests per row, medians of %d rounds; columns as in the single run's table; x: req/s against binary 1\n", size, reqs, len(runs[0]))
	for i, bin := range bins {
		fmt.Fprintf(&out, "binary %d: %s\n", i+1, bin)
	}
	fmt.Fprintf(&out, "| request                    | c | bin |    req/s |     x | p50 ms  | p99 ms  | CPU ms | bg ms  | flushes | KiB w  |\n")
	fmt.Fprintf(&out, "|----------------------------|---|-----|----------|-------|---------|---------|--------|--------|---------|--------|\n")
	for k, row := range runs[0][0] {
		var first float64
		for i := range bins {
			var stats []rowStats
			for _, rows := range runs[i] {
				stats = append(stats, rows[k].stats())
			}
			m := medianStats(stats)
			if i == 0 {
				first = m.reqPerSec
			}
			fmt.Fprintf(&out, "| %-26s | %d | %3d | %8.0f | %5.2f | %7.2f | %7.2f | %6.3f | %6.3f | %s |\n",
				row.name, row.clients, i+1, m.reqPerSec, m.reqPerSec/first, m.p50, m.p99, m.cpu, m.bg, m.diskColumns())
		}
	}
	return out.String()
}

// loadBench seeds a library through the server at bin, measures every
// row on it and returns the rows.
func loadBench(t *testing.T, bin string, size, reqs int) []benchRow {
	work := t.TempDir()
	env := []string{}
	if a := os.Getenv("STOCKROOM_LOADBENCH_PPROF"); a != "" {
		env = append(env, "STOCKROOM_PPROF="+a)
	}
	env = append(env, strings.Fields(os.Getenv("STOCKROOM_LOADBENCH_SERVER_ENV"))...)
	dataDir := filepath.Join(work, "data")
	p := startServerOf(t, bin, work, env, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	pid := p.cmd.Process.Pid
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	do := func(req *http.Request) ([]byte, error) {
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, b)
		}
		return b, nil
	}

	// Tags: the Tags filter asks for one that about 15% of resources carry.
	tagIDs := make([]int64, 4)
	for i := range tagIDs {
		req, _ := http.NewRequest("POST", p.url("/v1/tag"), strings.NewReader(fmt.Sprintf(`{"Name":"benchtag%d"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		b, err := do(req)
		if err != nil {
			t.Fatal(err)
		}
		var tag struct{ ID int64 }
		json.Unmarshal(b, &tag)
		tagIDs[i] = tag.ID
	}
	// Seed through the API: names "photo <i>", one in ten also "harbour";
	// tag 0 on about 15%, the others spread around.
	var seq atomic.Uint64
	var (
		hashes []string // of the seeded files, for the downloads' row
		idsMu  sync.Mutex
	)
	uploadOne := func(tb testing.TB) (int64, error) {
		i := seq.Add(1)
		fields := url.Values{}
		name := fmt.Sprintf("photo %d", i)
		if i%10 == 0 {
			name += " harbour"
		}
		fields.Set("Name", name)
		if i%20 < 3 {
			fields.Add("Tags", strconv.FormatInt(tagIDs[0], 10))
		}
		fields.Add("Tags", strconv.FormatInt(tagIDs[1+i%3], 10))
		ct, body := multipartUpload(tb, fmt.Sprintf("p%d.jpg", i), benchJPEG(tb, i), fields)
		req, _ := http.NewRequest("POST", p.url("/v1/resource"), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		b, err := do(req)
		if err != nil {
			return 0, err
		}
		var res struct {
			ID   int64
			Hash string
		}
		json.Unmarshal(b, &res)
		idsMu.Lock()
		hashes = append(hashes, res.Hash)
		idsMu.Unlock()
		return res.ID, nil
	}
	if n := len(benchJPEG(t, 1)); n < 4<<10 || n > 8<<10 {
		t.Fatalf("bench JPEG is %d bytes, want 4–8 KB", n)
	}
	start := time.Now()
	var ids []int64
	seedWork := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range seedWork {
				id, err := uploadOne(t)
				if err != nil {
					t.Error(err)
					return
				}
				idsMu.Lock()
				ids = append(ids, id)
				idsMu.Unlock()
			}
		})
	}
	for range size {
		seedWork <- struct{}{}
	}
	close(seedWork)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("seeded %d resources in %v", size, time.Since(start).Round(time.Millisecond))
	// Let the media worker finish what the seeding started, so that the
	// rows measure requests and not the backlog; its CPU is reported apart.
	idle := func() time.Duration {
		before := cpuTime(t, pid)
		for {
			time.Sleep(500 * time.Millisecond)
			now := cpuTime(t, pid)
			if now-before < 30*time.Millisecond {
				return now
			}
			before = now
		}
	}
	idle()

	profDir := os.Getenv("STOCKROOM_LOADBENCH_PROFILES")
	profSecs := loadbenchEnvInt("STOCKROOM_LOADBENCH_PROFILE_SECONDS", 3)
	pprofAddr := os.Getenv("STOCKROOM_LOADBENCH_PPROF")
	// profile fetches a CPU profile of the next profSecs seconds into
	// file; the caller waits on the returned function.
	profile := func(file string) func() {
		if profDir == "" || pprofAddr == "" {
			return func() {}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, profSecs))
			if err != nil {
				t.Errorf("profile %s: %v", file, err)
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err == nil {
				err = os.WriteFile(filepath.Join(profDir, file), b, 0o644)
			}
			if err != nil {
				t.Errorf("profile %s: %v", file, err)
			}
		}()
		return func() { <-done }
	}
	only := os.Getenv("STOCKROOM_LOADBENCH_ONLY")
	latDir := os.Getenv("STOCKROOM_LOADBENCH_LATENCIES")
	var rows []benchRow
	// run measures one row and appends it to rows, unless only leaves it
	// out; it reports whether it ran.
	run := func(name string, clients int, mk func(i int) *http.Request) bool {
		if !strings.Contains(name, only) {
			return false
		}
		// Warm the connections and the caches; mk gets negative
		// numbers for the warm-up requests.
		for i := range 2 * clients {
			if _, err := do(mk(-i - 1)); err != nil {
				t.Fatal(err)
			}
		}
		file := strings.NewReplacer(" ", "_", "/", "_", "?", "", "=", "", "–", "-").Replace(name)
		defer profile(fmt.Sprintf("%s-c%d.pprof", strings.Trim(file, "_"), clients))()
		row := benchRow{name: name, clients: clients, n: reqs, lat: make([]time.Duration, reqs)}
		var next atomic.Int64
		m0 := serverMetrics(t, p.base)
		cpu0 := cpuTime(t, pid)
		disk0 := readDiskCounters(dataDir)
		t0 := time.Now()
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= reqs {
						return
					}
					req := mk(i)
					s := time.Now()
					if _, err := do(req); err != nil {
						t.Error(err)
						return
					}
					row.lat[i] = time.Since(s)
				}
			})
		}
		wg.Wait()
		row.wall = time.Since(t0)
		row.cpu = cpuTime(t, pid) - cpu0
		if disk := readDiskCounters(dataDir); disk0 != nil && disk != nil {
			row.disk = &diskCounters{flushes: disk.flushes - disk0.flushes, kib: disk.kib - disk0.kib}
		}
		row.bg, row.changes = rowMetrics(m0, serverMetrics(t, p.base))
		row.cpu -= row.bg
		if t.Failed() {
			t.FailNow()
		}
		t.Log(row.stalls())
		if latDir != "" {
			if err := row.writeLatencies(latDir, strings.Trim(file, "_")); err != nil {
				t.Fatal(err)
			}
		}
		rows = append(rows, row)
		return true
	}
	get := func(path string) func(int) *http.Request {
		return func(int) *http.Request {
			req, _ := http.NewRequest("GET", p.url("%s", path), nil)
			return req
		}
	}
	// The reads first, so that they see the library as seeded: the
	// uploads' rows add to it.
	for _, clients := range []int{1, 4} {
		run("GET /v1/resource?id=", clients, func(i int) *http.Request {
			req, _ := http.NewRequest("GET", p.url("/v1/resource?id=%d", ids[(i+len(ids))%len(ids)]), nil)
			return req
		})
		run("GET /files/ (4–8 KB)", clients, func(i int) *http.Request {
			h := hashes[(i+len(hashes))%len(hashes)]
			req, _ := http.NewRequest("GET", p.url("/files/%s/%s/%s.jpg", h[0:2], h[2:4], h), nil)
			return req
		})
		run("GET /v1/resources", clients, get("/v1/resources"))
		run("GET /v1/resources?Name=", clients, get("/v1/resources?Name=harbour"))
		run("GET /v1/resources?Tags=", clients, get(fmt.Sprintf("/v1/resources?Tags=%d", tagIDs[0])))
	}
	for _, clients := range []int{1, 4} {
		// Uploads are prepared before the clock starts, as the client's
		// JPEG encoding is not the server's work, and only when their row
		// runs: REQS JPEGs per client count take a while.
		const uploadRow = "upload 4–8 KB JPEG"
		var bodies [][]byte
		if strings.Contains(uploadRow, only) {
			bodies = make([][]byte, reqs+2*clients)
		}
		cts := make([]string, len(bodies))
		for i := range bodies {
			k := 1_000_000*uint64(clients) + seq.Add(1)
			cts[i], bodies[i] = multipartUpload(t, fmt.Sprintf("u%d.jpg", k), benchJPEG(t, k), url.Values{"Name": {fmt.Sprintf("upload %d", k)}})
		}
		cpu0 := cpuTime(t, pid)
		if run(uploadRow, clients, func(i int) *http.Request {
			// The warm-up takes the last bodies, the measured requests
			// the first ones: no upload repeats another.
			if i < 0 {
				i = reqs - i - 1
			}
			req, _ := http.NewRequest("POST", p.url("/v1/resource"), bytes.NewReader(bodies[i]))
			req.Header.Set("Content-Type", cts[i])
			return req
		}) {
			r := rows[len(rows)-1]
			after := idle() - cpu0 - r.cpu - r.bg
			t.Logf("background work of %d uploads (%d clients): %.3f ms CPU per upload by the media worker during the row, %.3f ms after it",
				reqs, clients, float64(r.bg.Microseconds())/1000/float64(reqs), float64(after.Microseconds())/1000/float64(reqs))
		}
	}
	return rows
}

// TestReadDiskCounters: a synced write of 1 MiB shows in the counters of
// the device under the test's folder, as at least one flush and 1 MiB.
func TestReadDiskCounters(t *testing.T) {
	dir := t.TempDir()
	before := readDiskCounters(dir)
	if before == nil {
		t.Skip("the test's folder is on no block device with counters")
	}
	f, err := os.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	after := readDiskCounters(dir)
	if after == nil {
		t.Fatal("counters gone")
	}
	if after.flushes-before.flushes < 1 || after.kib-before.kib < 1024 {
		t.Errorf("after a synced 1 MiB write: %d flushes, %d KiB written; want at least 1 and 1024", after.flushes-before.flushes, after.kib-before.kib)
	}
}

// TestMedianStats: each column's median is taken on its own, two middle
// values are averaged, and rows without disk counters print dashes.
func TestMedianStats(t *testing.T) {
	nan := math.NaN()
	rows := []rowStats{
		{reqPerSec: 900, p50: 1.0, p99: 9, cpu: 0.8, bg: 0.2, flushes: 2, kib: 120},
		{reqPerSec: 800, p50: 1.2, p99: 5, cpu: 0.9, bg: 0.3, flushes: 2.1, kib: 130},
		{reqPerSec: 1000, p50: 0.9, p99: 7, cpu: 0.7, bg: 0.1, flushes: 1.9, kib: 110},
	}
	got := medianStats(rows)
	want := rowStats{reqPerSec: 900, p50: 1.0, p99: 7, cpu: 0.8, bg: 0.2, flushes: 2, kib: 120}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(rowStats{})); diff != "" {
		t.Errorf("three rows (-want +got):\n%s", diff)
	}
	got = medianStats(rows[:2])
	want = rowStats{reqPerSec: 850, p50: 1.1, p99: 7, cpu: 0.85, bg: 0.25, flushes: 2.05, kib: 125}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(rowStats{}), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("two rows (-want +got):\n%s", diff)
	}
	noDisk := medianStats([]rowStats{{reqPerSec: 1, flushes: nan, kib: nan}, {reqPerSec: 2, flushes: nan, kib: nan}, {reqPerSec: 3, flushes: nan, kib: nan}})
	if s := noDisk.diskColumns(); strings.Contains(s, "NaN") || !strings.Contains(s, "—") {
		t.Errorf("without disk counters the columns read %q", s)
	}
	if s := got.diskColumns(); s != "   2.05 |  125.0" {
		t.Errorf("disk columns %q", s)
	}
}
