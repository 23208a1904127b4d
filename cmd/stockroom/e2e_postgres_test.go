//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"
)

// TestE2ETwoServersOnePostgres runs two servers on one PostgreSQL database
// and one blob folder: the same bytes uploaded to both at once make one
// resource and 409s; different bytes all go in; background downloads
// queued on one server are finished by the other after the first is
// killed, each once.
func TestE2ETwoServersOnePostgres(t *testing.T) {
	dsn := dbtest.DSN(t) // skips without PostgreSQL
	work := t.TempDir()
	files := filepath.Join(work, "files")
	args := func(name string) []string {
		return []string{"-bind-address", "127.0.0.1:0", "-db-type", "POSTGRES", "-db-dsn", dsn,
			"-data-dir", filepath.Join(work, name), "-file-save-path", files, "-allow-private-fetch", "127.0.0.1"}
	}
	a := startServer(t, work, nil, args("a")...)
	b := startServer(t, work, nil, args("b")...)
	servers := []*proc{a, b}

	post := func(p *proc, filename string, content []byte) int {
		ct, body := multipartBody(t, filename, content, nil)
		resp, err := http.DefaultClient.Do(newRequest(t, "POST", p.url("/v1/resource"), ct, body))
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 8 {
		wg.Go(func() {
			code := post(servers[i%2], "same.txt", []byte("the same bytes"))
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
		wg.Go(func() {
			if code := post(servers[i%2], "other.txt", fmt.Appendf(nil, "other bytes %d", i)); code != http.StatusOK {
				t.Errorf("upload of distinct bytes %d: status %d", i, code)
			}
		})
	}
	wg.Wait()
	if codes[http.StatusOK] != 1 || codes[http.StatusConflict] != 7 {
		t.Errorf("8 uploads of the same bytes on two servers: statuses %v, want one 200 and seven 409", codes)
	}

	// Slow downloads: long enough to kill the server that runs them.
	const size = 64 << 10
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		body := bytes.Repeat([]byte(r.URL.Path[len(r.URL.Path)-1:]), size)
		for i := 0; i < size; i += size / 16 {
			if _, err := w.Write(body[i : i+size/16]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer origin.Close()
	var ids []int64
	for i := range 4 {
		var sub struct{ Jobs []jobJSON }
		doJSON(t, newRequest(t, "POST", a.url("/v1/jobs/download/submit"), "application/json",
			jsonBody(t, map[string]any{"URL": fmt.Sprintf("%s/f%d", origin.URL, i)})), http.StatusAccepted, &sub)
		ids = append(ids, sub.Jobs[0].ID)
	}
	time.Sleep(500 * time.Millisecond)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done

	// b adopts the queued jobs and, once their lease has run out, the
	// ones a was running.
	done := map[int64]int64{}
	deadline := time.Now().Add(90 * time.Second)
	for len(done) < len(ids) && time.Now().Before(deadline) {
		for _, id := range ids {
			// 404 until b has loaded the job from the database.
			var j jobJSON
			resp, err := http.Get(b.url("/v1/jobs/get?id=%d", id))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK {
				if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
					t.Fatal(err)
				}
			}
			resp.Body.Close()
			if j.Status == "completed" && j.ResourceID != nil {
				done[id] = *j.ResourceID
			}
			if j.Status == "failed" {
				t.Fatalf("job %d failed on the second server: %+v", id, j)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(done) != len(ids) {
		t.Fatalf("after killing the first server, %d of %d jobs completed on the second\n%s", len(done), len(ids), b.stderr)
	}
	seen := map[int64]bool{}
	for id, res := range done {
		if seen[res] {
			t.Errorf("job %d made resource %d, which another job made too", id, res)
		}
		seen[res] = true
		if body, _ := viewBytes(t, b, res); len(body) != size {
			t.Errorf("resource %d of job %d: %d bytes, want %d", res, id, len(body), size)
		}
	}
}
