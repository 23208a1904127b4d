package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/intake"
)

// intakeOptions adjust newIntakeEnv.
type intakeOptions struct {
	fetcher  *fetch.Fetcher
	altFS    map[string]string
	jobs     intake.Config
	dataDir  string // reuse a data folder (restart tests); blobs on disk
	diskFS   bool
	noServer bool
	// allowLinks serves alternative files with other hard links.
	allowLinks bool
}

// testFetcher reaches the test origins on 127.0.0.1 and nothing else
// special, with short timeouts.
func testFetcher() *fetch.Fetcher {
	return &fetch.Fetcher{
		Allow:          []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		IdleTimeout:    5 * time.Second,
		OverallTimeout: 30 * time.Second,
	}
}

// newIntakeEnv is newTestEnv with the fetcher, the job manager and the
// alternative filesystems wired in.
func newIntakeEnv(tb testing.TB, o intakeOptions) *intakeEnv {
	tb.Helper()
	dir := o.dataDir
	if dir == "" {
		dir = tb.TempDir()
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if o.fetcher == nil {
		o.fetcher = testFetcher()
	}
	opts := stockroom.Options{
		DataDir:             dir,
		Logger:              logger,
		AltFS:               o.altFS,
		AltFSAllowHardLinks: o.allowLinks,
		Fetcher:             o.fetcher,
		Jobs:                o.jobs,
	}
	if !o.diskFS && o.dataDir == "" {
		opts.Fs = afero.NewMemMapFs()
	}
	opts.PostgresDSN = dsnOf(tb, dir)
	lib, err := stockroom.Open(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	e := &testEnv{Lib: lib, Fs: opts.Fs, logs: logs}
	h := httpapi.NewHandler(httpapi.Config{Store: lib.Store, Versions: lib.Versions, Query: lib.Query,
		Logger: logger, Fetcher: lib.Fetcher, Jobs: lib.Jobs})
	e.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.inflight.Add(1)
		defer e.inflight.Done()
		h.ServeHTTP(w, r)
	})
	e.srv = httptest.NewServer(e.handler)
	e.URL = e.srv.URL
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			e.srv.CloseClientConnections()
			e.srv.Close()
			if err := lib.Close(); err != nil {
				tb.Error(err)
			}
		})
	}
	tb.Cleanup(func() {
		closeAll()
		if tb.Failed() && logs.Len() > 0 {
			tb.Logf("library and handler log:\n%s", logs.String())
		}
	})
	return &intakeEnv{testEnv: e, closeFn: closeAll}
}

// intakeEnv is a testEnv that can be stopped before the test ends.
type intakeEnv struct {
	*testEnv
	closeFn func()
}

// origin is a test HTTP server on 127.0.0.1 with a few files.
type origin struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func newOrigin(tb testing.TB, files map[string][]byte, extra func(w http.ResponseWriter, r *http.Request) bool) *origin {
	tb.Helper()
	o := &origin{files: files, hits: map[string]int{}}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		if extra != nil && extra(w, r) {
			return
		}
		b, ok := o.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	tb.Cleanup(o.Close)
	return o
}

func (o *origin) hitCount(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func TestRemoteCreate(t *testing.T) {
	a, b, c := pngBytes(t, 4, 3, 1), pngBytes(t, 5, 2, 2), pngBytes(t, 2, 2, 3)
	o := newOrigin(t, map[string][]byte{"/img/a.png": a, "/img/b c.png": b, "/c": c, "/dir/": pngBytes(t, 3, 3, 4)},
		func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/redirect" {
				http.Redirect(w, r, "/img/a.png", http.StatusFound)
				return true
			}
			return false
		})
	e := newIntakeEnv(t, intakeOptions{})
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "web"})

	// Several URLs, one per line: several resources, named after the URL.
	got := do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{
		"URL":  o.URL + "/img/a.png\n\n  " + o.URL + "/img/b%20c.png \r\n",
		"Tags": []int64{tag}, "Meta": map[string]any{"from": "web"}, "Description": "fetched",
	}).wantStatus(t, http.StatusOK).array(t)
	if len(got) != 2 {
		t.Fatalf("%d resources, want 2", len(got))
	}
	for i, want := range []struct {
		name, loc string
		content   []byte
	}{{"a.png", o.URL + "/img/a.png", a}, {"b c.png", o.URL + "/img/b%20c.png", b}} {
		r := got[i].(map[string]any)
		if r["Name"] != want.name || r["OriginalName"] != want.name || r["OriginalLocation"] != want.loc ||
			r["ContentType"] != "image/png" || r["Description"] != "fetched" || r["FileSize"] != int64(len(want.content)) {
			t.Errorf("resource %d = %v", i, r)
		}
		sum := sha256.Sum256(want.content)
		if r["Hash"] != hex.EncodeToString(sum[:]) {
			t.Errorf("resource %d hash %v", i, r["Hash"])
		}
		if tags := r["Tags"].([]any); len(tags) != 1 {
			t.Errorf("resource %d tags %v", i, tags)
		}
		if m := r["Meta"].(map[string]any); m["from"] != "web" {
			t.Errorf("resource %d meta %v", i, m)
		}
	}
	if w := got[1].(map[string]any)["Width"]; w != int64(5) {
		t.Errorf("width %v, want 5", w)
	}

	// One URL answers one object; FileName names it, Name beats FileName.
	r := do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": o.URL + "/c", "FileName": "cat.png"}).
		wantStatus(t, http.StatusOK).object(t)
	if r["Name"] != "cat.png" || r["OriginalName"] != "cat.png" {
		t.Errorf("FileName: %v / %v", r["Name"], r["OriginalName"])
	}
	do(t, "POST", e.URL+"/v1/resource/delete", map[string]any{"ID": r["ID"]}).wantStatus(t, http.StatusOK)
	r = do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": o.URL + "/c", "FileName": "cat.png", "Name": "Kitty"}).
		wantStatus(t, http.StatusOK).object(t)
	if r["Name"] != "Kitty" || r["OriginalName"] != "cat.png" {
		t.Errorf("Name and FileName: %v / %v", r["Name"], r["OriginalName"])
	}

	// A redirect is followed; the resource remembers the URL asked for. A
	// path ending in / is named by its last element.
	r = do(t, "POST", e.URL+"/v1/resource/remote", url2form("URL", o.URL+"/dir/")).wantStatus(t, http.StatusOK).object(t)
	if r["Name"] != "dir" {
		t.Errorf("name of /dir/ = %v", r["Name"])
	}
	do(t, "POST", e.URL+"/v1/resource/delete", map[string]any{"ID": got[0].(map[string]any)["ID"]}).wantStatus(t, http.StatusOK)
	r = do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": o.URL + "/redirect"}).wantStatus(t, http.StatusOK).object(t)
	if r["OriginalLocation"] != o.URL+"/redirect" || r["Name"] != "redirect" || r["FileSize"] != int64(len(a)) {
		t.Errorf("redirected: %v", r)
	}

	// Stored content is a conflict naming the resource that has it.
	m := do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": o.URL + "/img/a.png"}).wantError(t, http.StatusConflict)
	if m["existingResourceId"] != r["ID"] {
		t.Errorf("existingResourceId %v, want %v", m["existingResourceId"], r["ID"])
	}
}

func url2form(kv ...string) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestRemoteGroupAutoCreate(t *testing.T) {
	o := newOrigin(t, map[string][]byte{"/1.png": pngBytes(t, 2, 2, 1), "/2.png": pngBytes(t, 2, 2, 2), "/3.png": pngBytes(t, 2, 2, 3)}, nil)
	e := newIntakeEnv(t, intakeOptions{})
	r1 := do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{
		"URL": o.URL + "/1.png", "GroupName": "Holiday 2024", "GroupCategoryName": "Albums", "GroupMeta": `{"place":"sea"}`,
	}).wantStatus(t, http.StatusOK).object(t)
	owner, ok := r1["OwnerId"].(int64)
	if !ok {
		t.Fatalf("no owner: %v", r1["OwnerId"])
	}
	g := do(t, "GET", e.URL+"/v1/group?id="+fmt.Sprint(owner), nil).wantStatus(t, http.StatusOK).object(t)
	if g["Name"] != "Holiday 2024" || g["Meta"].(map[string]any)["place"] != "sea" {
		t.Errorf("group = %v", g)
	}
	cat := g["Category"].(map[string]any)
	if cat["Name"] != "Albums" {
		t.Errorf("category = %v", cat)
	}
	// The same names find the same group and category.
	r2 := do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{
		"URL": o.URL + "/2.png", "GroupName": "Holiday 2024", "GroupCategoryName": "Albums",
	}).wantStatus(t, http.StatusOK).object(t)
	if r2["OwnerId"] != owner {
		t.Errorf("second owner %v, want %v", r2["OwnerId"], owner)
	}
	cats := do(t, "GET", e.URL+"/v1/categories", nil).wantStatus(t, http.StatusOK).array(t)
	groups := do(t, "GET", e.URL+"/v1/groups", nil).wantStatus(t, http.StatusOK).array(t)
	if len(cats) != 1 || len(groups) != 1 {
		t.Errorf("%d categories and %d groups, want 1 and 1", len(cats), len(groups))
	}
	// A failed download creates no group.
	before := len(groups)
	do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": o.URL + "/missing.png", "GroupName": "Never"}).
		wantError(t, http.StatusBadRequest, "404")
	if n := len(do(t, "GET", e.URL+"/v1/groups", nil).array(t)); n != before {
		t.Errorf("%d groups after a failed download, want %d", n, before)
	}
}

// TestRemoteFailuresLeaveNothing: every way a fetch can fail is a 400 (a
// 413 for a file over the limit, as every TooLarge) that leaves no
// resource, no version, no blob and no temporary file.
func TestRemoteFailuresLeaveNothing(t *testing.T) {
	forbiddenLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var forbiddenHits atomic.Int32
	internal := &httptest.Server{Listener: forbiddenLn, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forbiddenHits.Add(1)
		io.WriteString(w, "internal secret")
	})}}
	internal.Start()
	defer internal.Close()

	good := pngBytes(t, 3, 3, 9)
	release := make(chan struct{})
	defer close(release)
	o := newOrigin(t, map[string][]byte{"/good.png": good}, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/internal":
			http.Redirect(w, r, internal.URL+"/", http.StatusFound)
		case "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/stall":
			w.Header().Set("Content-Length", "10000")
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/huge":
			for i := 0; i < 20; i++ {
				if _, err := w.Write(bytes.Repeat([]byte{byte(i)}, 8<<10)); err != nil {
					return true
				}
			}
		case "/huge-declared":
			w.Header().Set("Content-Length", "1000000")
			w.Write(make([]byte, 1000))
		default:
			return false
		}
		return true
	})
	f := testFetcher()
	f.IdleTimeout = 300 * time.Millisecond
	f.MaxSize = 64 << 10
	e := newIntakeEnv(t, intakeOptions{fetcher: f})
	before := e.state(t)

	const bad, tooLarge = http.StatusBadRequest, http.StatusRequestEntityTooLarge
	for _, tt := range []struct {
		name, url string
		status    int
		fragments []string
	}{
		{"redirect to a forbidden address", o.URL + "/internal", bad, []string{"not allowed"}},
		{"forbidden address", internal.URL + "/", bad, []string{"not allowed"}},
		{"file URL", "file:///etc/passwd", bad, []string{"only http and https"}},
		{"redirect to a file URL", o.URL + "/file", bad, []string{"not http or https"}},
		{"stalled origin", o.URL + "/stall", bad, []string{"no data received"}},
		{"over the size limit", o.URL + "/huge", tooLarge, []string{"larger than the limit"}},
		{"declared over the size limit", o.URL + "/huge-declared", tooLarge, []string{"larger than the limit"}},
		{"404", o.URL + "/missing.png", bad, []string{"404"}},
		{"one bad URL of a batch", o.URL + "/good.png\n" + o.URL + "/missing.png", bad, []string{"404"}},
		{"not a URL", "not a url", bad, []string{"http"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": tt.url, "GroupName": "Should not exist"}).
				wantError(t, tt.status, tt.fragments...)
			if msg := m["error"].(string); strings.Contains(msg, "127.0.0.2") && !strings.Contains(tt.url, "127.0.0.2") {
				t.Errorf("error reveals the internal address: %s", msg)
			}
			e.wait()
			e.wantUnchanged(t, before)
		})
	}
	if n := len(do(t, "GET", e.URL+"/v1/groups", nil).array(t)); n != 0 {
		t.Errorf("%d groups created by failed requests", n)
	}
	if n := forbiddenHits.Load(); n != 0 {
		t.Errorf("the forbidden origin was reached %d times", n)
	}
	// The same answers in the background: the jobs fail, nothing is stored.
	sub := do(t, "POST", e.URL+"/v1/resource/remote?background=true", map[string]any{"URL": o.URL + "/internal\n" + o.URL + "/missing.png"}).
		wantStatus(t, http.StatusAccepted).object(t)
	for _, j := range sub["jobs"].([]any) {
		id := jobID(t, j)
		done := waitJob(t, e, id, "failed")
		if strings.Contains(done["error"].(string), "127.0.0.2") {
			t.Errorf("job error reveals the address: %v", done["error"])
		}
	}
	do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": "file:///etc/passwd"}).wantError(t, http.StatusBadRequest, "only http")
	e.wantUnchanged(t, before)
}

// jobID returns the "id" of a job's JSON, failing unless it is a JSON
// string holding a positive integer, as the reference's job IDs are.
func jobID(tb testing.TB, job any) string {
	tb.Helper()
	m, ok := job.(map[string]any)
	if !ok {
		tb.Fatalf("job is not an object: %v", job)
	}
	id, ok := m["id"].(string)
	if !ok {
		tb.Fatalf("job id %#v is not a JSON string: %v", m["id"], m)
	}
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		tb.Fatalf("job id %q is not a positive integer", id)
	}
	return id
}

// waitJob polls a job until it has status want (or a terminal status).
func waitJob(tb testing.TB, e *intakeEnv, id string, want string) map[string]any {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := do(tb, "GET", e.URL+"/v1/jobs/get?id="+url.QueryEscape(id), nil).wantStatus(tb, http.StatusOK).object(tb)
		if got := jobID(tb, j); got != id {
			tb.Fatalf("asked for job %s, got %s", id, got)
		}
		st := j["status"].(string)
		if st == want {
			return j
		}
		if (st == "completed" || st == "failed" || st == "cancelled") || time.Now().After(deadline) {
			tb.Fatalf("job %s is %s, want %s: %v", id, st, want, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestJobs(t *testing.T) {
	a, b := pngBytes(t, 6, 4, 1), pngBytes(t, 4, 6, 2)
	gate := make(chan struct{})
	var gateOnce sync.Once
	openGate := func() { gateOnce.Do(func() { close(gate) }) }
	defer openGate()
	o := newOrigin(t, map[string][]byte{"/a.png": a, "/b.png": b}, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/slow.bin" {
			w.Header().Set("Content-Length", "20000")
			w.Write(make([]byte, 10000))
			w.(http.Flusher).Flush()
			select {
			case <-gate:
				w.Write(make([]byte, 10000))
			case <-r.Context().Done():
			}
			return true
		}
		return false
	})
	e := newIntakeEnv(t, intakeOptions{jobs: intake.Config{Concurrency: 2, QueueCap: 3}})

	// Events: subscribe first, so that the stream sees everything.
	events := subscribe(t, e)
	init := events.next(t)
	if init.typ != "init" || string(init.data) != `{"jobs":[]}` {
		t.Errorf("first event %s %s", init.typ, init.data)
	}

	sub := do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": o.URL + "/a.png\n" + o.URL + "/b.png", "Name": "queued"}).
		wantStatus(t, http.StatusAccepted).object(t)
	if sub["queued"] != true {
		t.Errorf("queued = %v", sub["queued"])
	}
	list := sub["jobs"].([]any)
	if len(list) != 2 {
		t.Fatalf("%d jobs", len(list))
	}
	j0 := list[0].(map[string]any)
	for _, k := range []string{"id", "url", "status", "progress", "totalSize", "progressPercent", "error", "resourceId", "createdAt", "startedAt", "completedAt", "source"} {
		if _, ok := j0[k]; !ok {
			t.Errorf("job JSON lacks %q: %v", k, j0)
		}
	}
	if j0["url"] != o.URL+"/a.png" || j0["source"] != "download" {
		t.Errorf("job = %v", j0)
	}
	for i, want := range [][]byte{a, b} {
		id := jobID(t, list[i])
		done := waitJob(t, e, id, "completed")
		if done["progress"] != int64(len(want)) || done["totalSize"] != int64(len(want)) || done["progressPercent"] != int64(100) || done["completedAt"] == nil {
			t.Errorf("completed job %v", done)
		}
		res := do(t, "GET", e.URL+"/v1/resource?id="+fmt.Sprint(done["resourceId"]), nil).wantStatus(t, http.StatusOK).object(t)
		if res["Name"] != "queued" || res["FileSize"] != int64(len(want)) {
			t.Errorf("resource of job %s: %v", id, res)
		}
		// A finished job cannot be cancelled, paused or resumed.
		do(t, "POST", e.URL+"/v1/jobs/cancel", map[string]any{"id": id}).wantError(t, http.StatusConflict, "completed")
		do(t, "POST", e.URL+"/v1/jobs/pause", map[string]any{"id": id}).wantError(t, http.StatusConflict)
		do(t, "POST", e.URL+"/v1/jobs/resume", map[string]any{"id": id}).wantError(t, http.StatusConflict)
	}
	seen := map[string]bool{}
	for !seen["completed"] {
		ev := events.next(t)
		seen[ev.typ] = true
		job := eventJob(t, ev)
		if job["status"] == "completed" && jobID(t, job) == jobID(t, list[1]) {
			seen["completed"] = true
		}
	}
	if !seen["added"] || !seen["updated"] {
		t.Errorf("events seen: %v", seen)
	}

	// The alias and ?background=true queue too; a 404 fails and can be
	// retried; unknown IDs are 404.
	fail := do(t, "POST", e.URL+"/v1/download/submit", map[string]any{"URL": o.URL + "/later.png"}).wantStatus(t, http.StatusAccepted).object(t)
	fid := jobID(t, fail["jobs"].([]any)[0])
	failed := waitJob(t, e, fid, "failed")
	if !strings.Contains(failed["error"].(string), "404") || failed["resourceId"] != nil {
		t.Errorf("failed job %v", failed)
	}
	o.mu.Lock()
	o.files["/later.png"] = pngBytes(t, 7, 7, 7)
	o.mu.Unlock()
	do(t, "POST", e.URL+"/v1/jobs/retry", map[string]any{"id": fid}).wantStatus(t, http.StatusOK)
	waitJob(t, e, fid, "completed")
	do(t, "GET", e.URL+"/v1/jobs/get?id=999", nil).wantError(t, http.StatusNotFound)
	do(t, "POST", e.URL+"/v1/jobs/cancel", map[string]any{"id": 999}).wantError(t, http.StatusNotFound)

	// Pause and resume a slow download; cancel another; the queue cap.
	slow := do(t, "POST", e.URL+"/v1/resource/remote?background=true", map[string]any{"URL": o.URL + "/slow.bin"}).
		wantStatus(t, http.StatusAccepted).object(t)
	sid := jobID(t, slow["jobs"].([]any)[0])
	// The reference reports "download" for every background job.
	if src := slow["jobs"].([]any)[0].(map[string]any)["source"]; src != "download" {
		t.Errorf("source of a ?background=true job = %v, want download", src)
	}
	waitProgress(t, e, sid, 10000)
	p := do(t, "POST", e.URL+"/v1/jobs/pause", map[string]any{"id": sid}).wantStatus(t, http.StatusOK).object(t)
	if p["status"] != "paused" || p["progress"] != int64(10000) || p["totalSize"] != int64(20000) || p["progressPercent"] != int64(50) {
		t.Errorf("paused job %v", p)
	}
	c := do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": o.URL + "/slow.bin?2\n" + o.URL + "/slow.bin?3"}).
		wantStatus(t, http.StatusAccepted).object(t)
	do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": o.URL + "/slow.bin?4"}).wantError(t, http.StatusServiceUnavailable, "full")
	for _, j := range c["jobs"].([]any) {
		id := jobID(t, j)
		cj := do(t, "POST", e.URL+"/v1/jobs/cancel", map[string]any{"id": id}).wantStatus(t, http.StatusOK).object(t)
		if cj["status"] != "cancelled" {
			t.Errorf("cancelled job %v", cj)
		}
		do(t, "POST", e.URL+"/v1/jobs/cancel", map[string]any{"id": id}).wantError(t, http.StatusConflict)
	}
	openGate()
	do(t, "POST", e.URL+"/v1/jobs/resume", map[string]any{"id": sid}).wantStatus(t, http.StatusOK)
	done := waitJob(t, e, sid, "completed")
	res := do(t, "GET", e.URL+"/v1/resource?id="+fmt.Sprint(done["resourceId"]), nil).wantStatus(t, http.StatusOK).object(t)
	if res["FileSize"] != int64(20000) {
		t.Errorf("resumed download stored %v bytes", res["FileSize"])
	}
	q := do(t, "GET", e.URL+"/v1/jobs/queue", nil).wantStatus(t, http.StatusOK).object(t)
	if n := len(q["jobs"].([]any)); n != 6 {
		t.Errorf("queue lists %d jobs, want 6", n)
	}
	for _, j := range q["jobs"].([]any) {
		jobID(t, j)
	}
	events.close()
}

// eventJob decodes the job of an "added", "updated" or "removed" event,
// checking that its id is a JSON string.
func eventJob(tb testing.TB, ev sseEvent) map[string]any {
	tb.Helper()
	var body struct {
		Job map[string]any `json:"job"`
	}
	dec := json.NewDecoder(bytes.NewReader(ev.data))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body.Job == nil {
		tb.Fatalf("event %s %s: %v", ev.typ, ev.data, err)
	}
	normalizeNumbers(body.Job)
	jobID(tb, body.Job)
	return body.Job
}

// TestJobRetryResets: a retried job starts afresh in what it reports, as in
// the reference (no progress, unknown size, no times, no error), yet the
// bytes received before the failure are not fetched again: the retry
// resumes the partial file with a Range request.
func TestJobRetryResets(t *testing.T) {
	content := make([]byte, 40000)
	for i := range content {
		content[i] = byte(i*13 + i/256)
	}
	var mu sync.Mutex
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		first := len(ranges) == 1
		mu.Unlock()
		w.Header().Set("ETag", `"v1"`)
		if first {
			// A quarter of the file, then the connection breaks.
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
			w.Write(content[:10000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	}))
	defer srv.Close()
	e := newIntakeEnv(t, intakeOptions{})
	sub := do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": srv.URL + "/f.bin"}).wantStatus(t, http.StatusAccepted).object(t)
	id := jobID(t, sub["jobs"].([]any)[0])
	failed := waitJob(t, e, id, "failed")
	if failed["progress"] != int64(10000) || failed["totalSize"] != int64(len(content)) || failed["startedAt"] == nil ||
		failed["completedAt"] == nil || failed["error"] == "" {
		t.Fatalf("failed job %v", failed)
	}

	got := do(t, "POST", e.URL+"/v1/jobs/retry", map[string]any{"id": id}).wantStatus(t, http.StatusOK).object(t)
	want := map[string]any{
		"id": id, "url": srv.URL + "/f.bin", "status": "pending", "source": "download", "createdAt": failed["createdAt"],
		"progress": int64(0), "totalSize": int64(-1), "progressPercent": int64(-1), "error": "",
		"resourceId": nil, "startedAt": nil, "completedAt": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("retried job (-want +got):\n%s", diff)
	}

	done := waitJob(t, e, id, "completed")
	if done["progress"] != int64(len(content)) || done["totalSize"] != int64(len(content)) || done["startedAt"] == nil {
		t.Errorf("completed job %v", done)
	}
	mu.Lock()
	if diff := cmp.Diff([]string{"", "bytes=10000-"}, ranges); diff != "" {
		t.Errorf("Range headers (-want +got):\n%s", diff)
	}
	mu.Unlock()
	resp := do(t, "GET", e.URL+"/v1/resource/view?id="+fmt.Sprint(done["resourceId"]), nil).wantStatus(t, http.StatusFound)
	file := do(t, "GET", e.URL+resp.Header.Get("Location"), nil).wantStatus(t, http.StatusOK)
	if !bytes.Equal(file.Body, content) {
		t.Errorf("stored %d bytes that differ from the origin's %d", len(file.Body), len(content))
	}
}

// TestJobIDForms: the endpoints that take a job ID read it from the query,
// a form, or a JSON body as a string ("2", as jobs show it) or a number
// (2). Anything but a positive integer is a 400, an unknown job a 404.
func TestJobIDForms(t *testing.T) {
	hold := make(chan struct{})
	o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		return true
	})
	defer close(hold)
	// One worker: the first job holds it, the others stay pending.
	e := newIntakeEnv(t, intakeOptions{jobs: intake.Config{Concurrency: 1}})
	sub := do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": o.URL + "/1\n" + o.URL + "/2\n" + o.URL + "/3\n" + o.URL + "/4"}).
		wantStatus(t, http.StatusAccepted).object(t)
	var ids []string
	for _, j := range sub["jobs"].([]any) {
		ids = append(ids, jobID(t, j))
	}
	num := func(id string) int64 {
		n, _ := strconv.ParseInt(id, 10, 64)
		return n
	}

	for name, req := range map[string]func() *response{
		"query":       func() *response { return do(t, "GET", e.URL+"/v1/jobs/get?id="+ids[0], nil) },
		"JSON string": func() *response { return do(t, "GET", e.URL+"/v1/jobs/get", map[string]any{"id": ids[0]}) },
		"JSON number": func() *response { return do(t, "GET", e.URL+"/v1/jobs/get", map[string]any{"id": num(ids[0])}) },
	} {
		if got := jobID(t, req().wantStatus(t, http.StatusOK).object(t)); got != ids[0] {
			t.Errorf("get by %s: job %s, want %s", name, got, ids[0])
		}
	}

	for i, body := range []any{
		map[string]any{"id": ids[1]},
		map[string]any{"id": num(ids[2])},
		url.Values{"id": {ids[3]}},
		map[string]any{"id": num(ids[0])}, // the running one
	} {
		id := ids[(i+1)%len(ids)]
		j := do(t, "POST", e.URL+"/v1/jobs/cancel", body).wantStatus(t, http.StatusOK).object(t)
		if got := jobID(t, j); got != id || j["status"] != "cancelled" {
			t.Errorf("cancel with %v: %v", body, j)
		}
	}

	for _, bad := range []map[string]any{
		{}, {"id": "abc"}, {"id": ""}, {"id": "0"}, {"id": 0}, {"id": -2}, {"id": "-2"}, {"id": 1.5}, {"id": "1.5"}, {"id": true},
	} {
		do(t, "GET", e.URL+"/v1/jobs/get", bad).wantError(t, http.StatusBadRequest, "id")
		do(t, "POST", e.URL+"/v1/jobs/cancel", bad).wantError(t, http.StatusBadRequest, "id")
	}
	do(t, "GET", e.URL+"/v1/jobs/get?id=abc", nil).wantError(t, http.StatusBadRequest, "id")
	for _, unknown := range []any{"999999", 999999} {
		do(t, "GET", e.URL+"/v1/jobs/get", map[string]any{"id": unknown}).wantError(t, http.StatusNotFound, "999999")
		do(t, "POST", e.URL+"/v1/jobs/cancel", map[string]any{"id": unknown}).wantError(t, http.StatusNotFound, "999999")
	}
}

func waitProgress(tb testing.TB, e *intakeEnv, id string, progress int64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := do(tb, "GET", e.URL+"/v1/jobs/get?id="+url.QueryEscape(id), nil).wantStatus(tb, http.StatusOK).object(tb)
		if j["progress"].(int64) >= progress {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("job %s stuck at %v", id, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventStream reads server-sent events.
type eventStream struct {
	resp   *http.Response
	events chan sseEvent
}

type sseEvent struct {
	typ  string
	data []byte
}

func subscribe(tb testing.TB, e *intakeEnv) *eventStream {
	tb.Helper()
	resp, err := http.Get(e.URL + "/v1/jobs/events")
	if err != nil {
		tb.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		tb.Fatalf("Content-Type %q", ct)
	}
	s := &eventStream{resp: resp, events: make(chan sseEvent, 1000)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = []byte(strings.TrimPrefix(line, "data: "))
			case line == "" && ev.typ != "":
				s.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	tb.Cleanup(s.close)
	return s
}

func (s *eventStream) next(tb testing.TB) sseEvent {
	tb.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			tb.Fatal("event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		tb.Fatal("no event within 10s")
	}
	return sseEvent{}
}

func (s *eventStream) close() { s.resp.Body.Close() }

// rangeOrigin serves one file slowly, honouring Range and If-Range, and
// counts the bytes it sends.
type rangeOrigin struct {
	*httptest.Server
	content []byte
	mu      sync.Mutex
	sent    int64
	ranges  []string
}

func newRangeOrigin(tb testing.TB, content []byte, chunk int, pause time.Duration) *rangeOrigin {
	o := &rangeOrigin{content: content}
	modified := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.ranges = append(o.ranges, r.Header.Get("Range"))
		o.mu.Unlock()
		w.Header().Set("ETag", `"content-1"`)
		http.ServeContent(&slowWriter{ResponseWriter: w, o: o, chunk: chunk, pause: pause, ctx: r.Context()}, r, "", modified, bytes.NewReader(o.content))
	}))
	tb.Cleanup(o.Close)
	return o
}

func (o *rangeOrigin) bytesSent() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent
}

type slowWriter struct {
	http.ResponseWriter
	o     *rangeOrigin
	chunk int
	pause time.Duration
	ctx   context.Context
}

func (s *slowWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), s.chunk)
		m, err := s.ResponseWriter.Write(p[:n])
		s.o.mu.Lock()
		s.o.sent += int64(m)
		s.o.mu.Unlock()
		written += m
		if err != nil {
			return written, err
		}
		s.ResponseWriter.(http.Flusher).Flush()
		p = p[n:]
		select {
		case <-time.After(s.pause):
		case <-s.ctx.Done():
			return written, s.ctx.Err()
		}
	}
	return written, nil
}

// TestJobResumesAfterRestart stops the server in the middle of a slow
// download and starts it again on the same data folder: the job finishes
// with the right bytes, and the origin, which serves ranges, sends fewer
// bytes after the restart than the file has.
func TestJobResumesAfterRestart(t *testing.T) {
	content := make([]byte, 1<<20)
	for i := range content {
		content[i] = byte(i*7 + i/1024)
	}
	o := newRangeOrigin(t, content, 16<<10, 50*time.Millisecond)
	dir := t.TempDir()
	e1 := newIntakeEnv(t, intakeOptions{dataDir: dir})
	sub := do(t, "POST", e1.URL+"/v1/jobs/download/submit", map[string]any{"URL": o.URL + "/big.bin"}).wantStatus(t, http.StatusAccepted).object(t)
	id := jobID(t, sub["jobs"].([]any)[0])
	waitProgress(t, e1, id, int64(len(content))/4)
	j := do(t, "GET", e1.URL+"/v1/jobs/get?id="+id, nil).object(t)
	if j["status"] != "downloading" {
		t.Fatalf("job before the restart: %v", j)
	}
	e1.closeFn()
	sentBefore := o.bytesSent()
	if sentBefore >= int64(len(content)) {
		t.Fatalf("the origin sent everything (%d bytes) before the restart", sentBefore)
	}
	part, err := os.ReadFile(filepath.Join(dir, "downloads", "job-"+id+".part"))
	if err != nil {
		t.Fatal(err)
	}
	if len(part) == 0 || !bytes.Equal(part, content[:len(part)]) {
		t.Fatalf("partial file has %d bytes, not a prefix of the content", len(part))
	}

	e2 := newIntakeEnv(t, intakeOptions{dataDir: dir})
	done := waitJob(t, e2, id, "completed")
	sentAfter := o.bytesSent() - sentBefore
	if sentAfter >= int64(len(content)) {
		t.Errorf("after the restart the origin sent %d bytes, not fewer than the file's %d", sentAfter, len(content))
	}
	o.mu.Lock()
	lastRange := o.ranges[len(o.ranges)-1]
	o.mu.Unlock()
	if !strings.HasPrefix(lastRange, "bytes=") {
		t.Errorf("the resumed request asked for %q", lastRange)
	}
	resp := do(t, "GET", e2.URL+"/v1/resource/view?id="+fmt.Sprint(done["resourceId"]), nil).wantStatus(t, http.StatusFound)
	file := do(t, "GET", e2.URL+resp.Header.Get("Location"), nil).wantStatus(t, http.StatusOK)
	if !bytes.Equal(file.Body, content) {
		t.Errorf("stored %d bytes that differ from the origin's %d", len(file.Body), len(content))
	}
	if _, err := os.Stat(filepath.Join(dir, "downloads", "job-"+id+".part")); !os.IsNotExist(err) {
		t.Errorf("partial file still there: %v", err)
	}
	t.Logf("origin sent %d bytes before the restart, %d after, for a %d-byte file", sentBefore, sentAfter, len(content))
}

// TestJobRestartsWithoutRange: an origin that ignores Range gets the whole
// file again after a restart, and the result is still right.
func TestJobRestartsWithoutRange(t *testing.T) {
	content := bytes.Repeat([]byte("no ranges here "), 20000)
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		for i := 0; i < len(content); i += 32 << 10 {
			if _, err := w.Write(content[i:min(i+32<<10, len(content))]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(30 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	e1 := newIntakeEnv(t, intakeOptions{dataDir: dir})
	sub := do(t, "POST", e1.URL+"/v1/jobs/download/submit", map[string]any{"URL": srv.URL + "/x.txt"}).wantStatus(t, http.StatusAccepted).object(t)
	id := jobID(t, sub["jobs"].([]any)[0])
	waitProgress(t, e1, id, 64<<10)
	e1.closeFn()
	e2 := newIntakeEnv(t, intakeOptions{dataDir: dir})
	done := waitJob(t, e2, id, "completed")
	res := do(t, "GET", e2.URL+"/v1/resource?id="+fmt.Sprint(done["resourceId"]), nil).object(t)
	sum := sha256.Sum256(content)
	if res["Hash"] != hex.EncodeToString(sum[:]) {
		t.Errorf("stored content differs")
	}
}

// dsns keeps one PostgreSQL schema per data folder, so that a library
// opened again on a folder (a restart) finds its database.
var dsns sync.Map

func dsnOf(tb testing.TB, dir string) string {
	if v, ok := dsns.Load(dir); ok {
		return v.(string)
	}
	dsn := dbtest.LibraryDSN(tb)
	dsns.Store(dir, dsn)
	return dsn
}
