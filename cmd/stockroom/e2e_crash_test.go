//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// crashClient is an HTTP client for the crash and load tests: short
// timeouts, no redirects, safe from many goroutines.
var crashClient = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// multipartFileBody builds a multipart body with content in the field
// field, without a testing.T (it runs in goroutines).
func multipartFileBody(field, name string, content []byte) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// do sends a request and decodes a JSON answer into out; it returns the
// status, or 0 when no answer came (the server was killed).
func do(method, u, ct string, body io.Reader, out any) int {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return 0
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := crashClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0
	}
	if out != nil && resp.StatusCode < 300 {
		if json.Unmarshal(b, out) != nil {
			return 0
		}
	}
	return resp.StatusCode
}

const formCT = "application/x-www-form-urlencoded"

// crashLedger is what the clients know for sure: the uploads and versions
// acknowledged, the deletes acknowledged, and the resources whose fate is
// unknown (a delete or version upload without an answer).
type crashLedger struct {
	mu        sync.Mutex
	uploads   map[int64][]byte // resource -> content of its acknowledged upload
	versions  map[int64][]byte // version -> content
	verOf     map[int64]int64  // version -> resource
	versioned map[int64]bool   // resources that got a version (or maybe did)
	deleted   map[int64]bool
	unsure    map[int64]bool // a delete without an answer
	acked     atomic.Int64
	statuses  sync.Map // "METHOD route status" -> *atomic.Int64
}

func (l *crashLedger) pick(r *rand.Rand) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.uploads) == 0 {
		return 0, false
	}
	// Map order is random enough; skip a few for variety.
	n := r.IntN(len(l.uploads))
	for id := range l.uploads {
		if n == 0 {
			return id, true
		}
		n--
	}
	return 0, false
}

func (l *crashLedger) count(method, route string, status int) {
	v, _ := l.statuses.LoadOrStore(fmt.Sprintf("%s %s %d", method, route, status), new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// crashClientLoop runs one client's mix until stop closes.
func crashClientLoop(base string, seed uint64, l *crashLedger, stop <-chan struct{}, tag int64) {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		switch op := r.IntN(10); {
		case op < 4: // upload
			content := fmt.Appendf(nil, "upload %d-%d %x\n", seed, n, r.Uint64())
			content = append(content, bytes.Repeat([]byte{byte(n)}, r.IntN(64<<10))...)
			ct, body := multipartFileBody("resource", "f.bin", content)
			var res struct{ ID int64 }
			st := do("POST", base+"/v1/resource", ct, body, &res)
			l.count("POST", "/v1/resource", st)
			if st == 200 && res.ID > 0 {
				l.mu.Lock()
				l.uploads[res.ID] = content
				l.mu.Unlock()
				l.acked.Add(1)
			}
		case op < 6: // version upload
			id, ok := l.pick(r)
			if !ok {
				continue
			}
			l.mu.Lock()
			l.versioned[id] = true
			l.mu.Unlock()
			content := fmt.Appendf(nil, "version %d-%d %x\n", seed, n, r.Uint64())
			ct, body := multipartFileBody("file", "v.bin", content)
			var v struct{ ID int64 }
			st := do("POST", fmt.Sprintf("%s/v1/resource/versions?resourceId=%d", base, id), ct, body, &v)
			l.count("POST", "/v1/resource/versions", st)
			if st == 200 && v.ID > 0 {
				l.mu.Lock()
				l.versions[v.ID], l.verOf[v.ID] = content, id
				l.mu.Unlock()
				l.acked.Add(1)
			}
		case op < 8: // edit
			id, ok := l.pick(r)
			if !ok {
				continue
			}
			st := do("POST", base+"/v1/resource/editName", formCT, strings.NewReader(url.Values{"id": {fmt.Sprint(id)}, "name": {fmt.Sprintf("renamed-%d", n)}}.Encode()), nil)
			l.count("POST", "/v1/resource/editName", st)
		case op < 9: // bulk tag
			v := url.Values{"EditedId": {fmt.Sprint(tag)}}
			for range 5 {
				if id, ok := l.pick(r); ok {
					v.Add("ID", fmt.Sprint(id))
				}
			}
			if len(v["ID"]) == 0 {
				continue
			}
			st := do("POST", base+"/v1/resources/addTags", formCT, strings.NewReader(v.Encode()), nil)
			l.count("POST", "/v1/resources/addTags", st)
		default: // delete one, or a few at once
			v := url.Values{}
			for range 1 + r.IntN(3) {
				if id, ok := l.pick(r); ok && !slices.Contains(v["ID"], fmt.Sprint(id)) {
					v.Add("ID", fmt.Sprint(id))
				}
			}
			if len(v["ID"]) == 0 {
				continue
			}
			var ids []int64
			l.mu.Lock()
			for _, s := range v["ID"] {
				var id int64
				fmt.Sscan(s, &id)
				ids = append(ids, id)
				l.unsure[id] = true
				delete(l.uploads, id) // no longer picked
			}
			l.mu.Unlock()
			st := do("POST", base+"/v1/resources/delete", formCT, strings.NewReader(v.Encode()), nil)
			l.count("POST", "/v1/resources/delete", st)
			if st == 200 {
				l.mu.Lock()
				for _, id := range ids {
					delete(l.unsure, id)
					l.deleted[id] = true
				}
				l.mu.Unlock()
			}
		}
	}
}

// TestE2ECrash kills the server with SIGKILL at random moments while 8
// clients upload, add versions, edit, tag and delete, restarting it each
// time; then every acknowledged write must be there with its bytes, every
// acknowledged delete gone, the database sound, and after gc no
// unreferenced file and no temporary file left. STOCKROOM_CRASH_LONG=1
// runs 100 kills instead of 20.
func TestE2ECrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short")
	}
	kills, maxRun := 20, 1000*time.Millisecond
	if os.Getenv("STOCKROOM_CRASH_LONG") != "" {
		kills, maxRun = 100, 3*time.Second
	}
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	args := []string{"-bind-address", "127.0.0.1:0", "-data-dir", dataDir}
	l := &crashLedger{uploads: map[int64][]byte{}, versions: map[int64][]byte{}, verOf: map[int64]int64{},
		versioned: map[int64]bool{}, deleted: map[int64]bool{}, unsure: map[int64]bool{}}
	// All uploads ever acknowledged, for the final check (deletes take
	// them out of l.uploads).
	all := map[int64][]byte{}
	var tag int64
	for round := 0; round < kills; round++ {
		p := startServer(t, root, nil, args...)
		if tag == 0 {
			var res struct{ ID int64 }
			if st := do("POST", p.url("/v1/tag"), formCT, strings.NewReader("name=crash"), &res); st != 200 {
				t.Fatalf("tag: %d", st)
			}
			tag = res.ID
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for c := range 8 {
			wg.Go(func() { crashClientLoop(p.base, uint64(round*8+c+1), l, stop, tag) })
		}
		time.Sleep(300*time.Millisecond + rand.N(maxRun-300*time.Millisecond))
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.wait(exitTimeout)
		close(stop)
		wg.Wait()
		l.mu.Lock()
		for id, c := range l.uploads {
			all[id] = c
		}
		l.mu.Unlock()
	}
	t.Logf("%d kills survived; %d writes acknowledged (%d uploads, %d versions), %d deletes acknowledged, %d unsure",
		kills, l.acked.Load(), l.acked.Load()-int64(len(l.versions)), len(l.versions), len(l.deleted), len(l.unsure))

	var counts []string
	l.statuses.Range(func(k, v any) bool {
		counts = append(counts, fmt.Sprintf("%s: %d", k, v.(*atomic.Int64).Load()))
		return true
	})
	slices.Sort(counts)
	t.Logf("answers (status 0: none, the server was killed):\n%s", strings.Join(counts, "\n"))
	if len(all) == 0 || len(l.versions) == 0 || len(l.deleted) == 0 {
		t.Fatal("no upload, version or delete acknowledged: the test tests nothing")
	}

	p := startServer(t, root, nil, args...)
	found := 0
	for id, content := range all {
		if l.deleted[id] || l.unsure[id] {
			continue
		}
		var res struct{ ID int64 }
		if st := do("GET", p.url("/v1/resource?id=%d", id), "", nil, &res); st != 200 {
			t.Errorf("acknowledged upload %d: status %d", id, st)
			continue
		}
		if !l.versioned[id] {
			if got, _ := viewBytes(t, p, id); !bytes.Equal(got, content) {
				t.Errorf("resource %d: %d bytes differ from the %d uploaded", id, len(got), len(content))
				continue
			}
		}
		found++
	}
	for vid, content := range l.versions {
		rid := l.verOf[vid]
		if l.deleted[rid] || l.unsure[rid] {
			continue
		}
		resp, err := crashClient.Get(p.url("/v1/resource/version/file?versionId=%d", vid))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, content) {
			t.Errorf("version %d of %d: status %d, %d bytes, want the %d acknowledged", vid, rid, resp.StatusCode, len(got), len(content))
			continue
		}
		found++
	}
	for id := range l.deleted {
		if st := do("GET", p.url("/v1/resource?id=%d", id), "", nil, nil); st != 404 {
			t.Errorf("deleted resource %d: status %d, want 404", id, st)
		}
	}
	t.Logf("%d acknowledged uploads and versions found with identical bytes", found)
	p.stop(syscall.SIGTERM)

	if code, out := runProc(t, nil, "gc", "-grace", "0", "-data-dir", dataDir); code != 0 {
		t.Fatalf("gc: exit %d\n%s", code, out)
	}
	code, out := runProc(t, nil, "verify", "-data-dir", dataDir)
	if code != 0 || !strings.Contains(out, " 0 unreferenced blobs") {
		t.Errorf("verify after gc: exit %d\n%s", code, out)
	}
	if list, err := os.ReadDir(filepath.Join(dataDir, "files", "tmp")); err == nil && len(list) > 0 {
		t.Errorf("%d temporary files left after gc", len(list))
	}
}
