//go:build !windows

package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// jobJSON is a background job as the API shows it. The id is a JSON string,
// as in the reference; ",string" refuses a number, so decoding checks it.
type jobJSON struct {
	ID         int64  `json:"id,string"`
	Status     string `json:"status"`
	Progress   int64  `json:"progress"`
	TotalSize  int64  `json:"totalSize"`
	Error      string `json:"error"`
	ResourceID *int64 `json:"resourceId"`
}

// TestE2EIntake drives the binary: remote fetches refused by default and
// allowed by -allow-private-fetch, -max-remote-size, a local file through
// -alt-fs, and a background download that survives a restart.
func TestE2EIntake(t *testing.T) {
	content := make([]byte, 600<<10)
	for i := range content {
		content[i] = byte(i * 31)
	}
	var mu sync.Mutex
	sent := int64(0)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pic.png":
			w.Write(testPNG(t))
			return
		case "/big.bin":
			w.Write(make([]byte, 2<<20))
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(writerCounting{w, func(n int) {
			mu.Lock()
			sent += int64(n)
			mu.Unlock()
			time.Sleep(40 * time.Millisecond)
		}}, r, "", time.Unix(1700000000, 0), bytes.NewReader(content))
	}))
	defer origin.Close()
	work := t.TempDir()
	alt := filepath.Join(work, "archive")
	os.MkdirAll(alt, 0o755)
	os.WriteFile(filepath.Join(alt, "doc.txt"), []byte("a local document\n"), 0o644)
	post := func(p *proc, path string, body map[string]any, status int, out any) {
		t.Helper()
		doJSON(t, newRequest(t, "POST", p.url("%s", path), "application/json", jsonBody(t, body)), status, out)
	}

	// By default 127.0.0.1 is not reachable.
	p := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(work, "default"))
	var e struct{ Error string }
	post(p, "/v1/resource/remote", map[string]any{"URL": origin.URL + "/pic.png"}, http.StatusBadRequest, &e)
	if !bytes.Contains([]byte(e.Error), []byte("not allowed")) {
		t.Errorf("default fetch error: %q", e.Error)
	}
	p.stop(syscall.SIGTERM)

	data := filepath.Join(work, "data")
	args := []string{"-bind-address", "127.0.0.1:0", "-data-dir", data, "-allow-private-fetch", "127.0.0.1",
		"-alt-fs", "archive:" + alt, "-max-remote-size", "1MiB", "-remote-idle-timeout", "5s"}
	p = startServer(t, work, nil, args...)
	var r resourceJSON
	post(p, "/v1/resource/remote", map[string]any{"URL": origin.URL + "/pic.png"}, http.StatusOK, &r)
	if r.ID == 0 || r.Name != "pic.png" {
		t.Errorf("remote resource %+v", r)
	}
	post(p, "/v1/resource/remote", map[string]any{"URL": origin.URL + "/big.bin"}, http.StatusRequestEntityTooLarge, &e)
	if !bytes.Contains([]byte(e.Error), []byte("larger than the limit")) {
		t.Errorf("oversize error: %q", e.Error)
	}
	var local resourceJSON
	post(p, "/v1/resource/local", map[string]any{"PathName": "archive", "LocalPath": "doc.txt"}, http.StatusOK, &local)
	if b, _ := viewBytes(t, p, local.ID); string(b) != "a local document\n" {
		t.Errorf("local resource serves %q", b)
	}

	var sub struct {
		Queued bool
		Jobs   []jobJSON
	}
	post(p, "/v1/jobs/download/submit", map[string]any{"URL": origin.URL + "/slow.bin"}, http.StatusAccepted, &sub)
	id := sub.Jobs[0].ID
	getJob := func(p *proc) jobJSON {
		var j jobJSON
		doJSON(t, newRequest(t, "GET", p.url("/v1/jobs/get?id=%d", id), "", nil), http.StatusOK, &j)
		return j
	}
	for deadline := time.Now().Add(20 * time.Second); getJob(p).Progress < int64(len(content))/4; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %+v", getJob(p))
		}
	}
	p.stop(syscall.SIGTERM)
	mu.Lock()
	before := sent
	mu.Unlock()

	p = startServer(t, work, nil, args...)
	var j jobJSON
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if j = getJob(p); j.Status == "completed" || j.Status == "failed" || time.Now().After(deadline) {
			break
		}
	}
	if j.Status != "completed" || j.ResourceID == nil {
		t.Fatalf("job after the restart: %+v", j)
	}
	if b, _ := viewBytes(t, p, *j.ResourceID); !bytes.Equal(b, content) {
		t.Errorf("downloaded %d bytes that differ from the origin's", len(b))
	}
	mu.Lock()
	after := sent - before
	mu.Unlock()
	if after >= int64(len(content)) {
		t.Errorf("the origin sent %d bytes after the restart, not fewer than %d", after, len(content))
	}
	p.stop(syscall.SIGTERM)
}

// writerCounting reports each write, to count and pace what an origin sends.
type writerCounting struct {
	http.ResponseWriter
	onWrite func(n int)
}

func (w writerCounting) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		n, err := w.ResponseWriter.Write(p[:min(len(p), 32<<10)])
		total += n
		w.onWrite(n)
		w.ResponseWriter.(http.Flusher).Flush()
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	return total, nil
}
