//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2EGracefulUpload: SIGTERM while an upload streams lets it finish
// (200, the file stored), then the process exits 0; the upload is there
// after a restart.
func TestE2EGracefulUpload(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	p := startServer(t, root, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir, "-shutdown-timeout", "20s")
	pr, pw := io.Pipe()
	req := newRequest(t, "POST", p.url("/v1/resource"), "multipart/form-data; boundary=XYZ", pr)
	type answer struct {
		status int
		id     int64
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := testClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var res struct{ ID int64 }
		json.NewDecoder(resp.Body).Decode(&res)
		done <- answer{status: resp.StatusCode, id: res.ID}
	}()
	content := bytes.Repeat([]byte("graceful "), 20000)
	io.WriteString(pw, "--XYZ\r\nContent-Disposition: form-data; name=\"resource\"; filename=\"g.txt\"\r\n\r\n")
	pw.Write(content[:len(content)/2])
	waitFor(t, 10*time.Second, "the upload to reach the blob store", func() bool {
		return spooling(p.cmd.Process.Pid, dataDir)
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "shutting down", func() bool { return strings.Contains(p.stderr.String(), "shutting down") })
	pw.Write(content[len(content)/2:])
	io.WriteString(pw, "\r\n--XYZ--\r\n")
	pw.Close()
	a := <-done
	if a.err != nil || a.status != 200 || a.id == 0 {
		t.Fatalf("upload in flight at SIGTERM: %+v\n%s", a, p.stderr)
	}
	if code := p.wait(exitTimeout); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0\n%s", code, p.stderr)
	}
	p2 := startServer(t, root, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	if got, _ := viewBytes(t, p2, a.id); !bytes.Equal(got, content) {
		t.Errorf("after the restart the upload has %d bytes, want %d", len(got), len(content))
	}
	p2.stop(syscall.SIGTERM)
}
