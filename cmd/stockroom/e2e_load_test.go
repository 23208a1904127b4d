//go:build !windows

package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestE2ELoad runs 32 clients mixing uploads, reads, lists and edits
// against the real binary for 3 s (60 s with STOCKROOM_CRASH_LONG=1): no
// answer may be a 5xx and the log may not say "database is locked". It
// logs p50 and p99 per endpoint.
func TestE2ELoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test in -short")
	}
	dur := 3 * time.Second
	if os.Getenv("STOCKROOM_CRASH_LONG") != "" {
		dur = 60 * time.Second
	}
	root := t.TempDir()
	p := startServer(t, root, nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(root, "data"))
	var (
		mu    sync.Mutex
		lat   = map[string][]time.Duration{}
		bad   []string
		ids   []int64
		errsN int
	)
	record := func(ep string, st int, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		lat[ep] = append(lat[ep], d)
		if st >= 500 {
			bad = append(bad, fmt.Sprintf("%s: %d", ep, st))
		}
		if st == 0 {
			errsN++
		}
	}
	pick := func(r *rand.Rand) (int64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) == 0 {
			return 0, false
		}
		return ids[r.IntN(len(ids))], true
	}
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for c := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 99))
			for n := 0; time.Now().Before(deadline); n++ {
				start := time.Now()
				switch op := r.IntN(10); {
				case op < 3:
					ct, body := multipartFileBody("resource", "l.txt", fmt.Appendf(nil, "load %d %d %x", c, n, r.Uint64()))
					var res struct{ ID int64 }
					st := do("POST", p.url("/v1/resource"), ct, body, &res)
					record("POST /v1/resource", st, time.Since(start))
					if st == 200 {
						mu.Lock()
						ids = append(ids, res.ID)
						mu.Unlock()
					}
				case op < 6:
					id, ok := pick(r)
					if !ok {
						continue
					}
					record("GET /v1/resource", do("GET", p.url("/v1/resource?id=%d", id), "", nil, nil), time.Since(start))
				case op < 8:
					record("GET /v1/resources", do("GET", p.url("/v1/resources?pageSize=50"), "", nil, nil), time.Since(start))
				default:
					id, ok := pick(r)
					if !ok {
						continue
					}
					st := do("POST", p.url("/v1/resource/editName"), formCT, strings.NewReader(url.Values{"id": {fmt.Sprint(id)}, "name": {fmt.Sprint("n", n)}}.Encode()), nil)
					record("POST /v1/resource/editName", st, time.Since(start))
				}
			}
		})
	}
	wg.Wait()
	p.stop(syscall.SIGTERM)
	eps := make([]string, 0, len(lat))
	for ep := range lat {
		eps = append(eps, ep)
	}
	slices.Sort(eps)
	for _, ep := range eps {
		ds := lat[ep]
		slices.Sort(ds)
		t.Logf("%-28s n=%-6d p50=%-10v p99=%v", ep, len(ds), ds[len(ds)/2].Round(10*time.Microsecond), ds[len(ds)*99/100].Round(10*time.Microsecond))
	}
	if len(bad) > 0 {
		t.Errorf("%d answers were 5xx: %v", len(bad), bad[:min(len(bad), 10)])
	}
	if errsN > 0 {
		t.Errorf("%d requests got no answer", errsN)
	}
	if strings.Contains(p.stderr.String(), "database is locked") {
		t.Error(`the log says "database is locked"`)
	}
	if len(lat["POST /v1/resource"]) == 0 || len(lat["GET /v1/resources"]) == 0 {
		t.Error("no uploads or lists were made")
	}
}
